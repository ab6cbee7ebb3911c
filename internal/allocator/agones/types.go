package agones

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// The subset of allocation.agones.dev/v1 that the allocator sends and reads.
// Field names follow the Agones API (checked against captured traffic in the
// tests); fields the allocator never uses are left out, and decoding ignores
// them.

// GroupVersion of the GameServerAllocation API.
var GroupVersion = schema.GroupVersion{Group: "allocation.agones.dev", Version: "v1"}

// GameServerGroupVersion of the GameServer API (a CustomResourceDefinition).
var GameServerGroupVersion = schema.GroupVersion{Group: "agones.dev", Version: "v1"}

// AddToScheme registers GameServerAllocation, GameServer, GameServerSet and
// their lists in a scheme.
func AddToScheme(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion, &GameServerAllocation{})
	metav1.AddToGroupVersion(s, GroupVersion)
	s.AddKnownTypes(GameServerGroupVersion, &GameServer{}, &GameServerList{}, &GameServerSet{}, &GameServerSetList{})
	metav1.AddToGroupVersion(s, GameServerGroupVersion)
	return nil
}

// Allocation states reported in GameServerAllocationStatus.State.
const (
	StateAllocated   = "Allocated"
	StateUnAllocated = "UnAllocated"
	StateContention  = "Contention"
)

// GameServer states a selector can ask for.
const (
	GameServerStateReady     = "Ready"
	GameServerStateAllocated = "Allocated"
)

// GameServerAllocation asks Agones for one game server matching the first
// selector that matches any. Agones only supports create: the response is the
// object with Status filled in, and nothing is stored.
type GameServerAllocation struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   GameServerAllocationSpec   `json:"spec"`
	Status GameServerAllocationStatus `json:"status"`
}

// GameServerAllocationSpec is what to allocate and what to change on the
// chosen game server.
type GameServerAllocationSpec struct {
	// Selectors are tried in order; the first that matches a game server wins.
	Selectors []GameServerSelector `json:"selectors,omitempty"`
	// Scheduling is Packed (the default) or Distributed.
	Scheduling string `json:"scheduling,omitempty"`
	// Priorities order the candidates of a selector.
	Priorities []Priority `json:"priorities,omitempty"`
	// Metadata are labels and annotations set on the chosen game server.
	Metadata *GameServerMetadata `json:"metadata,omitempty"`
	// Lists are changes to the chosen game server's lists.
	Lists map[string]ListAction `json:"lists,omitempty"`
}

// GameServerSelector matches game servers by labels, state and lists.
type GameServerSelector struct {
	MatchLabels      map[string]string                 `json:"matchLabels,omitempty"`
	MatchExpressions []metav1.LabelSelectorRequirement `json:"matchExpressions,omitempty"`
	GameServerState  string                            `json:"gameServerState,omitempty"`
	Lists            map[string]ListSelector           `json:"lists,omitempty"`
}

// ListSelector matches a game server by the content of one of its lists.
type ListSelector struct {
	ContainsValue string `json:"containsValue,omitempty"`
	MinAvailable  int64  `json:"minAvailable,omitempty"`
	// MaxAvailable of zero means no maximum.
	MaxAvailable int64 `json:"maxAvailable,omitempty"`
}

// Priority orders game servers by a counter or list.
type Priority struct {
	// Type is Counter or List.
	Type string `json:"type"`
	Key  string `json:"key"`
	// Order is Ascending or Descending.
	Order string `json:"order"`
}

// ListAction changes a list of the allocated game server. Adding a value
// that is present, or beyond capacity, is silently skipped by Agones.
type ListAction struct {
	AddValues    []string `json:"addValues,omitempty"`
	DeleteValues []string `json:"deleteValues,omitempty"`
	Capacity     *int64   `json:"capacity,omitempty"`
}

// GameServerAllocationStatus is the outcome of an allocation.
type GameServerAllocationStatus struct {
	// State is Allocated, UnAllocated or Contention.
	State          string           `json:"state"`
	GameServerName string           `json:"gameServerName"`
	Ports          []GameServerPort `json:"ports,omitempty"`
	Address        string           `json:"address,omitempty"`
	Addresses      []NodeAddress    `json:"addresses,omitempty"`
	NodeName       string           `json:"nodeName,omitempty"`
	// Source is "local" or the name of the remote cluster that allocated.
	Source   string                `json:"source"`
	Metadata *GameServerMetadata   `json:"metadata,omitempty"`
	Lists    map[string]ListStatus `json:"lists,omitempty"`
}

// GameServerPort is a port of the allocated game server.
type GameServerPort struct {
	Name string `json:"name"`
	Port int32  `json:"port"`
}

// NodeAddress is an address of the allocated game server's node.
type NodeAddress struct {
	Type    string `json:"type"`
	Address string `json:"address"`
}

// GameServerMetadata are labels and annotations: set on the chosen game
// server (in the spec), and all of the allocated game server's (in the
// status).
type GameServerMetadata struct {
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// ListStatus is a list of the allocated game server after the allocation's
// changes.
type ListStatus struct {
	Capacity int64    `json:"capacity"`
	Values   []string `json:"values"`
}

// GameServer is one game server of a Fleet, as the lease watch reads it: its
// labels and annotations, state, address, ports and lists. The allocator
// never writes a whole GameServer (only JSON patches of its metadata), so the
// spec is left out.
type GameServer struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Status GameServerStatus `json:"status"`
}

// GameServerStatus is where a game server listens, its state and its lists.
type GameServerStatus struct {
	// State is Ready, Allocated, Shutdown and others of the Agones lifecycle.
	State   string                `json:"state,omitempty"`
	Address string                `json:"address,omitempty"`
	Ports   []GameServerPort      `json:"ports,omitempty"`
	Lists   map[string]ListStatus `json:"lists,omitempty"`
}

// GameServerList is a list of GameServers.
type GameServerList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`

	Items []GameServer `json:"items"`
}
