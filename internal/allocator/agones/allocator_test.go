package agones

import (
	"context"
	"errors"
	"slices"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	"github.com/leapfrog-games/leapfrog/contract/agonesv1"
	"github.com/leapfrog-games/leapfrog/contract/agoneswire"
	"github.com/leapfrog-games/leapfrog/internal/allocator/backend"
)

func newTestAllocator(t *testing.T, fa *fakeAgones, edit func(*Config)) *Allocator {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := agonesv1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	c := fake.NewClientBuilder().WithScheme(scheme).WithInterceptorFuncs(interceptor.Funcs{Create: fa.create}).Build()
	cfg := Config{
		Namespace: "games",
		Fleet:     "race",
		PortName:  "default",
		// No waiting between retries: the tests count attempts, not time.
		Backoff: wait.Backoff{Steps: 4},
	}
	if edit != nil {
		edit(&cfg)
	}
	a, err := New(c, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func allocate(t *testing.T, a *Allocator, players ...string) (backend.Assignment, error) {
	t.Helper()
	return a.Allocate(t.Context(), backend.AllocationRequest{PlayerIDs: players})
}

func TestAllocateFillsMatchesInOrder(t *testing.T) {
	fa := newFakeAgones("race", 2)
	a := newTestAllocator(t, fa, nil)

	steps := []struct {
		player      string
		wantServer  string
		wantJoined  bool
		wantPlayers []string
	}{
		{"p1", "race-0", false, []string{"p1"}},      // a Ready server
		{"p2", "race-0", true, []string{"p1", "p2"}}, // joins the waiting match
		{"p1", "race-0", true, []string{"p1", "p2"}}, // asks again: same slot, none taken
		{"p3", "race-1", false, []string{"p3"}},      // match-0 is full
		{"p3", "race-1", false, []string{"p3"}},      // asks again, alone: reads as new
		{"p4", "race-1", true, []string{"p3", "p4"}},
	}
	for _, s := range steps {
		got, err := allocate(t, a, s.player)
		if err != nil {
			t.Fatalf("%s: %v", s.player, err)
		}
		if got.GameServer != s.wantServer || got.Joined != s.wantJoined {
			t.Errorf("%s: got %s joined=%v, want %s joined=%v", s.player, got.GameServer, got.Joined, s.wantServer, s.wantJoined)
		}
		var gs *fakeGameServer
		for _, g := range fa.servers {
			if g.name == s.wantServer {
				gs = g
			}
		}
		if !slices.Equal(gs.players, s.wantPlayers) {
			t.Errorf("%s: %s holds %v, want %v", s.player, gs.name, gs.players, s.wantPlayers)
		}
	}

	if _, err := allocate(t, a, "p5"); !errors.Is(err, backend.ErrNoCapacity) {
		t.Errorf("full fleet: %v, want ErrNoCapacity", err)
	}
}

func TestAllocateRequest(t *testing.T) {
	fa := newFakeAgones("race", 1)
	a := newTestAllocator(t, fa, nil)
	if _, err := allocate(t, a, "p1", "p1.2"); err != nil {
		t.Fatal(err)
	}
	reqs := fa.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	req := reqs[0]
	if req.Namespace != "games" {
		t.Errorf("namespace %q", req.Namespace)
	}
	sels := req.Spec.Selectors
	if len(sels) != 3 {
		t.Fatalf("%d selectors, want 3", len(sels))
	}
	want := []struct {
		state agoneswire.GameServerState
		list  agonesv1.ListSelector
	}{
		{agoneswire.StateAllocated, agonesv1.ListSelector{ContainsValue: "p1"}},
		{agoneswire.StateAllocated, agonesv1.ListSelector{MinAvailable: 2}},
		{agoneswire.StateReady, agonesv1.ListSelector{MinAvailable: 2}},
	}
	for i, w := range want {
		s := sels[i]
		if s.GameServerState != w.state || s.Lists[agoneswire.PlayersList] != w.list || len(s.Lists) != 1 {
			t.Errorf("selector %d: %s %+v, want %s %+v", i, s.GameServerState, s.Lists, w.state, w.list)
		}
		if len(s.MatchLabels) != 1 || s.MatchLabels[agoneswire.FleetLabel] != "race" {
			t.Errorf("selector %d labels %v", i, s.MatchLabels)
		}
	}
	if p := req.Spec.Priorities; len(p) != 1 || p[0] != (agonesv1.Priority{Type: "List", Key: agoneswire.PlayersList, Order: "Ascending"}) {
		t.Errorf("priorities %+v", p)
	}
	if add := req.Spec.Lists[agoneswire.PlayersList].AddValues; !slices.Equal(add, []string{"p1", "p1.2"}) {
		t.Errorf("addValues %v", add)
	}
}

func TestAllocateOutcomes(t *testing.T) {
	forbidden := apierrors.NewForbidden(schema.GroupResource{Group: agonesv1.AllocationGroupVersion.Group, Resource: "gameserverallocations"}, "", errors.New("RBAC"))
	tests := []struct {
		name           string
		servers        int
		contention     int
		err            error
		edit           func(*Config)
		players        []string
		wantErr        error // errors.Is
		wantOtherErr   bool  // an error that is not ErrNoCapacity
		wantAttempts   int
		wantAddress    string
		wantPort       int32
		wantContention bool
	}{
		{name: "allocated", servers: 1, players: []string{"p1"}, wantAttempts: 1, wantAddress: "10.0.0.1", wantPort: 7000},
		{name: "public address", servers: 1, players: []string{"p1"}, edit: func(c *Config) { c.PublicAddress = "203.0.113.7" }, wantAttempts: 1, wantAddress: "203.0.113.7", wantPort: 7000},
		{name: "port by name", servers: 1, players: []string{"p1"}, edit: func(c *Config) { c.PortName = "metrics" }, wantAttempts: 1, wantAddress: "10.0.0.1", wantPort: 9000},
		{name: "no such port", servers: 1, players: []string{"p1"}, edit: func(c *Config) { c.PortName = "udp" }, wantOtherErr: true, wantAttempts: 1},
		{name: "unallocated", servers: 0, players: []string{"p1"}, wantErr: backend.ErrNoCapacity, wantAttempts: 1},
		{name: "two seats need two free slots", servers: 1, players: []string{"p1", "p1.2", "p1.3"}, wantErr: backend.ErrNoCapacity, wantAttempts: 1},
		{name: "contention then allocated", servers: 1, contention: 2, players: []string{"p1"}, wantAttempts: 3, wantAddress: "10.0.0.1", wantPort: 7000},
		{name: "contention every time", servers: 1, contention: 100, players: []string{"p1"}, wantErr: backend.ErrNoCapacity, wantContention: true, wantAttempts: 4},
		{name: "API error", servers: 1, err: forbidden, players: []string{"p1"}, wantOtherErr: true, wantAttempts: 1},
		{name: "no players", servers: 1, players: nil, wantOtherErr: true, wantAttempts: 0},
		{name: "empty player id", servers: 1, players: []string{""}, wantOtherErr: true, wantAttempts: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fa := newFakeAgones("race", tt.servers)
			fa.contention, fa.err = tt.contention, tt.err
			a := newTestAllocator(t, fa, tt.edit)
			got, err := allocate(t, a, tt.players...)
			if n := len(fa.requests()); n != tt.wantAttempts {
				t.Errorf("%d attempts, want %d", n, tt.wantAttempts)
			}
			switch {
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err %v, want %v", err, tt.wantErr)
				}
				if errors.Is(err, ErrContention) != tt.wantContention {
					t.Errorf("err %v: contention=%v, want %v", err, !tt.wantContention, tt.wantContention)
				}
			case tt.wantOtherErr:
				if err == nil || errors.Is(err, backend.ErrNoCapacity) {
					t.Fatalf("err %v, want an unexpected error", err)
				}
				if tt.err != nil && !errors.Is(err, tt.err) {
					t.Errorf("err %v does not wrap %v", err, tt.err)
				}
			default:
				if err != nil {
					t.Fatal(err)
				}
				if got.Address != tt.wantAddress || got.Port != tt.wantPort || got.GameServer != "race-0" {
					t.Errorf("got %+v, want race-0 at %s:%d", got, tt.wantAddress, tt.wantPort)
				}
			}
		})
	}
}

func TestAllocateStopsWithTheContext(t *testing.T) {
	fa := newFakeAgones("race", 1)
	fa.contention = 100
	a := newTestAllocator(t, fa, func(c *Config) { c.Backoff = wait.Backoff{Steps: 1000} })
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := a.Allocate(ctx, backend.AllocationRequest{PlayerIDs: []string{"p1"}})
	if !errors.Is(err, context.Canceled) || errors.Is(err, backend.ErrNoCapacity) {
		t.Errorf("err %v, want context.Canceled", err)
	}
}

func TestNewValidates(t *testing.T) {
	fa := newFakeAgones("race", 0)
	c := fake.NewClientBuilder().WithInterceptorFuncs(interceptor.Funcs{Create: fa.create}).Build()
	for _, cfg := range []Config{
		{Fleet: "f", PortName: "default"},
		{Namespace: "n", PortName: "default"},
		{Namespace: "n", Fleet: "f"},
	} {
		if _, err := New(c, cfg, nil); err == nil {
			t.Errorf("accepted %+v", cfg)
		}
	}
	if _, err := New(nil, Config{Namespace: "n", Fleet: "f", PortName: "p"}, nil); err == nil {
		t.Error("accepted a nil client")
	}
}
