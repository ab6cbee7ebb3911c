package agones

import (
	"context"
	"slices"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/leapfrog-games/leapfrog/contract/agonesv1"
	"github.com/leapfrog-games/leapfrog/contract/agoneswire"
	"github.com/leapfrog-games/leapfrog/internal/testwait"
)

// setEvents is an informer of GameServerSets the test feeds by hand.
type setEvents struct {
	handler toolscache.ResourceEventHandler
}

func (s *setEvents) AddEventHandler(h toolscache.ResourceEventHandler) (toolscache.ResourceEventHandlerRegistration, error) {
	s.handler = h
	return nil, nil
}

func (s *setEvents) add(name string, created time.Time) {
	s.handler.OnAdd(&agonesv1.GameServerSet{ObjectMeta: metav1.ObjectMeta{Name: name, CreationTimestamp: metav1.NewTime(created)}}, false)
}

func (s *setEvents) remove(name string) {
	s.handler.OnDelete(&agonesv1.GameServerSet{ObjectMeta: metav1.ObjectMeta{Name: name}})
}

// inSet puts the cluster's GameServer i in GameServerSet set, in state.
func (fc *fakeCluster) inSet(name, set string, state agoneswire.GameServerState) {
	fc.edit(name, func(gs *agonesv1.GameServer) {
		gs.Labels[agoneswire.GameServerSetLabel] = set
		gs.Status.State = state
	})
}

// TestRolloutMovesMatchesToTheNewGeneration follows a Fleet rollout: the
// replica places on its lease of the old GameServerSet until it holds one of
// the new, then only on the new; the old server finishes its match, is
// released once idle (even below the low-water mark) and is never leased
// again.
func TestRolloutMovesMatchesToTheNewGeneration(t *testing.T) {
	fc := newFakeCluster(t, "race", 4, 4)
	fc.inSet("race-0", "race-old", agoneswire.StateReady)
	fc.inSet("race-1", "race-old", agoneswire.StateReady)
	fc.inSet("race-2", "race-new", "Creating")
	fc.inSet("race-3", "race-new", "Creating")
	clk := newFakeClock()
	l := newTestLeaser(t, fc, "alloc-a", 4, clk, func(c *LeaseConfig) { c.LowWater = 1 })
	if err := l.Watch(t.Context(), fc.informer(t.Context())); err != nil {
		t.Fatal(err)
	}
	sets := &setEvents{}
	if err := l.WatchSets(t.Context(), sets); err != nil {
		t.Fatal(err)
	}
	sets.add("race-old", clk.Now())
	old := place(t, l, "p1", "p2")
	fc.startMatch(old.GameServer, old.Match)

	// The new generation appears with no Ready server yet: the old lease
	// goes on taking matches.
	sets.add("race-new", clk.Now().Add(time.Minute))
	l.awaitInflight()
	if got := place(t, l, "p3"); got.GameServer != old.GameServer {
		t.Fatalf("p3 on %s before the new generation has room, want the old lease %s", got.GameServer, old.GameServer)
	}
	// Its server is Ready: the next lease round takes it and the old
	// server takes no new match.
	fc.inSet("race-2", "race-new", agoneswire.StateReady)
	clk.Add(unallocatedHold)
	l.mu.Lock()
	l.startGenerationLeaseLocked(t.Context())
	l.mu.Unlock()
	l.awaitInflight()
	if !containsName(l.held(), "race-2") {
		t.Fatalf("held %v, want the new generation's race-2", l.held())
	}
	for _, p := range []string{"p4", "p5", "p6"} {
		if got := place(t, l, p); got.GameServer != "race-2" {
			t.Fatalf("%s on %s, want the new generation's race-2", p, got.GameServer)
		}
	}
	// Every request asked the current generation first.
	reqs := fc.fa.requests()
	last := reqs[len(reqs)-1]
	if sel := last.Spec.Selectors; len(sel) != 1 || sel[0].MatchLabels[agoneswire.GameServerSetLabel] != "race-new" {
		t.Errorf("generation lease selectors %+v, want race-new only", sel)
	}

	// The old match ends, but p3's match, placed and never started, keeps
	// the old server until the place hold lets it go; the next event of
	// the server then ends the lease at once, though the free matches are
	// then below the low-water mark: it is never renewed again, and its
	// GameServer is deleted rather than left to lapse.
	fc.endMatch(old.GameServer, old.Match)
	testwait.Eventually(t, "the old match's end seen", func() bool { return l.engine.Stats().Started == 0 })
	if !containsName(l.held(), old.GameServer) {
		t.Fatalf("held %v with p3's match pending on the old server, want it kept", l.held())
	}
	clk.Add(time.Minute)
	renewed := fc.patchCount(old.GameServer)
	fc.edit(old.GameServer, func(gs *agonesv1.GameServer) { gs.Annotations["note"] = "any change" })
	testwait.Eventually(t, "the idle old server released", func() bool { return !containsName(l.held(), old.GameServer) })
	testwait.Eventually(t, "the idle old server deleted", func() bool {
		var gs agonesv1.GameServer
		return apierrors.IsNotFound(fc.client.Get(t.Context(), client.ObjectKey{Namespace: fc.ns, Name: old.GameServer}, &gs))
	})
	l.renew(t.Context())
	if got := fc.patchCount(old.GameServer); got != renewed {
		t.Errorf("old server renewed %d times after its release, want %d", got, renewed)
	}

	// A lease needed for room asks for the new generation first: it takes
	// match-3, not the old generation's Ready match-1.
	fc.inSet("race-3", "race-new", agoneswire.StateReady)
	if err := l.lease(t.Context(), false); err != nil {
		t.Fatal(err)
	}
	if held := l.held(); containsName(held, "race-1") || !containsName(held, "race-3") {
		t.Errorf("held %v after a lease for room, want race-3 and not the old race-1", held)
	}
}

