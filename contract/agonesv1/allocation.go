package agonesv1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/leapfrog-games/leapfrog/contract/agoneswire"
)

// GameServerAllocation asks Agones for one game server matching the first of
// its selectors that matches any. Agones only supports create: the response
// is the object with Status filled in, and nothing is stored.
//
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
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
	// Scheduling picks among the candidates of a selector; empty is Packed.
	Scheduling SchedulingStrategy `json:"scheduling,omitempty"`
	// Priorities order the candidates of a selector.
	Priorities []Priority `json:"priorities,omitempty"`
	// Metadata are labels and annotations set on the chosen game server.
	Metadata *GameServerMetadata `json:"metadata,omitempty"`
	// Lists are changes to the chosen game server's lists.
	Lists map[string]ListAction `json:"lists,omitempty"`
}

// SchedulingStrategy is how Agones picks among game servers that match.
type SchedulingStrategy string

// The scheduling strategies of Agones.
const (
	// Packed prefers game servers on the nodes that run the most, so that
	// empty nodes can be scaled down.
	Packed SchedulingStrategy = "Packed"
	// Distributed spreads allocations over the nodes.
	Distributed SchedulingStrategy = "Distributed"
)

// GameServerSelector matches game servers by labels, state and lists.
type GameServerSelector struct {
	MatchLabels      map[string]string                 `json:"matchLabels,omitempty"`
	MatchExpressions []metav1.LabelSelectorRequirement `json:"matchExpressions,omitempty"`
	// GameServerState is Ready (the default) or Allocated: an allocation
	// may pick a game server that is already allocated, to add players.
	GameServerState agoneswire.GameServerState `json:"gameServerState,omitempty"`
	Lists           map[string]ListSelector    `json:"lists,omitempty"`
}

// ListSelector matches a game server by the content of one of its lists.
type ListSelector struct {
	ContainsValue string `json:"containsValue,omitempty"`
	MinAvailable  int64  `json:"minAvailable,omitempty"`
	// MaxAvailable of zero means no maximum.
	MaxAvailable int64 `json:"maxAvailable,omitempty"`
}

// Priority orders the candidates of a selector by a counter or a list.
type Priority struct {
	Type  PriorityType  `json:"type"`
	Key   string        `json:"key"`
	Order PriorityOrder `json:"order"`
}

// PriorityType is what a Priority's key names: a counter or a list.
type PriorityType string

// The kinds of priority.
const (
	PriorityCounter PriorityType = "Counter"
	PriorityList    PriorityType = "List"
)

// PriorityOrder is the direction of a Priority: by its counter's or list's
// available capacity.
type PriorityOrder string

// The orders of a priority.
const (
	Ascending  PriorityOrder = "Ascending"
	Descending PriorityOrder = "Descending"
)

// ListAction changes a list of the allocated game server. Adding a value
// that is present, or beyond capacity, is silently skipped by Agones.
type ListAction struct {
	AddValues    []string `json:"addValues,omitempty"`
	DeleteValues []string `json:"deleteValues,omitempty"`
	Capacity     *int64   `json:"capacity,omitempty"`
}

// GameServerMetadata are labels and annotations: set on the chosen game
// server (in the spec), and all of the allocated game server's (in the
// status).
type GameServerMetadata struct {
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// GameServerAllocationStatus is the outcome of an allocation and, when it
// allocated, the game server it chose.
type GameServerAllocationStatus struct {
	State          GameServerAllocationState `json:"state"`
	GameServerName string                    `json:"gameServerName"`
	Ports          []GameServerPort          `json:"ports,omitempty"`
	Address        string                    `json:"address,omitempty"`
	Addresses      []NodeAddress             `json:"addresses,omitempty"`
	NodeName       string                    `json:"nodeName,omitempty"`
	// Source is "local" or the name of the remote cluster that allocated.
	Source   string                `json:"source"`
	Metadata *GameServerMetadata   `json:"metadata,omitempty"`
	Lists    map[string]ListStatus `json:"lists,omitempty"`
}

// GameServerAllocationState is the outcome of a GameServerAllocation.
type GameServerAllocationState string

// The outcomes of a GameServerAllocation.
const (
	// GameServerAllocationAllocated: a game server was allocated.
	GameServerAllocationAllocated GameServerAllocationState = "Allocated"
	// GameServerAllocationUnAllocated: no game server matched.
	GameServerAllocationUnAllocated GameServerAllocationState = "UnAllocated"
	// GameServerAllocationContention: a game server matched but another
	// allocation took it first; trying again may succeed.
	GameServerAllocationContention GameServerAllocationState = "Contention"
)

// NodeAddress is an address of the allocated game server's node.
type NodeAddress struct {
	Type    string `json:"type"`
	Address string `json:"address"`
}
