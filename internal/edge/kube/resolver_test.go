package kube_test

import (
	"context"
	"errors"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/leapfrog-games/leapfrog/contract/agonesv1"
	"github.com/leapfrog-games/leapfrog/contract/agoneswire"
	"github.com/leapfrog-games/leapfrog/internal/edge"
	"github.com/leapfrog-games/leapfrog/internal/edge/kube"
)

func gameServer(ns, name, fleet string, state agoneswire.GameServerState, address string, ports ...agonesv1.GameServerPort) *agonesv1.GameServer {
	gs := &agonesv1.GameServer{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{agoneswire.FleetLabel: fleet}},
		Status:     agonesv1.GameServerStatus{State: state, Address: address, Ports: ports},
	}
	return gs
}

func scheme(t *testing.T) *runtime.Scheme {
	t.Helper()
	s := runtime.NewScheme()
	if err := agonesv1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestResolve(t *testing.T) {
	game := agonesv1.GameServerPort{Name: "default", Port: 7123}
	c := fake.NewClientBuilder().WithScheme(scheme(t)).WithObjects(
		gameServer("games", "race-a", "leapfrog-race", agoneswire.StateAllocated, "10.0.0.5", agonesv1.GameServerPort{Name: "metrics", Port: 9}, game),
		gameServer("games", "race-ready", "leapfrog-race", "Ready", "10.0.0.6", game),
		gameServer("games", "race-other", "other-fleet", agoneswire.StateAllocated, "10.0.0.7", game),
		gameServer("games", "race-noport", "leapfrog-race", agoneswire.StateAllocated, "10.0.0.8", agonesv1.GameServerPort{Name: "metrics", Port: 9}),
		gameServer("elsewhere", "race-ns", "leapfrog-race", agoneswire.StateAllocated, "10.0.0.9", game),
		gameServer("games", "race-v6", "blue", agoneswire.StateAllocated, "fd00::1", game),
		// A TCPUDP port, as Agones splits it: the TCP half is the game port.
		gameServer("games", "race-tcpudp", "leapfrog-race", agoneswire.StateAllocated, "10.0.0.10",
			agonesv1.GameServerPort{Name: "default-udp", Port: 7124}, agonesv1.GameServerPort{Name: "default-tcp", Port: 7124}),
	).Build()
	r, err := kube.NewResolver(c, kube.Config{Namespace: "games", Fleets: []string{"leapfrog-race", "blue"}, PortName: "default", Wait: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, want string }{
		{"race-a", "10.0.0.5:7123"},
		{"race-v6", "[fd00::1]:7123"},
		{"race-tcpudp", "10.0.0.10:7124"},
		{"race-ready", ""},
		{"race-other", ""},
		{"race-noport", ""},
		{"race-ns", ""},
		{"race-missing", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := r.Resolve(t.Context(), tc.name)
			if tc.want == "" {
				if !errors.Is(err, edge.ErrUnknownGameServer) {
					t.Fatalf("Resolve = %q, %v; want ErrUnknownGameServer", got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("Resolve = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

// A player who reaches the edge before its watch has seen the allocation
// is let through as soon as the change arrives.
func TestResolveWaitsForTheAllocation(t *testing.T) {
	gs := gameServer("games", "race-a", "leapfrog-race", "Ready", "10.0.0.5", agonesv1.GameServerPort{Name: "default", Port: 7123})
	c := fake.NewClientBuilder().WithScheme(scheme(t)).WithObjects(gs).WithStatusSubresource(gs).Build()
	r, err := kube.NewResolver(c, kube.Config{Namespace: "games", Fleets: []string{"leapfrog-race"}, PortName: "default", Wait: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan error, 1)
	go func() {
		_, err := r.Resolve(context.Background(), "race-a")
		got <- err
	}()
	select {
	case err := <-got:
		t.Fatalf("resolved a Ready game server: %v", err)
	default:
	}
	gs.Status.State = agoneswire.StateAllocated
	if err := c.Status().Update(t.Context(), gs); err != nil {
		t.Fatal(err)
	}
	r.Notify()
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Resolve did not wake on the change")
	}
}

func TestNewResolverRefusesAnOpenConfig(t *testing.T) {
	var c client.Reader = fake.NewClientBuilder().WithScheme(scheme(t)).Build()
	for _, cfg := range []kube.Config{
		{Fleets: []string{"f"}, PortName: "default"},
		{Namespace: "n", PortName: "default"},
		{Namespace: "n", Fleets: []string{""}, PortName: "default"},
		{Namespace: "n", Fleets: []string{"f"}},
	} {
		if _, err := kube.NewResolver(c, cfg); err == nil {
			t.Errorf("NewResolver(%+v) accepted", cfg)
		}
	}
}
