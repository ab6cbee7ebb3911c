package agonessdk

import (
	"fmt"
	"maps"
	"slices"

	"github.com/leapfrog-games/leapfrog/contract/agoneswire"
)

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
	return m.AllocateWith(Allocation{AddValues: map[string][]string{agoneswire.PlayersList: addValues}})
}

// AllocateWith is ClusterAllocate with any lists, labels and annotations,
// as a lease allocation sets agoneswire.LesseeLabel and agoneswire.LeaseRenewedAnnotation. Lists
// the server does not have are ignored; a label value Kubernetes would
// refuse fails the allocation with ErrInvalidArgument and changes nothing.
func (m *Memory) AllocateWith(a Allocation) (*GameServer, error) {
	if err := checkLabels(a.Labels); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if s := m.gs.Status.State; s != agoneswire.StateReady && s != agoneswire.StateAllocated {
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
	m.setState(agoneswire.StateAllocated) // always a change: the last-allocated annotation moves
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
