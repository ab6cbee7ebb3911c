package agonesv1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/leapfrog-games/leapfrog/contract/agoneswire"
)

// GameServer is one game server of a Fleet, as Leapfrog reads it: its labels
// and annotations, state, address, ports and lists. Leapfrog never writes a
// whole GameServer (the allocator only patches its metadata), so the spec is
// left out.
//
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
type GameServer struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Status GameServerStatus `json:"status"`
}

// GameServerStatus is where a game server listens, its state and its lists.
type GameServerStatus struct {
	State   agoneswire.GameServerState `json:"state,omitempty"`
	Address string                     `json:"address,omitempty"`
	Ports   []GameServerPort           `json:"ports,omitempty"`
	Lists   map[string]ListStatus      `json:"lists,omitempty"`
}

// GameServerPort is a named port of a game server, on its node's address.
type GameServerPort struct {
	Name string `json:"name"`
	Port int32  `json:"port"`
}

// ListStatus is one of a game server's lists: its values and how many it may
// hold.
type ListStatus struct {
	Capacity int64    `json:"capacity"`
	Values   []string `json:"values"`
}

// GameServerList is a list of GameServers.
//
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
type GameServerList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`

	Items []GameServer `json:"items"`
}