// TestGenerationLeaseSelectors: the lease request per generation state.
func TestGenerationLeaseSelectors(t *testing.T) {
	fc := newFakeCluster(t, "race", 0, 4)
	l := newTestLeaser(t, fc, "alloc-a", 4, newFakeClock(), nil)
	for _, tc := range []struct {
		name string
		set  string
		only bool
		want []string // the GameServerSet label of each selector ("" none)
	}{
		{"no generation known", "", false, []string{""}},
		{"no generation known, only", "", true, []string{""}},
		{"room: the current generation first", "race-b", false, []string{"race-b", ""}},
		{"moving to a generation", "race-b", true, []string{"race-b"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, sel := range l.leaseAllocation(time.Now(), tc.set, tc.only).Spec.Selectors {
				if sel.MatchLabels[agoneswire.FleetLabel] != "race" || sel.GameServerState != agoneswire.StateReady {
					t.Errorf("selector %+v: not a Ready server of the fleet", sel)
				}
				got = append(got, sel.MatchLabels[agoneswire.GameServerSetLabel])
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("selector sets %q, want %q", got, tc.want)
			}
		})
	}
}

// TestNewestGameServerSetIsCurrent: the newest set is current, a tie goes
// to the greater name, and deleting the newest falls back to the next.
func TestNewestGameServerSetIsCurrent(t *testing.T) {
	fc := newFakeCluster(t, "race", 0, 4)
	l := newTestLeaser(t, fc, "alloc-a", 4, newFakeClock(), nil)
	sets := &setEvents{}
	if err := l.WatchSets(t.Context(), sets); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	current := func() string {
		l.mu.Lock()
		defer l.mu.Unlock()
		return l.current
	}
	for _, step := range []struct {
		do   func()
		want string
	}{
		{func() { sets.add("race-a", at) }, "race-a"},
		{func() { sets.add("race-c", at.Add(time.Minute)) }, "race-c"},
		{func() { sets.add("race-b", at.Add(time.Minute)) }, "race-c"},
		{func() { sets.add("race-d", at.Add(time.Minute)) }, "race-d"},
		{func() { sets.remove("race-d") }, "race-c"},
		{func() { sets.remove("race-c"); sets.remove("race-b"); sets.remove("race-a") }, ""},
	} {
		step.do()
		l.awaitInflight()
		if got := current(); got != step.want {
			t.Fatalf("current %q, want %q", got, step.want)
		}
	}
}

