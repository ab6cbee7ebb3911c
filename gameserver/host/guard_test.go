package host_test

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/leapfrog-games/leapfrog/contract/agoneswire"
	racev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/race/v1"
	"github.com/leapfrog-games/leapfrog/gameserver/agonessdk"
	"github.com/leapfrog-games/leapfrog/gameserver/host"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime"
	"github.com/leapfrog-games/leapfrog/internal/panicguard/panicguardtest"
	"github.com/leapfrog-games/leapfrog/internal/testwait"
)

const hostPanics = "leapfrog_host_panics_total"

// panicking makes the first n games of c panic in their constructor.
func panicking(c *host.Config, n int32) {
	newGame := c.NewGame
	var left atomic.Int32
	left.Store(n)
	c.NewGame = func() (realtime.Game, error) {
		if left.Add(-1) >= 0 {
			panic("test: a game that cannot be built")
		}
		return newGame()
	}
}

// guarded points c's logs and metrics at logs and reg.
func guarded(c *host.Config, logs *panicguardtest.Log, reg *prometheus.Registry) {
	c.Logger = logs.Logger()
	c.Metrics = host.NewMetrics(reg)
}

// recovered checks that the panic logged next was recovered at where, with
// a stack through file, and counted once.
func recovered(t *testing.T, logs *panicguardtest.Log, reg *prometheus.Registry, where, file string) {
	t.Helper()
	p := logs.Next(t)
	if p.Where != where || !strings.Contains(p.Stack, file) {
		t.Errorf("logged a panic at %q with a stack not through %s: %+v", p.Where, file, p)
	}
	testwait.Eventually(t, hostPanics+"{where="+where+"} at 1", func() bool {
		return panicguardtest.Count(t, reg, hostPanics, where) == 1
	})
}

// playOut plays a match of two players to its end.
func playOut(t *testing.T, a, b *player) {
	t.Helper()
	results := make(chan *racev1.RaceResult, 2)
	go a.play(results)
	go b.play(results)
	if r1, r2 := <-results, <-results; r1 == nil || r2 == nil || r1.WinnerPlayerId != r2.WinnerPlayerId {
		t.Fatalf("results %v / %v", r1, r2)
	}
}

func TestConstructorPanicRefusesOnlyItsMatch(t *testing.T) {
	logs := panicguardtest.NewLog()
	rs := startMatches(t, 2, host.AfterShutdown, func(c *host.Config) {
		panicking(c, 1)
		c.Logger = logs.Logger()
	})
	if p, e, _ := rs.connectWith(t, "mallory", rs.token(t, "mallory", "boom")); p != nil || e == nil {
		t.Fatalf("a player of a match whose game panicked: welcomed %v, error %v; want an error", p != nil, e)
	}
	p := logs.Next(t)
	if p.Where != "new_game" || !strings.Contains(p.Stack, "guard_test.go") {
		t.Errorf("logged %+v, want the constructor's panic with its stack", p)
	}
	if got := rs.metric(t, hostPanics, "new_game"); got != 1 {
		t.Errorf("%s{where=new_game} = %v, want 1", hostPanics, got)
	}
	// The server is sound and its other matches play.
	playOut(t, rs.join(t, "alice", "r1"), rs.join(t, "bob", "r1"))
	if !rs.host.Healthy() || !rs.host.Ready() {
		t.Error("a game's constructor panic left the server unhealthy or not ready")
	}
}

func TestSessionGoroutinePanicEndsOnlyItsMatch(t *testing.T) {
	logs := panicguardtest.NewLog()
	host.PanicInSession(t, "boom")
	rs := startMatches(t, 2, host.AfterShutdown, func(c *host.Config) {
		c.Logger = logs.Logger()
		c.Realtime.HandshakeTimeout = time.Second // the panicked match answers no join
	})
	if p, e, _ := rs.connectWith(t, "mallory", rs.token(t, "mallory", "boom")); p != nil || e == nil {
		t.Fatalf("a player of a match whose goroutine panicked: welcomed %v, error %v; want an error", p != nil, e)
	}
	p := logs.Next(t)
	if p.Where != "session" || !strings.Contains(p.Stack, "export_test.go") {
		t.Errorf("logged %+v, want the session goroutine's panic with its stack", p)
	}
	testwait.Eventually(t, hostPanics+"{where=session} at 1", func() bool { return rs.metric(t, hostPanics, "session") == 1 })
	testwait.Eventually(t, "the panicked match counted as crashed", func() bool {
		return rs.metric(t, "leapfrog_host_races_ended_total", realtime.OutcomeCrashed) == 1
	})
	// Its slot is free and the other matches play on a sound server.
	playOut(t, rs.join(t, "alice", "r1"), rs.join(t, "bob", "r1"))
	rs.join(t, "carol", "r2")
	if !rs.host.Healthy() {
		t.Error("a match's goroutine panic left the server unhealthy")
	}
}

func TestConstructorPanicRefusesTheAllocationAndTheServerIsReused(t *testing.T) {
	logs, reg := panicguardtest.NewLog(), prometheus.NewRegistry()
	st := startStackWith(t, fastGame(), host.AfterReady, func(c *host.Config) {
		panicking(c, 1)
		guarded(c, logs, reg)
	})
	if _, err := st.mem.ClusterAllocate([]string{"mallory"}); err != nil {
		t.Fatal(err)
	}
	recovered(t, logs, reg, "new_game", "guard_test.go")
	// Refused and back in the pool, healthy, with an empty list.
	st.waitFor(t, "back in the Ready pool with an empty players list", func(gs *agonessdk.GameServer) bool {
		return gs.Status.State == agoneswire.StateReady && len(gs.Status.Lists[agoneswire.PlayersList].Values) == 0
	})
	if !st.host.Healthy() {
		t.Error("a game's constructor panic left the server unhealthy")
	}
	// The next allocation plays.
	a, b := st.allocatePair(t, "alice", "bob")
	playOut(t, a, b)
}

func TestSessionGoroutinePanicReplacesAServerOfOneMatch(t *testing.T) {
	logs, reg := panicguardtest.NewLog(), prometheus.NewRegistry()
	host.PanicInSession(t, "race-1")
	st := startStackWith(t, fastGame(), host.AfterReady, func(c *host.Config) { guarded(c, logs, reg) })
	if _, err := st.mem.ClusterAllocate([]string{"alice"}); err != nil {
		t.Fatal(err)
	}
	recovered(t, logs, reg, "session", "export_test.go")
	// As after any crash of its one session: the server is replaced.
	st.waitState(t, agoneswire.StateShutdown)
	if st.host.Healthy() {
		t.Error("the host says it is healthy after its session crashed")
	}
}

func TestHostLoopsRestartAfterAPanic(t *testing.T) {
	for _, where := range []string{"health", "watch"} {
		t.Run(where, func(t *testing.T) {
			logs, reg := panicguardtest.NewLog(), prometheus.NewRegistry()
			host.PanicInLoop(t, where, 1)
			st := startStackWith(t, fastGame(), host.AfterShutdown, func(c *host.Config) { guarded(c, logs, reg) })
			recovered(t, logs, reg, where, "export_test.go")
			// Restarted: health pings go on, and an allocation is seen and plays.
			pings := st.mem.HealthCount()
			testwait.Eventually(t, "health pings after the restart", func() bool { return st.mem.HealthCount() > pings+2 })
			a, b := st.allocatePair(t, "alice", "bob")
			playOut(t, a, b)
		})
	}
}
