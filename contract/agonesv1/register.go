package agonesv1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// GroupVersion is agones.dev/v1: GameServer and GameServerSet (custom
// resources).
var GroupVersion = schema.GroupVersion{Group: "agones.dev", Version: "v1"}

// AllocationGroupVersion is allocation.agones.dev/v1: GameServerAllocation
// (served by the Agones extension API server, create only).
var AllocationGroupVersion = schema.GroupVersion{Group: "allocation.agones.dev", Version: "v1"}

// AddToScheme registers GameServerAllocation, GameServer, GameServerSet and
// their lists in a scheme.
func AddToScheme(s *runtime.Scheme) error {
	s.AddKnownTypes(AllocationGroupVersion, &GameServerAllocation{})
	metav1.AddToGroupVersion(s, AllocationGroupVersion)
	s.AddKnownTypes(GroupVersion, &GameServer{}, &GameServerList{}, &GameServerSet{}, &GameServerSetList{})
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
}
