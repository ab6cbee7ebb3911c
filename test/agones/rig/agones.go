package rig

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// GameServer is what the tests read of an agones.dev/v1 GameServer.
type GameServer struct {
	Name     string
	State    string
	Address  string
	Port     int64
	Players  []string
	Capacity int64
	// Races and RaceCapacity are the list "races" of a high-density server.
	Races        []string
	RaceCapacity int64
	Labels       map[string]string
	Annotations  map[string]string
	Deleting     bool
}

// Fleet is what the tests read of an agones.dev/v1 Fleet.
type Fleet struct {
	Replicas, ReadyReplicas, AllocatedReplicas int64
}

func list(kind string) *unstructured.UnstructuredList {
	l := &unstructured.UnstructuredList{}
	l.SetAPIVersion("agones.dev/v1")
	l.SetKind(kind + "List")
	return l
}

// GameServers lists the GameServers of a Fleet.
func GameServers(ctx context.Context, c client.Client, namespace, fleet string) ([]GameServer, error) {
	l := list("GameServer")
	if err := c.List(ctx, l, client.InNamespace(namespace), client.MatchingLabels{"agones.dev/fleet": fleet}); err != nil {
		return nil, fmt.Errorf("list GameServers of %s/%s: %w", namespace, fleet, err)
	}
	out := make([]GameServer, 0, len(l.Items))
	for i := range l.Items {
		out = append(out, toGameServer(&l.Items[i]))
	}
	return out, nil
}

// GetGameServer reads one GameServer; a GameServer that no longer exists
// comes back with State "Deleted".
func GetGameServer(ctx context.Context, c client.Client, namespace, name string) (GameServer, error) {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("agones.dev/v1")
	u.SetKind("GameServer")
	if err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, u); err != nil {
		if client.IgnoreNotFound(err) == nil {
			return GameServer{Name: name, State: "Deleted"}, nil
		}
		return GameServer{}, fmt.Errorf("get GameServer %s/%s: %w", namespace, name, err)
	}
	return toGameServer(u), nil
}

func toGameServer(u *unstructured.Unstructured) GameServer {
	gs := GameServer{Name: u.GetName(), Labels: u.GetLabels(), Annotations: u.GetAnnotations(), Deleting: u.GetDeletionTimestamp() != nil}
	gs.State, _, _ = unstructured.NestedString(u.Object, "status", "state")
	gs.Address, _, _ = unstructured.NestedString(u.Object, "status", "address")
	if ports, _, _ := unstructured.NestedSlice(u.Object, "status", "ports"); len(ports) > 0 {
		if p, ok := ports[0].(map[string]any); ok {
			gs.Port, _ = p["port"].(int64)
		}
	}
	gs.Players, _, _ = unstructured.NestedStringSlice(u.Object, "status", "lists", "players", "values")
	gs.Capacity, _, _ = unstructured.NestedInt64(u.Object, "status", "lists", "players", "capacity")
	gs.Races, _, _ = unstructured.NestedStringSlice(u.Object, "status", "lists", "races", "values")
	gs.RaceCapacity, _, _ = unstructured.NestedInt64(u.Object, "status", "lists", "races", "capacity")
	return gs
}

// GetFleet reads a Fleet's replica counts.
func GetFleet(ctx context.Context, c client.Client, namespace, name string) (Fleet, error) {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("agones.dev/v1")
	u.SetKind("Fleet")
	if err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, u); err != nil {
		return Fleet{}, fmt.Errorf("get Fleet %s/%s: %w", namespace, name, err)
	}
	var f Fleet
	f.Replicas, _, _ = unstructured.NestedInt64(u.Object, "spec", "replicas")
	f.ReadyReplicas, _, _ = unstructured.NestedInt64(u.Object, "status", "readyReplicas")
	f.AllocatedReplicas, _, _ = unstructured.NestedInt64(u.Object, "status", "allocatedReplicas")
	return f, nil
}

// WaitFleetReady waits until every wanted replica of the Fleet is Ready and
// at least one is wanted.
func WaitFleetReady(ctx context.Context, c client.Client, namespace, name string, timeout time.Duration) error {
	return Poll(ctx, timeout, func() (bool, error) {
		f, err := GetFleet(ctx, c, namespace, name)
		if err != nil {
			return false, err
		}
		return f.Replicas > 0 && f.ReadyReplicas >= f.Replicas, nil
	}, "Fleet %s/%s to be Ready", namespace, name)
}

// Poll calls done every 200 ms until it says true or timeout passes; the
// error names what it waited for and the last error done returned.
func Poll(ctx context.Context, timeout time.Duration, done func() (bool, error), what string, args ...any) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	var last error
	for {
		ok, err := done()
		if ok {
			return nil
		}
		if err != nil {
			last = err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("timed out after %v waiting for %s (last error: %v)", timeout, fmt.Sprintf(what, args...), last)
		case <-t.C:
		}
	}
}

// DeleteGameServer deletes a GameServer, as `kubectl delete gs` does.
func DeleteGameServer(ctx context.Context, c client.Client, namespace, name string) error {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("agones.dev/v1")
	u.SetKind("GameServer")
	u.SetNamespace(namespace)
	u.SetName(name)
	if err := c.Delete(ctx, u); err != nil {
		return fmt.Errorf("delete GameServer %s/%s: %w", namespace, name, err)
	}
	return nil
}

// GameServerSet is what the tests read of an agones.dev/v1 GameServerSet.
type GameServerSet struct {
	Name string
	// Replicas is the wanted count; Current the servers it has, of which
	// Allocated are allocated.
	Replicas, Current, Allocated int64
}

// GameServerSets lists the GameServerSets of a Fleet, one per version of
// its template that still has servers.
func GameServerSets(ctx context.Context, c client.Client, namespace, fleet string) ([]GameServerSet, error) {
	l := list("GameServerSet")
	if err := c.List(ctx, l, client.InNamespace(namespace), client.MatchingLabels{"agones.dev/fleet": fleet}); err != nil {
		return nil, fmt.Errorf("list GameServerSets of %s/%s: %w", namespace, fleet, err)
	}
	out := make([]GameServerSet, 0, len(l.Items))
	for _, u := range l.Items {
		s := GameServerSet{Name: u.GetName()}
		s.Replicas, _, _ = unstructured.NestedInt64(u.Object, "spec", "replicas")
		s.Current, _, _ = unstructured.NestedInt64(u.Object, "status", "replicas")
		s.Allocated, _, _ = unstructured.NestedInt64(u.Object, "status", "allocatedReplicas")
		out = append(out, s)
	}
	return out, nil
}
