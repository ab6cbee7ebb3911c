package agones

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/leapfrog-games/leapfrog/contract/agonesv1"
	"github.com/leapfrog-games/leapfrog/contract/agoneswire"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime/realtimetest"
	"github.com/leapfrog-games/leapfrog/internal/allocator/backend"
	"github.com/leapfrog-games/leapfrog/internal/allocator/placement"
	"github.com/leapfrog-games/leapfrog/internal/testwait"
)

const testRenew = 5 * time.Second

// newTestLeaser returns a Leaser of replica id on fc's Fleet "match", with
// N matches per server, two players per match and the clock clk.
func newTestLeaser(t *testing.T, fc *fakeCluster, id string, n int, clk *realtimetest.FakeClock, edit func(*LeaseConfig)) *Leaser {
	t.Helper()
	engine, err := placement.New(placement.Config{SeatsPerMatch: 2, Pending: time.Minute, MatchPrefix: MatchPrefix(id), Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	cfg := LeaseConfig{
		Config:    Config{Namespace: fc.ns, Fleet: "race", PortName: "default", Backoff: wait.Backoff{Steps: 4}, APIBackoff: wait.Backoff{Steps: 2}},
		ReplicaID: id, MatchesPerServer: n, Renew: testRenew, Now: clk.Now,
	}
	if edit != nil {
		edit(&cfg)
	}
	l, err := NewLeaser(fc.client, engine, cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func place(t *testing.T, l *Leaser, players ...string) backend.Assignment {
	t.Helper()
	a, err := l.Allocate(t.Context(), backend.AllocationRequest{PlayerIDs: players})
	if err != nil {
		t.Fatalf("allocate %v: %v", players, err)
	}
	return a
}

func (l *Leaser) held() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var names []string
	for n := range l.leases {
		names = append(names, n)
	}
	return names
}

// awaitInflight waits for the lease allocation under way, if any.
func (l *Leaser) awaitInflight() {
	l.mu.Lock()
	call := l.inflight
	l.mu.Unlock()
	if call != nil {
		<-call.done
	}
}

func TestLeaseThenPlaceInMemory(t *testing.T) {
	fc := newFakeCluster(t, "race", 2, 4)
	clk := newFakeClock()
	l := newTestLeaser(t, fc, "alloc-a", 4, clk, nil)

	first := place(t, l, "p1")
	if first.GameServer == "" || first.Match == "" || first.Joined || first.Address == "" || first.Port == 0 {
		t.Fatalf("first placement %+v", first)
	}
	if !strings.HasPrefix(first.Match, MatchPrefix("alloc-a")) {
		t.Errorf("match %q does not start with the replica's prefix %q", first.Match, MatchPrefix("alloc-a"))
	}
	second := place(t, l, "p2")
	if second.GameServer != first.GameServer || second.Match != first.Match || !second.Joined {
		t.Errorf("second player %+v, want to join %+v", second, first)
	}
	again := place(t, l, "p1")
	if again.Match != first.Match {
		t.Errorf("asking again gave match %q, want %q", again.Match, first.Match)
	}
	if n := len(fc.fa.requests()); n != 1 {
		t.Fatalf("%d allocations for three matches, want 1 (the lease)", n)
	}

	// The lease on the wire: the request of docs/high-density.md and its
	// effect on the GameServer.
	req := fc.fa.requests()[0]
	if len(req.Spec.Selectors) != 1 {
		t.Fatalf("selectors %+v", req.Spec.Selectors)
	}
	sel := req.Spec.Selectors[0]
	if sel.GameServerState != agoneswire.StateReady || sel.MatchLabels[agoneswire.FleetLabel] != "race" ||
		sel.Lists[agoneswire.MatchesList] != (agonesv1.ListSelector{MinAvailable: 1}) || len(sel.MatchExpressions) != 1 ||
		sel.MatchExpressions[0].Key != agoneswire.ClosedLabel || sel.MatchExpressions[0].Operator != metav1.LabelSelectorOpNotIn {
		t.Errorf("selector %+v", sel)
	}
	if req.Spec.Scheduling != "Packed" || req.Spec.Lists != nil || req.Spec.Priorities != nil {
		t.Errorf("spec %+v", req.Spec)
	}
	gs := fc.get(first.GameServer)
	if gs.Status.State != agoneswire.StateAllocated || gs.Labels[agoneswire.LesseeLabel] != "alloc-a" || gs.Annotations[agoneswire.LeaseRenewedAnnotation] != stamp(clk.Now()) {
		t.Errorf("leased GameServer: state %s labels %v annotations %v", gs.Status.State, gs.Labels, gs.Annotations)
	}
}

func TestLeaseRenewalAndPlacementGate(t *testing.T) {
	fc := newFakeCluster(t, "race", 1, 4)
	clk := newFakeClock()
	l := newTestLeaser(t, fc, "alloc-a", 4, clk, nil)
	a := place(t, l, "p1")
	name := a.GameServer

	clk.Add(testRenew)
	l.renew(t.Context())
	if n := fc.patchCount(name); n != 1 {
		t.Fatalf("%d PATCHes in a renewal round, want 1", n)
	}
	if got := fc.get(name).Annotations[agoneswire.LeaseRenewedAnnotation]; got != stamp(clk.Now()) {
		t.Errorf("annotation %q after renewal, want %q", got, stamp(clk.Now()))
	}

	// The API goes away: renewals fail; 2 x renew after the last good one
	// nothing more is placed (and the Fleet has no other server).
	fc.failPatches(apierrors.NewServiceUnavailable("the API server is restarting"))
	clk.Add(testRenew)
	l.renew(t.Context())
	place(t, l, "p2") // 5 s since the last renewal: still placeable
	clk.Add(testRenew)
	l.renew(t.Context())
	if _, err := l.Allocate(t.Context(), backend.AllocationRequest{PlayerIDs: []string{"p3"}}); !errors.Is(err, backend.ErrNoCapacity) {
		t.Fatalf("placed on a lease not renewed for 2 x renew: %v", err)
	}
	// Not even a player placed there before: its match may never run.
	if got, err := l.Allocate(t.Context(), backend.AllocationRequest{PlayerIDs: []string{"p1"}}); !errors.Is(err, backend.ErrNoCapacity) {
		t.Fatalf("p1 asking again on a lease not renewed: %+v, %v", got, err)
	}

	// The API is back: the next renewal lifts the gate.
	fc.failPatches(nil)
	clk.Add(testRenew)
	l.renew(t.Context())
	if got := place(t, l, "p3"); got.GameServer != name {
		t.Errorf("after a renewal: %+v, want %s", got, name)
	}
}

// TestWatchFeedsTheEngine: the matches list of a leased server is the truth;
// a match that ends gives its room back.
func TestWatchFeedsTheEngine(t *testing.T) {
	fc := newFakeCluster(t, "race", 2, 2)
	clk := newFakeClock()
	l := newTestLeaser(t, fc, "alloc-a", 2, clk, func(c *LeaseConfig) { c.LowWater = 1 })
	if err := l.Watch(t.Context(), fc.informer(t.Context())); err != nil {
		t.Fatal(err)
	}
	a := place(t, l, "p1", "p2")
	b := place(t, l, "p3", "p4")
	if a.GameServer != b.GameServer || a.Match == b.Match {
		t.Fatalf("two matches %+v %+v, want both on one server", a, b)
	}
	l.awaitInflight() // free matches fell below 1: a second lease in the background
	if n := len(fc.fa.requests()); n != 2 {
		t.Fatalf("%d lease allocations, want 2", n)
	}
	fc.startMatch(a.GameServer, a.Match)
	fc.startMatch(a.GameServer, b.Match)
	fc.endMatch(a.GameServer, a.Match)
	testwait.Eventually(t, "the ended match's room is back", func() bool { return l.engine.FreeMatches() == 3 })
}

// A leased server's report of a match waiting for players past the no-show
// window, without one of its placed players, gives that seat to the next
// player once the seat's token has expired.
func TestWatchGivesBackNoShowSeats(t *testing.T) {
	const hold = 3 * time.Second // within the lease's placement gate (2 x renew)
	fc := newFakeCluster(t, "race", 1, 4)
	clk := newFakeClock()
	engine, err := placement.New(placement.Config{SeatsPerMatch: 2, Pending: time.Minute, SeatHold: hold, MatchPrefix: MatchPrefix("alloc-a"), Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	l, err := NewLeaser(fc.client, engine, LeaseConfig{
		Config:    Config{Namespace: fc.ns, Fleet: "race", PortName: "default", Backoff: wait.Backoff{Steps: 4}, APIBackoff: wait.Backoff{Steps: 2}},
		ReplicaID: "alloc-a", MatchesPerServer: 4, Renew: testRenew, Now: clk.Now,
	}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Watch(t.Context(), fc.informer(t.Context())); err != nil {
		t.Fatal(err)
	}
	a := place(t, l, "a")
	if b := place(t, l, "b"); b.Match != a.Match {
		t.Fatalf("b in %s, want a's match %s", b.Match, a.Match)
	}
	fc.startMatch(a.GameServer, a.Match)
	fc.edit(a.GameServer, func(gs *agonesv1.GameServer) {
		gs.Annotations[agoneswire.LobbiesAnnotation] = agoneswire.EncodeLobbies(map[string][]string{a.Match: {"a"}})
	})
	testwait.Eventually(t, "the lobby seen", func() bool { return engine.Stats().Lobbies == 1 })
	clk.Add(hold)
	if c := place(t, l, "c"); c.Match != a.Match || !c.Joined {
		t.Fatalf("c: %+v, want b's seat in a's match %s", c, a.Match)
	}
	// An unreadable report is ignored: the lobby goes.
	fc.edit(a.GameServer, func(gs *agonesv1.GameServer) { gs.Annotations[agoneswire.LobbiesAnnotation] = "{not json" })
	testwait.Eventually(t, "the lobby dropped", func() bool { return engine.Stats().Lobbies == 0 })
}

func TestLeaseDropped(t *testing.T) {
	tests := []struct {
		name string
		// back: the server is back in the pool, where a new lease may
		// find it again.
		back   bool
		change func(fc *fakeCluster, name string)
	}{
		{"closed", false, func(fc *fakeCluster, name string) {
			fc.edit(name, func(gs *agonesv1.GameServer) { gs.Labels[agoneswire.ClosedLabel] = agoneswire.ClosedValue })
		}},
		{"another lessee", false, func(fc *fakeCluster, name string) {
			fc.edit(name, func(gs *agonesv1.GameServer) { gs.Labels[agoneswire.LesseeLabel] = "alloc-b" })
		}},
		{"back to Ready", true, func(fc *fakeCluster, name string) {
			fc.edit(name, func(gs *agonesv1.GameServer) { gs.Status.State = agoneswire.StateReady })
		}},
		{"being deleted", false, func(fc *fakeCluster, name string) {
			fc.edit(name, func(gs *agonesv1.GameServer) { gs.Finalizers = []string{"agones.dev"} })
			if err := fc.client.Delete(context.Background(), fc.get(name)); err != nil {
				fc.t.Fatal(err)
			}
		}},
		{"deleted", false, func(fc *fakeCluster, name string) {
			if err := fc.client.Delete(context.Background(), fc.get(name)); err != nil {
				fc.t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fc := newFakeCluster(t, "race", 2, 4)
			clk := newFakeClock()
			l := newTestLeaser(t, fc, "alloc-a", 4, clk, func(c *LeaseConfig) { c.LowWater = 1 })
			if err := l.Watch(t.Context(), fc.informer(t.Context())); err != nil {
				t.Fatal(err)
			}
			a := place(t, l, "p1")
			// The watch has to show the lease before it can drop it.
			fc.startMatch(a.GameServer, a.Match)
			testwait.Eventually(t, "the lease confirmed", func() bool {
				l.mu.Lock()
				defer l.mu.Unlock()
				return l.leases[a.GameServer] != nil && l.leases[a.GameServer].confirmed
			})
			tt.change(fc, a.GameServer)
			testwait.Eventually(t, "the lease dropped", func() bool {
				// A server back in the pool is the first a new lease finds.
				return !containsName(l.held(), a.GameServer) || (tt.back && len(fc.fa.requests()) == 2)
			})
			l.awaitInflight()
			if got := place(t, l, "p2"); got.GameServer == a.GameServer && !tt.back {
				t.Errorf("placed on the dropped server: %+v", got)
			}
		})
	}
}

func containsName(names []string, name string) bool {
	for _, n := range names {
		if n == name {
			return true
		}
	}
	return false
}

// TestStaleEventsKeepTheLease: events from before the allocation (the
// server as it was in the pool) arrive after it and must not drop it.
func TestStaleEventsKeepTheLease(t *testing.T) {
	fc := newFakeCluster(t, "race", 1, 4)
	clk := newFakeClock()
	l := newTestLeaser(t, fc, "alloc-a", 4, clk, nil)
	before := fc.get("race-0")
	a := place(t, l, "p1")
	l.observe(t.Context(), before)
	if !containsName(l.held(), a.GameServer) {
		t.Fatal("an event from before the lease dropped it")
	}
	// An earlier lease of the same replica, lapsed and closed.
	old := fc.get("race-0")
	old.Labels[agoneswire.ClosedLabel] = agoneswire.ClosedValue
	old.Annotations[agoneswire.LeaseRenewedAnnotation] = stamp(clk.Now().Add(-time.Hour))
	l.observe(t.Context(), old)
	if !containsName(l.held(), a.GameServer) {
		t.Fatal("an event of an earlier lease dropped it")
	}
	l.observe(t.Context(), fc.get("race-0"))
	old.Annotations[agoneswire.LeaseRenewedAnnotation] = stamp(clk.Now())
	l.observe(t.Context(), old)
	if containsName(l.held(), a.GameServer) {
		t.Fatal("a closed server stayed leased")
	}
}

// TestRelease: a leased server without a match, not needed for the
// low-water mark, is no longer renewed.
func TestRelease(t *testing.T) {
	fc := newFakeCluster(t, "race", 3, 4)
	clk := newFakeClock()
	l := newTestLeaser(t, fc, "alloc-a", 4, clk, func(c *LeaseConfig) { c.LowWater = 2 })
	for range 2 {
		if err := l.lease(t.Context(), false); err != nil {
			t.Fatal(err)
		}
	}
	held := l.held()
	if len(held) != 2 {
		t.Fatalf("held %v", held)
	}
	clk.Add(testRenew)
	l.renew(t.Context())
	kept := l.held()
	if len(kept) != 1 {
		t.Fatalf("after a renewal round held %v, want one of %v", kept, held)
	}
	for _, name := range held {
		want := 0
		if name == kept[0] {
			want = 1
		}
		if got := fc.patchCount(name); got != want {
			t.Errorf("%s: %d renewals, want %d", name, got, want)
		}
	}
	// The last one stays: without it the free matches would fall below 2.
	clk.Add(testRenew)
	l.renew(t.Context())
	if got := l.held(); len(got) != 1 {
		t.Errorf("held %v, want %v", got, kept)
	}
}

// TestTwoReplicas: each replica only places on its own leases, and a server
// that lapsed back to the pool from a dead replica is leased again; the dead
// replica's late renewal is refused.
func TestTwoReplicas(t *testing.T) {
	fc := newFakeCluster(t, "race", 2, 2)
	clk := newFakeClock()
	ra := newTestLeaser(t, fc, "alloc-a", 2, clk, func(c *LeaseConfig) { c.LowWater = 1 })
	rb := newTestLeaser(t, fc, "alloc-b", 2, clk, func(c *LeaseConfig) { c.LowWater = 1 })
	aLives, die := context.WithCancel(t.Context())
	if err := ra.Watch(aLives, fc.informer(aLives)); err != nil {
		t.Fatal(err)
	}
	if err := rb.Watch(t.Context(), fc.informer(t.Context())); err != nil {
		t.Fatal(err)
	}
	a := place(t, ra, "a1")
	b := place(t, rb, "b1")
	if a.GameServer == b.GameServer {
		t.Fatalf("both replicas on %s", a.GameServer)
	}
	for i := range 3 {
		if got := place(t, rb, "b"+string(rune('2'+i))); got.GameServer != b.GameServer {
			t.Fatalf("replica b placed on %s, not its lease %s", got.GameServer, b.GameServer)
		}
	}
	rb.awaitInflight()
	if got, err := rb.Allocate(t.Context(), backend.AllocationRequest{PlayerIDs: []string{"b9"}}); !errors.Is(err, backend.ErrNoCapacity) {
		t.Fatalf("replica b placed beyond its lease: %+v, %v", got, err)
	}
	// Replica a dies: its server lapses, finishes its match and returns to
	// the pool (the game server's side).
	die()
	ra.awaitInflight()
	fc.edit(a.GameServer, func(gs *agonesv1.GameServer) {
		gs.Status.State = agoneswire.StateReady
	})
	clk.Add(unallocatedHold)
	got, err := rb.Allocate(t.Context(), backend.AllocationRequest{PlayerIDs: []string{"b10"}})
	if err != nil || got.GameServer != a.GameServer {
		t.Fatalf("replica b got %+v, %v; want the lapsed server %s", got, err, a.GameServer)
	}
	if gs := fc.get(a.GameServer); gs.Labels[agoneswire.LesseeLabel] != "alloc-b" {
		t.Fatalf("lapsed server labels %v", gs.Labels)
	}
	// Replica a comes back to life: its renewal must not revive its lease.
	leasedAt := clk.Now()
	clk.Add(time.Second)
	ra.renew(t.Context())
	if containsName(ra.held(), a.GameServer) {
		t.Error("replica a still holds a server replica b leased")
	}
	ra.awaitInflight()
	if gs := fc.get(a.GameServer); gs.Annotations[agoneswire.LeaseRenewedAnnotation] != stamp(leasedAt) || gs.Labels[agoneswire.LesseeLabel] != "alloc-b" {
		t.Errorf("server after a's late renewal: %v %v", gs.Labels, gs.Annotations)
	}
}

func TestLeaseNoCapacity(t *testing.T) {
	fc := newFakeCluster(t, "race", 0, 4)
	clk := newFakeClock()
	l := newTestLeaser(t, fc, "alloc-a", 4, clk, nil)
	for i := range 3 {
		_, err := l.Allocate(t.Context(), backend.AllocationRequest{PlayerIDs: []string{"p1"}})
		if !errors.Is(err, backend.ErrNoCapacity) {
			t.Fatalf("attempt %d: %v, want ErrNoCapacity", i, err)
		}
	}
	if n := len(fc.fa.requests()); n != 1 {
		t.Errorf("%d allocations within the hold after UnAllocated, want 1", n)
	}
	clk.Add(unallocatedHold)
	_, _ = l.Allocate(t.Context(), backend.AllocationRequest{PlayerIDs: []string{"p1"}})
	if n := len(fc.fa.requests()); n != 2 {
		t.Errorf("%d allocations after the hold, want 2", n)
	}
}

func TestLeaseAPIDown(t *testing.T) {
	fc := newFakeCluster(t, "race", 1, 4)
	fc.fa.err = apierrors.NewServiceUnavailable("down")
	l := newTestLeaser(t, fc, "alloc-a", 4, newFakeClock(), nil)
	_, err := l.Allocate(t.Context(), backend.AllocationRequest{PlayerIDs: []string{"p1"}})
	if !errors.Is(err, backend.ErrUnavailable) {
		t.Fatalf("err %v, want ErrUnavailable", err)
	}
}

func TestLeaseAllocationWaitIsBoundedByTheRequest(t *testing.T) {
	fc := newFakeCluster(t, "race", 1, 4)
	l := newTestLeaser(t, fc, "alloc-a", 4, newFakeClock(), nil)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := l.Allocate(ctx, backend.AllocationRequest{PlayerIDs: []string{"p1"}}); !errors.Is(err, backend.ErrUnavailable) || !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want ErrUnavailable and the request's end", err)
	}
	l.awaitInflight() // the lease goes on for the next match
	if got := place(t, l, "p1"); got.GameServer != "race-0" {
		t.Errorf("got %+v", got)
	}
}

func TestNewLeaserRefusesBadConfig(t *testing.T) {
	fc := newFakeCluster(t, "race", 0, 4)
	engine, err := placement.New(placement.Config{SeatsPerMatch: 2, Pending: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	good := LeaseConfig{Config: Config{Namespace: "games", Fleet: "race", PortName: "default"}, ReplicaID: "a", MatchesPerServer: 4}
	for name, edit := range map[string]func(*LeaseConfig){
		"no replica id":      func(c *LeaseConfig) { c.ReplicaID = "" },
		"replica id":         func(c *LeaseConfig) { c.ReplicaID = "not a label value!" },
		"one match":          func(c *LeaseConfig) { c.MatchesPerServer = 1 },
		"beyond Agones list": func(c *LeaseConfig) { c.MatchesPerServer = 1001 },
		"negative renew":     func(c *LeaseConfig) { c.Renew = -time.Second },
		"no fleet":           func(c *LeaseConfig) { c.Fleet = "" },
	} {
		t.Run(name, func(t *testing.T) {
			cfg := good
			edit(&cfg)
			if _, err := NewLeaser(fc.client, engine, cfg, nil, nil); err == nil {
				t.Error("accepted")
			}
		})
	}
	if _, err := NewLeaser(fc.client, engine, good, nil, nil); err != nil {
		t.Errorf("good config: %v", err)
	}
}

func TestMatchPrefix(t *testing.T) {
	a, b := MatchPrefix("leapfrog-allocator-7d9f8c6b5-x2k4q"), MatchPrefix("leapfrog-allocator-7d9f8c6b5-x2k4r")
	if a == b || len(a) > 12 || a != MatchPrefix("leapfrog-allocator-7d9f8c6b5-x2k4q") {
		t.Errorf("prefixes %q %q", a, b)
	}
}

func TestLeaseMetrics(t *testing.T) {
	fc := newFakeCluster(t, "race", 1, 4)
	clk := newFakeClock()
	reg := prometheus.NewRegistry()
	l := newTestLeaser(t, fc, "alloc-a", 4, clk, nil)
	var err error
	if l.metrics, err = newLeaseMetrics(reg, l); err != nil {
		t.Fatal(err)
	}
	place(t, l, "p1")
	place(t, l, "p2")
	clk.Add(testRenew)
	l.renew(t.Context())
	for metric, wantValue := range map[string]float64{
		`leapfrog_allocator_leases`:                                        1,
		`leapfrog_allocator_lease_free_races`:                              3,
		`leapfrog_allocator_lease_waiting_races`:                           0,
		`leapfrog_allocator_lease_allocations_total{result="allocated"}`:   1,
		`leapfrog_allocator_lease_allocations_total{result="unallocated"}`: 0,
		`leapfrog_allocator_lease_renewals_total{result="ok"}`:             1,
		`leapfrog_allocator_lease_placements_total{race="new"}`:            1,
		`leapfrog_allocator_lease_placements_total{race="joined"}`:         1,
		`leapfrog_allocator_lease_races{state="pending"}`:                  1,
		`leapfrog_allocator_lease_races{state="started"}`:                  0,
	} {
		if got := gathered(t, reg, metric); got != wantValue {
			t.Errorf("%s = %v, want %v", metric, got, wantValue)
		}
	}
}

// gathered is the value of one series, written name{label="value"}.
func gathered(t *testing.T, reg *prometheus.Registry, series string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	name, labels, _ := strings.Cut(strings.TrimSuffix(series, "}"), "{")
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			var got []string
			for _, lp := range m.GetLabel() {
				got = append(got, lp.GetName()+`="`+lp.GetValue()+`"`)
			}
			if strings.Join(got, ",") == labels {
				if m.GetCounter() != nil {
					return m.GetCounter().GetValue()
				}
				return m.GetGauge().GetValue()
			}
		}
	}
	t.Fatalf("no series %s", series)
	return 0
}

// BenchmarkLeaserAllocate measures a match in high density on leased servers:
// in memory, no Kubernetes call. Placed matches that never start expire (the
// engine's pending window) as the fake clock moves on; the renewal period is
// long enough that the gate never closes.
func BenchmarkLeaserAllocate(b *testing.B) {
	const servers, perServer = 20, 1000
	fc := newFakeCluster(b, "race", servers, perServer)
	clk := newFakeClock()
	engine, err := placement.New(placement.Config{SeatsPerMatch: 2, Pending: time.Minute, MatchPrefix: MatchPrefix("bench"), Now: clk.Now})
	if err != nil {
		b.Fatal(err)
	}
	l, err := NewLeaser(fc.client, engine, LeaseConfig{
		Config:    Config{Namespace: fc.ns, Fleet: "race", PortName: "default"},
		ReplicaID: "bench", MatchesPerServer: perServer, LowWater: 1, Renew: time.Hour, Now: clk.Now,
	}, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	for range servers {
		if err := l.lease(b.Context(), false); err != nil {
			b.Fatal(err)
		}
	}
	ids := make([]string, servers*perServer) // two players a match: half the room per round
	for i := range ids {
		ids[i] = fmt.Sprintf("p%d", i)
	}
	req := backend.AllocationRequest{PlayerIDs: make([]string, 1)}
	i := 0
	for b.Loop() {
		if i%len(ids) == 0 {
			clk.Add(time.Minute) // the last round's placements expire
		}
		req.PlayerIDs[0] = ids[i%len(ids)]
		if _, err := l.Allocate(b.Context(), req); err != nil {
			b.Fatalf("match %d: %v", i, err)
		}
		i++
	}
}
