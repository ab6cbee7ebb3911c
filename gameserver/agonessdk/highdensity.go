package agonessdk

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
)

// Names of a high-density server's lease and races (docs/high-density.md).
const (
	// RacesList holds the ids of the races a high-density server runs; the
	// Fleet sets its capacity to the races per server.
	RacesList = "races"
	// LesseeLabel names the allocator replica that leases the server; the
	// lease allocation sets it.
	LesseeLabel = "leapfrog.dev/lessee"
	// LeaseRenewedAnnotation is set at lease and then renewed by the lessee;
	// each change tells the server its lessee is alive.
	LeaseRenewedAnnotation = "leapfrog.dev/lease-renewed"
	// LobbiesKey is the key the race server gives SetAnnotation for its
	// lobbies (EncodeLobbies); LobbiesAnnotation is the annotation on the
	// GameServer.
	LobbiesKey        = "lobbies"
	LobbiesAnnotation = MetadataPrefix + LobbiesKey
)

// A high-density server's lobbies are its races still waiting for players
// past the no-show window with empty seats, each with the players it holds:
// race id to player ids. An allocator gives the other seats of such a race
// to new players once their first players' tokens have expired.

// EncodeLobbies is the LobbiesAnnotation value of lobbies: a JSON object of
// race id to the sorted player ids, keys sorted; "" for none.
func EncodeLobbies(lobbies map[string][]string) string {
	if len(lobbies) == 0 {
		return ""
	}
	out := make(map[string][]string, len(lobbies))
	for race, players := range lobbies {
		p := slices.Clone(players)
		if p == nil {
			p = []string{}
		}
		slices.Sort(p)
		out[race] = p
	}
	b, err := json.Marshal(out) // map keys are sorted
	if err != nil {
		panic(fmt.Sprintf("encode lobbies: %v", err)) // strings always marshal
	}
	return string(b)
}

// DecodeLobbies reads a LobbiesAnnotation value; "" is none.
func DecodeLobbies(value string) (map[string][]string, error) {
	if value == "" {
		return nil, nil
	}
	var out map[string][]string
	if err := json.Unmarshal([]byte(value), &out); err != nil {
		return nil, fmt.Errorf("annotation %s: %w", LobbiesAnnotation, err)
	}
	return out, nil
}

// Allocation is what a GameServerAllocation writes on the server it picks:
// values to add to lists (spec.lists.<name>.addValues), and labels and
// annotations (spec.metadata).
type Allocation struct {
	AddValues   map[string][]string
	Labels      map[string]string
	Annotations map[string]string
}

// ClusterAllocate is an allocation landing on this server, as the Agones
// allocator does it: atomically, a Ready or Allocated server becomes
// Allocated and the values are added to the players list. Values already
// there and values beyond its capacity are dropped silently, as Agones does:
// check the returned GameServer to learn which landed. It fails with
// ErrNotAllocatable in any other state.
func (m *Memory) ClusterAllocate(addValues []string) (*GameServer, error) {
	return m.AllocateWith(Allocation{AddValues: map[string][]string{PlayersList: addValues}})
}

// AllocateWith is ClusterAllocate with any lists, labels and annotations,
// as a lease allocation sets LesseeLabel and LeaseRenewedAnnotation. Lists
// the server does not have are ignored; a label value Kubernetes would
// refuse fails the allocation with ErrInvalidArgument and changes nothing.
func (m *Memory) AllocateWith(a Allocation) (*GameServer, error) {
	if err := checkLabels(a.Labels); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if s := m.gs.Status.State; s != StateReady && s != StateAllocated {
		return nil, fmt.Errorf("allocate %s in state %s: %w", m.gs.ObjectMeta.Name, s, ErrNotAllocatable)
	}
	for _, name := range slices.Sorted(maps.Keys(a.AddValues)) {
		l, ok := m.gs.Status.Lists[name]
		if !ok {
			continue
		}
		for _, v := range a.AddValues[name] {
			if int64(len(l.Values)) < int64(l.Capacity) && !l.Contains(v) {
				l.Values = append(l.Values, v)
			}
		}
		m.gs.Status.Lists[name] = l
	}
	maps.Copy(m.gs.ObjectMeta.Labels, a.Labels)
	maps.Copy(m.gs.ObjectMeta.Annotations, a.Annotations)
	m.setState(StateAllocated) // always a change: the last-allocated annotation moves
	return m.gs.DeepCopy(), nil
}

// PatchMetadata merges labels and annotations into the GameServer, as a
// merge PATCH through the Kubernetes API does (the lessee's renewals): the
// keys are taken as they are, without the SDK's prefix, and the state does
// not change. A server shut down or unhealthy takes it too, as Kubernetes
// would until the object is gone.
func (m *Memory) PatchMetadata(labels, annotations map[string]string) error {
	if err := checkLabels(labels); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	changed := false
	for _, kv := range []struct{ into, from map[string]string }{{m.gs.ObjectMeta.Labels, labels}, {m.gs.ObjectMeta.Annotations, annotations}} {
		for k, v := range kv.from {
			if old, ok := kv.into[k]; !ok || old != v {
				kv.into[k] = v
				changed = true
			}
		}
	}
	if changed {
		m.changed()
	}
	return nil
}

func checkLabels(labels map[string]string) error {
	for k, v := range labels {
		if msg := qualifiedNameError(k); msg != "" {
			return newSDKError(ErrInvalidArgument, "invalid label key %q: %s", k, msg)
		}
		if msg := labelValueError(v); msg != "" {
			return newSDKError(ErrInvalidArgument, "invalid label value %q for key %q: %s", v, k, msg)
		}
	}
	return nil
}
