package kube

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// The subset of agones.dev/v1 GameServer that the edge reads: where it
// listens and whether it is allocated. Decoding ignores the rest, and the
// edge never writes a GameServer.

// GroupVersion of the GameServer API.
var GroupVersion = schema.GroupVersion{Group: "agones.dev", Version: "v1"}

// GameServerState is a GameServer's lifecycle state.
type GameServerState string

// The state the edge relays to: players only get tokens for allocated game servers.
const StateAllocated GameServerState = "Allocated"

// AddToScheme registers GameServer and GameServerList in a scheme.
func AddToScheme(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion, &GameServer{}, &GameServerList{})
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
}

// GameServer is one game server of a Fleet.
type GameServer struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Status            GameServerStatus `json:"status"`
}

// GameServerStatus is where a game server listens and its state.
type GameServerStatus struct {
	State   GameServerState  `json:"state,omitempty"`
	Address string           `json:"address,omitempty"`
	Ports   []GameServerPort `json:"ports,omitempty"`
}

// GameServerPort is a named port of a game server, on its node.
type GameServerPort struct {
	Name string `json:"name"`
	Port int32  `json:"port"`
}

// GameServerList is a list of GameServers.
type GameServerList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []GameServer `json:"items"`
}

// DeepCopyObject implements runtime.Object.
func (in *GameServer) DeepCopyObject() runtime.Object {
	if in == nil {
		return nil
	}
	return in.DeepCopy()
}

// DeepCopy returns a copy of in that shares no memory with it.
func (in *GameServer) DeepCopy() *GameServer {
	if in == nil {
		return nil
	}
	out := &GameServer{TypeMeta: in.TypeMeta, Status: in.Status}
	in.ObjectMeta.DeepCopyInto(&out.ObjectMeta)
	out.Status.Ports = append([]GameServerPort(nil), in.Status.Ports...)
	return out
}

// DeepCopyObject implements runtime.Object.
func (in *GameServerList) DeepCopyObject() runtime.Object {
	if in == nil {
		return nil
	}
	out := &GameServerList{TypeMeta: in.TypeMeta}
	in.ListMeta.DeepCopyInto(&out.ListMeta)
	if in.Items != nil {
		out.Items = make([]GameServer, len(in.Items))
		for i := range in.Items {
			out.Items[i] = *in.Items[i].DeepCopy()
		}
	}
	return out
}
