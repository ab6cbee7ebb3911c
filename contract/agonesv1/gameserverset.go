package agonesv1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// GameServerSet is one version of a Fleet's GameServer template, as the
// allocator reads it to find the Fleet's newest generation: its name, labels
// and creation time.
//
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
type GameServerSet struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
}

// GameServerSetList is a list of GameServerSets.
//
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
type GameServerSetList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`

	Items []GameServerSet `json:"items"`
}
