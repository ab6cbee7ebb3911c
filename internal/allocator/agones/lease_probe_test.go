package agones

import (
	"context"
	"sync"
	"testing"

	"github.com/leapfrog-games/leapfrog/internal/allocator/reach"
	"github.com/leapfrog-games/leapfrog/internal/testwait"
)

// fakeProber answers by server name with the verdict the test sets (Unknown
// by default) and counts the checks.
type fakeProber struct {
	mu       sync.Mutex
	verdicts map[string]reach.Verdict
	checks   map[string]int
	forgot   []string
}

func newFakeProber() *fakeProber {
	return &fakeProber{verdicts: map[string]reach.Verdict{}, checks: map[string]int{}}
}

func (p *fakeProber) Check(_ context.Context, t reach.Target) reach.Verdict {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.checks[t.Name]++
	if v, ok := p.verdicts[t.Name]; ok {
		return v
	}
	return reach.Unknown
}

func (p *fakeProber) Forget(name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.forgot = append(p.forgot, name)
}

func (p *fakeProber) set(name string, v reach.Verdict) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.verdicts[name] = v
}

func (p *fakeProber) count(name string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.checks[name]
}

// TestUnreachableLeaseLosesItsPlayers: a player placed on a leased server
// who asks again makes the Leaser check the server; found unreachable, the
// server leaves placement and its players asking again are placed afresh,
// together, on a live server; the renewal's probe brings it back once it
// answers again. Without a Prober (nil) nothing changes.
func TestUnreachableLeaseLosesItsPlayers(t *testing.T) {
	tests := []struct {
		name    string
		verdict reach.Verdict
		// moved: the players asking again are placed on another server.
		moved bool
	}{
		{"unreachable", reach.Unreachable, true},
		{"reachable", reach.Reachable, false},
		{"unknown (never reached)", reach.Unknown, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fc := newFakeCluster(t, "race", 2, 4)
			clk := newFakeClock()
			prober := newFakeProber()
			l := newTestLeaser(t, fc, "alloc-a", 4, clk, func(c *LeaseConfig) { c.Probe = prober; c.LowWater = 1 })
			a := place(t, l, "a")
			b := place(t, l, "b")
			if b.GameServer != a.GameServer || b.Match != a.Match {
				t.Fatalf("b %+v, want a's match %+v", b, a)
			}
			testwait.Eventually(t, "the lease's first probe", func() bool { return prober.count(a.GameServer) == 1 })

			prober.set(a.GameServer, tt.verdict)
			a2 := place(t, l, "a")
			if prober.count(a.GameServer) != 2 {
				t.Fatalf("%d checks of %s, want one more when a asked again", prober.count(a.GameServer), a.GameServer)
			}
			b2 := place(t, l, "b")
			if moved := a2.GameServer != a.GameServer; moved != tt.moved {
				t.Fatalf("a asking again: %+v (was on %s): moved %v, want %v", a2, a.GameServer, moved, tt.moved)
			}
			if b2.GameServer != a2.GameServer || b2.Match != a2.Match {
				t.Fatalf("b asking again: %+v, want a's match %+v", b2, a2)
			}
			if !tt.moved {
				return
			}
			if a2.Joined || a2.Match == a.Match {
				t.Fatalf("a placed afresh: %+v, want a new match", a2)
			}
			// Nothing new goes to the unreachable server.
			for _, p := range []string{"c", "d", "e"} {
				if got := place(t, l, p); got.GameServer == a.GameServer {
					t.Fatalf("%s placed on the unreachable server: %+v", p, got)
				}
			}
			// Reachable again: the renewal's probe brings it back.
			prober.set(a.GameServer, reach.Reachable)
			clk.Add(testRenew)
			l.renew(t.Context())
			testwait.Eventually(t, "the server back in placement", func() bool { return l.engine.Stats().Unreachable == 0 })
			if !containsName(l.held(), a.GameServer) {
				t.Fatalf("leases %v, want %s still held", l.held(), a.GameServer)
			}
		})
	}
	t.Run("no prober", func(t *testing.T) {
		fc := newFakeCluster(t, "race", 2, 4)
		l := newTestLeaser(t, fc, "alloc-a", 4, newFakeClock(), nil)
		a := place(t, l, "a")
		if again := place(t, l, "a"); again.GameServer != a.GameServer || again.Match != a.Match {
			t.Fatalf("asking again without a prober: %+v, want %+v", again, a)
		}
	})
}

// TestDroppedLeaseIsForgottenByTheProber: a lease dropped (here the server
// deleted) is no longer probed.
func TestDroppedLeaseIsForgottenByTheProber(t *testing.T) {
	fc := newFakeCluster(t, "race", 1, 4)
	prober := newFakeProber()
	l := newTestLeaser(t, fc, "alloc-a", 4, newFakeClock(), func(c *LeaseConfig) { c.Probe = prober })
	if err := l.Watch(t.Context(), fc.informer(t.Context())); err != nil {
		t.Fatal(err)
	}
	a := place(t, l, "a")
	if err := fc.client.Delete(context.Background(), fc.get(a.GameServer)); err != nil {
		t.Fatal(err)
	}
	testwait.Eventually(t, "the lease dropped", func() bool { return !containsName(l.held(), a.GameServer) })
	prober.mu.Lock()
	defer prober.mu.Unlock()
	if !containsName(prober.forgot, a.GameServer) {
		t.Fatalf("forgotten %v, want %s", prober.forgot, a.GameServer)
	}
}