// TestFullNewGenerationFallsBackToTheOld: while the current generation's
// lease is full and none more of it is Ready, a match goes to a retired
// server of the old generation instead of being turned away; the next lease
// of the current generation retires the old one again.
func TestFullNewGenerationFallsBackToTheOld(t *testing.T) {
	fc := newFakeCluster(t, "race", 3, 2)
	fc.inSet("race-0", "race-old", agoneswire.StateReady)
	fc.inSet("race-1", "race-new", "Creating")
	fc.inSet("race-2", "race-new", "Creating")
	clk := newFakeClock()
	l := newTestLeaser(t, fc, "alloc-a", 2, clk, func(c *LeaseConfig) { c.LowWater = 1 })
	sets := &setEvents{}
	if err := l.WatchSets(t.Context(), sets); err != nil {
		t.Fatal(err)
	}
	sets.add("race-old", clk.Now())
	if got := place(t, l, "p1"); got.GameServer != "race-0" {
		t.Fatalf("p1 on %s, want race-0", got.GameServer)
	}
	fc.inSet("race-1", "race-new", agoneswire.StateReady)
	sets.add("race-new", clk.Now().Add(time.Minute))
	l.awaitInflight()
	// match-1's two matches: p2 (joining nobody: p1's match is retired) and p3.
	for _, p := range []string{"p2", "p3", "p4", "p5"} {
		if got := place(t, l, p); got.GameServer != "race-1" {
			t.Fatalf("%s on %s, want the new generation's race-1", p, got.GameServer)
		}
	}
	l.awaitInflight()
	clk.Add(unallocatedHold)
	// match-1 is full and no server of the new generation is Ready: the old
	// one takes the next player rather than nobody.
	if got := place(t, l, "p6"); got.GameServer != "race-0" {
		t.Fatalf("p6 on %s, want the old race-0 while the new generation is full", got.GameServer)
	}
	l.awaitInflight()
	fc.inSet("race-2", "race-new", agoneswire.StateReady)
	clk.Add(unallocatedHold)
	if err := l.lease(t.Context(), true); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"p7", "p8"} {
		if got := place(t, l, p); got.GameServer != "race-2" {
			t.Fatalf("%s on %s, want race-2: the old generation retired again", p, got.GameServer)
		}
	}
}

// TestStopHandsLeasesBack: a replica that stops deletes its idle leased
// servers at once and leaves the one with a match to lapse, and leases
// nothing more.
func TestStopHandsLeasesBack(t *testing.T) {
	fc := newFakeCluster(t, "race", 3, 2)
	clk := newFakeClock()
	l := newTestLeaser(t, fc, "alloc-a", 2, clk, func(c *LeaseConfig) { c.LowWater = 1 })
	busy := place(t, l, "p1", "p2")
	l.awaitInflight()
	if err := l.lease(t.Context(), false); err != nil {
		t.Fatal(err)
	}
	held := l.held()
	if len(held) != 2 {
		t.Fatalf("held %v, want two leases", held)
	}
	ctx, stop := context.WithCancel(t.Context())
	stop()
	if err := l.Start(ctx); err != nil {
		t.Fatal(err)
	}
	for _, name := range held {
		var gs agonesv1.GameServer
		err := fc.client.Get(t.Context(), client.ObjectKey{Namespace: fc.ns, Name: name}, &gs)
		if deleted := apierrors.IsNotFound(err); deleted != (name != busy.GameServer) {
			t.Errorf("%s deleted %v (err %v), want only the idle one deleted", name, deleted, err)
		}
	}
	if got := len(fc.fa.requests()); got != 2 {
		t.Errorf("%d lease allocations, want the 2 before the stop", got)
	}
}
