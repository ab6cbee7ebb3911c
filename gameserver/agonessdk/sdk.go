package agonessdk

import (
	"context"
	"time"

	"github.com/leapfrog-games/leapfrog/contract/agoneswire"
)

// SDK is the Agones SDK as a game server uses it. *Client talks to the real
// sidecar; *Memory is the in-process stand-in. State changes are applied
// asynchronously by Agones: confirm them through WatchGameServer.
type SDK interface {
	Ready(ctx context.Context) error
	Health(ctx context.Context) error
	Allocate(ctx context.Context) error
	Shutdown(ctx context.Context) error
	Reserve(ctx context.Context, d time.Duration) error
	GameServer(ctx context.Context) (*GameServer, error)
	// WatchGameServer calls fn with the current GameServer and then with every
	// change, until ctx is done. It reconnects on its own; it returns ctx.Err().
	WatchGameServer(ctx context.Context, fn func(*GameServer)) error
	SetLabel(ctx context.Context, key, value string) error
	SetAnnotation(ctx context.Context, key, value string) error
	GetList(ctx context.Context, name string) (*List, error)
	AddListValue(ctx context.Context, name, value string) error
	RemoveListValue(ctx context.Context, name, value string) error
	SetListCapacity(ctx context.Context, name string, capacity int64) error
	GetCounter(ctx context.Context, name string) (*Counter, error)
	SetCounterCount(ctx context.Context, name string, count int64) error
	SetCounterCapacity(ctx context.Context, name string, capacity int64) error
	IncrementCounter(ctx context.Context, name string, diff int64) error
}

// GameServer is the SDK's view of the GameServer resource.
type GameServer struct {
	ObjectMeta ObjectMeta `json:"object_meta"`
	Spec       Spec       `json:"spec"`
	Status     Status     `json:"status"`
}

// ObjectMeta is the subset of Kubernetes object metadata the SDK reports.
// Like the sidecar (protojson with unpopulated fields emitted), it marshals
// every field, so what a fake sidecar writes has the real one's shape.
type ObjectMeta struct {
	Name              string            `json:"name"`
	Namespace         string            `json:"namespace"`
	UID               string            `json:"uid"`
	ResourceVersion   string            `json:"resource_version"`
	Generation        Int64             `json:"generation"`
	CreationTimestamp Int64             `json:"creation_timestamp"`
	DeletionTimestamp Int64             `json:"deletion_timestamp"`
	Annotations       map[string]string `json:"annotations"`
	Labels            map[string]string `json:"labels"`
}

// Spec is the subset of the GameServer spec the SDK reports.
type Spec struct {
	Health Health `json:"health"`
}

// Health is the GameServer's health checking configuration.
type Health struct {
	Disabled            bool  `json:"disabled"`
	PeriodSeconds       int32 `json:"period_seconds"`
	FailureThreshold    int32 `json:"failure_threshold"`
	InitialDelaySeconds int32 `json:"initial_delay_seconds"`
}

// Status is the GameServer's status.
type Status struct {
	State     agoneswire.GameServerState `json:"state"`
	Address   string                     `json:"address"`
	Addresses []Address                  `json:"addresses"`
	Ports     []Port                     `json:"ports"`
	Players   *PlayerStatus              `json:"players"`
	Counters  map[string]Counter         `json:"counters"`
	Lists     map[string]List            `json:"lists"`
}

// Address is one of the node's addresses, as Kubernetes reports them
// (type InternalIP, ExternalIP, Hostname, PodIP...).
type Address struct {
	Type    string `json:"type"`
	Address string `json:"address"`
}

// Port is one named host port of the GameServer.
type Port struct {
	Name string `json:"name"`
	Port int32  `json:"port"`
}

// PlayerStatus is the alpha player tracking status; the sidecar reports it as
// null unless the PlayerTracking feature gate is on. Use lists instead.
type PlayerStatus struct {
	Count    Int64    `json:"count"`
	Capacity Int64    `json:"capacity"`
	IDs      []string `json:"ids"`
}

// Counter is an Agones counter. Name is set in the answers of the counter
// endpoints and empty in Status.Counters, where the map key names it.
type Counter struct {
	Count    Int64  `json:"count"`
	Capacity Int64  `json:"capacity"`
	Name     string `json:"name,omitempty"`
}

// List is an Agones list. Name is set in the answers of the list endpoints
// and empty in Status.Lists, where the map key names it.
type List struct {
	Capacity Int64    `json:"capacity"`
	Values   []string `json:"values"`
	Name     string   `json:"name,omitempty"`
}

// Contains reports whether v is in the list.
func (l List) Contains(v string) bool {
	for _, x := range l.Values {
		if x == v {
			return true
		}
	}
	return false
}

// PortByName returns the host port named name, or false.
func (s Status) PortByName(name string) (int32, bool) {
	for _, p := range s.Ports {
		if p.Name == name {
			return p.Port, true
		}
	}
	return 0, false
}
