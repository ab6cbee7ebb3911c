package host_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/leapfrog-games/leapfrog/contract/agoneswire"
	racev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/race/v1"
	realtimev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/realtime/v1"
	"github.com/leapfrog-games/leapfrog/contract/token"
	"github.com/leapfrog-games/leapfrog/gameserver/agonessdk"
	"github.com/leapfrog-games/leapfrog/gameserver/agonessdk/sdktest"
	"github.com/leapfrog-games/leapfrog/gameserver/host"
	"github.com/leapfrog-games/leapfrog/internal/testwait"
)

// matchStack is a high-density game server whose leases are timed on a fake
// clock, as are the tokens its issuer mints.
type matchStack struct {
	*stack
	clock *sdktest.FakeClock
	reg   *prometheus.Registry
}

const leaseTTL = 15 * time.Second

// startMatches runs a server of n matches; a match whose players are all gone
// ends 300 ms later.
func startMatches(t *testing.T, n int, after string, tweak func(*host.Config), wrap ...func(agonessdk.SDK) agonessdk.SDK) *matchStack {
	t.Helper()
	// Whole seconds, as token issue times are: a token minted at the lapse
	// is then exactly as old as the lapse, not a fraction older.
	clock := sdktest.NewFakeClock(time.Now().Truncate(time.Second))
	reg := prometheus.NewRegistry()
	metrics := host.NewMetrics(reg)
	g := fastGame()
	g.WaitForPlayers = 300 * time.Millisecond
	st := startHost(t, agonessdk.MemoryConfig{
		Name: "race-1", Address: "127.0.0.1",
		Lists: map[string]agonessdk.List{agoneswire.MatchesList: {Capacity: agonessdk.Int64(n)}},
	}, clock.Now, func(issuer *token.Issuer, log *slog.Logger) host.Config {
		cfg := g.HostConfig(issuer, nil, nil, log)
		cfg.AfterSession = after
		cfg.MatchesPerServer = n
		cfg.LeaseTTL = leaseTTL
		cfg.Clock = clock
		cfg.Metrics = metrics
		cfg.DrainGrace = time.Second
		cfg.Realtime.MaxConnectionsPerIP = 1000 // every player is on 127.0.0.1
		if tweak != nil {
			tweak(&cfg)
		}
		return cfg
	}, wrap...)
	return &matchStack{stack: st, clock: clock, reg: reg}
}

// token mints a token for player id in match, issued now on the fake clock.
func (rs *matchStack) token(t *testing.T, id, match string) string {
	t.Helper()
	raw, _, err := rs.issuer.MintMatchSession(id, "race-1", match, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// join connects player id to match and fails unless it is welcomed into it.
func (rs *matchStack) join(t *testing.T, id, match string) *player {
	t.Helper()
	return rs.joinWith(t, id, match, rs.token(t, id, match))
}

func (rs *matchStack) joinWith(t *testing.T, id, match, raw string) *player {
	t.Helper()
	p, e, code := rs.connectWith(t, id, raw)
	if p == nil {
		t.Fatalf("%s refused from match %s: %v (close %d)", id, match, e, code)
	}
	if p.welcome.SessionId != match {
		t.Fatalf("%s welcomed into session %q, want match %q", id, p.welcome.SessionId, match)
	}
	return p
}

// refused connects with raw and fails unless the server refuses it with
// code, close code and a message containing text.
func (rs *matchStack) refused(t *testing.T, raw string, code realtimev1.Error_Code, closeCode int, text string) {
	t.Helper()
	p, e, cc := rs.connectWith(t, "someone", raw)
	if p != nil {
		t.Fatalf("welcomed into %q, want %v", p.welcome.SessionId, code)
	}
	if e.GetCode() != code || cc != closeCode || !strings.Contains(e.GetMessage(), text) {
		t.Fatalf("refused with %v (close %d), want %v (close %d) saying %q", e, cc, code, closeCode, text)
	}
}

// waitMatches waits for the matches list to hold exactly matches, in any order.
func (rs *matchStack) waitMatches(t *testing.T, matches ...string) {
	t.Helper()
	slices.Sort(matches)
	rs.waitFor(t, fmt.Sprintf("matches list %v", matches), func(gs *agonessdk.GameServer) bool {
		got := slices.Sorted(slices.Values(gs.Status.Lists[agoneswire.MatchesList].Values))
		return slices.Equal(got, matches)
	})
}

// waitTimer waits until the host armed a timer for at on the fake clock.
func (rs *matchStack) waitTimer(t *testing.T, at time.Time) {
	t.Helper()
	testwait.Eventually(t, fmt.Sprintf("a timer armed for %v", at), func() bool {
		next, ok := rs.clock.Next()
		return ok && next.Equal(at)
	}, testwait.Within(20*time.Second))
}

// lease allocates the server as an allocator's lease does.
func (rs *matchStack) lease(t *testing.T) {
	t.Helper()
	if _, err := rs.mem.AllocateWith(agonessdk.Allocation{
		Labels:      map[string]string{agoneswire.LesseeLabel: "allocator-a"},
		Annotations: map[string]string{agoneswire.LeaseRenewedAnnotation: rs.clock.Now().Format(time.RFC3339)},
	}); err != nil {
		t.Fatal(err)
	}
	rs.waitState(t, agoneswire.StateAllocated)
	rs.waitTimer(t, rs.clock.Now().Add(leaseTTL))
}

func (rs *matchStack) renew(t *testing.T) {
	t.Helper()
	if err := rs.mem.PatchMetadata(nil, map[string]string{agoneswire.LeaseRenewedAnnotation: rs.clock.Now().Format(time.RFC3339)}); err != nil {
		t.Fatal(err)
	}
	rs.waitTimer(t, rs.clock.Now().Add(leaseTTL))
}

func closedLabel(gs *agonessdk.GameServer) bool {
	return gs.ObjectMeta.Labels[agoneswire.ClosedLabel] == agoneswire.ClosedValue
}

// leave closes players' connections: their match ends once all are gone.
func leave(ps ...*player) {
	for _, p := range ps {
		p.ws.Close()
	}
}

func TestMatchesShareOneServerUpToTheLimit(t *testing.T) {
	rs := startMatches(t, 2, host.AfterShutdown, nil)
	// Ready at start, and matches start without waiting for an allocation.
	alice := rs.join(t, "alice", "r1")
	bob := rs.join(t, "bob", "r1")
	carol := rs.join(t, "carol", "r2")
	rs.waitMatches(t, "r1", "r2")
	if alice.welcome.PeerId == bob.welcome.PeerId || carol.welcome.PeerId != 1 {
		t.Errorf("peers: alice %d, bob %d, carol %d: want two peers in r1, carol first in r2",
			alice.welcome.PeerId, bob.welcome.PeerId, carol.welcome.PeerId)
	}
	rs.refused(t, rs.token(t, "dave", "r3"), realtimev1.Error_CODE_SESSION_FULL, 4004, "ask the allocator")
	rs.refused(t, rs.token(t, "eve", "r1"), realtimev1.Error_CODE_SESSION_FULL, 4004, "2 players")

	results := make(chan *racev1.RaceResult, 2)
	go alice.play(results)
	go bob.play(results)
	if r1, r2 := <-results, <-results; r1 == nil || r2 == nil || r1.WinnerPlayerId != r2.WinnerPlayerId {
		t.Fatalf("results %v / %v", r1, r2)
	}
	rs.waitMatches(t, "r2")
	// A finished match never runs again; its room goes to a new one.
	rs.refused(t, rs.token(t, "alice", "r1"), realtimev1.Error_CODE_REJECTED, 4009, "over")
	rs.join(t, "dave", "r3")
	rs.waitMatches(t, "r2", "r3")
	if got := rs.metric(t, "leapfrog_host_race_refusals_total", "server_full"); got != 1 {
		t.Errorf("server_full refusals = %v, want 1", got)
	}
	if rs.mem.Snapshot().Status.State != agoneswire.StateReady {
		t.Errorf("state %s: nothing allocated the server", rs.mem.Snapshot().Status.State)
	}
}

// metric is the value of the sample of metric family name whose labels
// include labelValue ("" for any: a family of one sample).
func (rs *matchStack) metric(t *testing.T, name, labelValue string) float64 {
	t.Helper()
	families, err := rs.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if labelValue == "" || slices.ContainsFunc(m.GetLabel(), func(l *dto.LabelPair) bool { return l.GetValue() == labelValue }) {
				return m.GetCounter().GetValue() + m.GetGauge().GetValue()
			}
		}
	}
	return 0
}

func TestTokensMustFitTheServersMode(t *testing.T) {
	rs := startMatches(t, 2, host.AfterShutdown, nil)
	raw, _, err := rs.issuer.MintPlayerSession("alice", "race-1", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	rs.refused(t, raw, realtimev1.Error_CODE_REJECTED, 4009, "names none")

	one := startStack(t, fastGame(), host.AfterShutdown)
	if _, err := one.mem.ClusterAllocate([]string{"alice"}); err != nil {
		t.Fatal(err)
	}
	raw, _, err = one.issuer.MintMatchSession("alice", "race-1", "r1", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if p, e, code := one.connectWith(t, "alice", raw); p != nil || e.GetCode() != realtimev1.Error_CODE_REJECTED || code != 4009 ||
		!strings.Contains(e.GetMessage(), "one match at a time") {
		t.Fatalf("match token on a one-race server: %v (close %d)", e, code)
	}
}

func TestLapsedLeaseFinishesItsMatchesThenReturnsToThePool(t *testing.T) {
	rs := startMatches(t, 3, host.AfterReady, nil)
	rs.lease(t)
	early := rs.token(t, "carol", "r2") // issued while the lease holds
	alice := rs.join(t, "alice", "r1")
	rs.clock.Advance(10 * time.Second)
	rs.renew(t)
	rs.clock.Advance(leaseTTL - time.Second)
	if closedLabel(new(rs.mem.Snapshot())) {
		t.Fatal("closed before the lease lapsed")
	}
	rs.clock.Advance(time.Second)
	rs.waitFor(t, "labelled closed", closedLabel)

	rs.refused(t, rs.token(t, "bob", "r3"), realtimev1.Error_CODE_REJECTED, 4009, "lease lapsed")
	carol := rs.joinWith(t, "carol", "r2", early)
	rs.waitMatches(t, "r1", "r2")
	if st := rs.mem.Snapshot().Status.State; st != agoneswire.StateAllocated {
		t.Fatalf("state %s while matches run, want Allocated", st)
	}
	leave(alice)
	rs.waitMatches(t, "r2")
	if st := rs.mem.Snapshot().Status.State; st != agoneswire.StateAllocated {
		t.Fatalf("state %s while a match runs, want Allocated", st)
	}
	leave(carol)
	rs.waitFor(t, "Ready, open, with no match", func(gs *agonessdk.GameServer) bool {
		return gs.Status.State == agoneswire.StateReady && !closedLabel(gs) && len(gs.Status.Lists[agoneswire.MatchesList].Values) == 0
	})
	rs.join(t, "bob", "r3")
	if got := rs.metric(t, "leapfrog_host_lease_lapses_total", ""); got != 1 {
		t.Errorf("lease lapses = %v, want 1", got)
	}
	// A new lease after the return lapses afresh.
	rs.lease(t)
	rs.clock.Advance(leaseTTL)
	rs.waitFor(t, "labelled closed again", closedLabel)
}

func TestLapsedEmptyServerShutsDown(t *testing.T) {
	rs := startMatches(t, 2, host.AfterShutdown, nil)
	rs.lease(t)
	alice := rs.join(t, "alice", "r1")
	rs.clock.Advance(leaseTTL)
	rs.waitFor(t, "labelled closed", closedLabel)
	leave(alice)
	rs.waitState(t, agoneswire.StateShutdown)
	rs.refused(t, rs.token(t, "bob", "r2"), realtimev1.Error_CODE_REJECTED, 4009, "shutting down")
}

func TestLeaseWithoutTTLNeverLapses(t *testing.T) {
	rs := startMatches(t, 2, host.AfterShutdown, func(c *host.Config) { c.LeaseTTL = 0 })
	if _, err := rs.mem.AllocateWith(agonessdk.Allocation{Labels: map[string]string{agoneswire.LesseeLabel: "local"}}); err != nil {
		t.Fatal(err)
	}
	rs.waitState(t, agoneswire.StateAllocated)
	rs.join(t, "alice", "r1") // the loop has seen the allocation by now or soon: no timer either way
	if _, ok := rs.clock.Next(); ok {
		t.Fatal("a lapse timer was armed with a TTL of 0")
	}
	rs.clock.Advance(time.Hour)
	rs.join(t, "bob", "r2")
	if closedLabel(new(rs.mem.Snapshot())) {
		t.Fatal("labelled closed without a TTL")
	}
}

func TestDrainLetsMatchesFinishThenShutsDownTheRest(t *testing.T) {
	rs := startMatches(t, 3, host.AfterShutdown, func(c *host.Config) { c.DrainGrace = 4 * time.Second })
	alice := rs.join(t, "alice", "r1")
	bob := rs.join(t, "bob", "r2")
	rs.stop()
	rs.waitFor(t, "labelled closed", closedLabel)
	rs.refused(t, rs.token(t, "carol", "r3"), realtimev1.Error_CODE_REJECTED, 4009, "draining")
	// A running match still takes its players back while it drains.
	again := rs.join(t, "alice", "r1")
	if !again.welcome.Reconnected {
		t.Error("alice's new connection was not a reconnection")
	}
	leave(alice, again)
	rs.waitMatches(t, "r2")
	// bob's match outlives the grace: he is told the server is going away.
	if e, code, _ := bob.untilClose(); e.GetCode() != realtimev1.Error_CODE_SHUTTING_DOWN || code != 1001 {
		t.Fatalf("bob: %v close %d, want shutting down 1001", e, code)
	}
	if err := <-rs.done; err != nil {
		t.Fatalf("drain: %v", err)
	}
	rs.done <- nil // for the cleanup
}

// lateReady is an SDK whose answer to Ready never arrives before the host is
// stopped, though the sidecar has taken the call (the GameServer is Ready
// and players come): a slow sidecar, or a process stopped at that moment.
type lateReady struct{ agonessdk.SDK }

func (l lateReady) Ready(ctx context.Context) error {
	if err := l.SDK.Ready(ctx); err != nil {
		return err
	}
	<-ctx.Done()
	return ctx.Err()
}

// A server stopped while Agones' answer to Ready is on its way drains its
// matches as any other: it is labelled closed, and they may finish.
func TestStopBeforeReadyAnswerDrainsMatches(t *testing.T) {
	rs := startMatches(t, 2, host.AfterShutdown, func(c *host.Config) { c.DrainGrace = 10 * time.Second },
		func(sdk agonessdk.SDK) agonessdk.SDK { return lateReady{sdk} })
	alice := rs.join(t, "alice", "r1")
	bob := rs.join(t, "bob", "r1")
	rs.stop()
	rs.waitFor(t, "labelled closed", closedLabel)
	results := make(chan *racev1.RaceResult, 2)
	go alice.play(results)
	go bob.play(results)
	if r1, r2 := <-results, <-results; r1 == nil || r2 == nil || r1.Reason != racev1.RaceResult_REASON_FINISH {
		t.Fatalf("results %v / %v, want the match finished", r1, r2)
	}
	if err := <-rs.done; err != nil {
		t.Fatalf("drain: %v", err)
	}
	rs.done <- nil // for the cleanup
}

func TestManyMatchesAtOnce(t *testing.T) {
	const matches = 50
	rs := startMatches(t, matches, host.AfterShutdown, nil)
	results := make(chan *racev1.RaceResult, 2*matches)
	for i := range matches {
		match := fmt.Sprintf("race-%d", i)
		for _, id := range []string{"a-", "b-"} {
			go rs.join(t, id+match, match).play(results)
		}
	}
	winners := map[string]int{}
	for range 2 * matches {
		r := <-results
		if r == nil || r.Reason != racev1.RaceResult_REASON_FINISH {
			t.Fatalf("result %v", r)
		}
		winners[r.WinnerPlayerId]++
	}
	if len(winners) != matches {
		t.Errorf("%d winners, want one per match (%d): %v", len(winners), matches, winners)
	}
	for w, n := range winners {
		if n != 2 {
			t.Errorf("winner %s told to %d players, want both of its match", w, n)
		}
	}
	rs.waitMatches(t)
	if got := rs.metric(t, "leapfrog_host_races_started_total", ""); got != matches {
		t.Errorf("matches started = %v, want %d", got, matches)
	}
}

// A match waiting in its lobby sleeps (no ticks, no beats) for far longer
// than the watchdog's stall limit: a parked loop is not a stuck one.
func TestSleepingMatchesKeepTheServerHealthy(t *testing.T) {
	rs := startMatches(t, 2, host.AfterShutdown, func(c *host.Config) { c.LoopStall = 100 * time.Millisecond })
	alice := rs.join(t, "alice", "r1") // alone: her lobby waits for an opponent
	rs.waitMatches(t, "r1")
	// Twenty health pings, 50 ms apart: the watchdog judged the match
	// before each, over ten stall limits.
	pings := rs.mem.HealthCount()
	testwait.Eventually(t, "twenty health pings", func() bool { return rs.mem.HealthCount() >= pings+20 }, testwait.Within(20*time.Second))
	if !rs.host.Healthy() {
		t.Fatal("the watchdog took a sleeping match for a stuck one")
	}
	bob := rs.join(t, "bob", "r1")
	results := make(chan *racev1.RaceResult, 2)
	go alice.play(results)
	go bob.play(results)
	if r1, r2 := <-results, <-results; r1 == nil || r2 == nil || r1.WinnerPlayerId != r2.WinnerPlayerId {
		t.Fatalf("results %v / %v", r1, r2)
	}
}

// A match that still has an empty seat past the no-show window is reported
// on the GameServer with the players it holds, so that an allocator can
// give the seat to someone else; once the seat is taken the report goes.
// TestMatchWaitingWithAPlayerIsReportedQuickly: a match holding a player and
// an empty seat is reported once it was admitted a scan ago (on the host's
// clock), so that allocator replicas pair its player with the next one;
// once filled it stays reported with the players who hold it, until it
// ends, so that allocators learn who won its seats.
func TestMatchWaitingWithAPlayerIsReportedQuickly(t *testing.T) {
	rs := startMatches(t, 4, host.AfterShutdown, nil)
	lobbies := func(gs *agonessdk.GameServer) map[string][]string {
		l, err := agoneswire.DecodeLobbies(gs.ObjectMeta.Annotations[agoneswire.LobbiesAnnotation])
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	a := rs.join(t, "a", "r-1")
	rs.join(t, "x", "r-2")
	rs.waitMatches(t, "r-1", "r-2")
	// Two scans pass, the matches' admission among them: they find nothing
	// old yet, since the host's clock has not moved.
	scans := host.LobbyScans(rs.host)
	testwait.Eventually(t, "two lobby scans", func() bool { return host.LobbyScans(rs.host) >= scans+2 }, testwait.Within(20*time.Second))
	gs, err := rs.mem.GameServer(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if l := lobbies(gs); len(l) != 0 {
		t.Fatalf("lobbies %v before a scan passed on the host's clock", l)
	}
	rs.clock.Advance(time.Second)
	rs.join(t, "y", "r-3") // admitted now: not reported yet
	rs.waitFor(t, "r-1 and r-2 reported", func(gs *agonessdk.GameServer) bool {
		l := lobbies(gs)
		return len(l) == 2 && slices.Equal(l["r-1"], []string{"a"}) && slices.Equal(l["r-2"], []string{"x"})
	})
	// b takes r-1's empty seat: r-1 stays reported, with both players.
	rs.join(t, "b", "r-1")
	rs.waitFor(t, "r-1 reported full", func(gs *agonessdk.GameServer) bool {
		l := lobbies(gs)
		return len(l) == 2 && slices.Equal(l["r-1"], []string{"a", "b"}) && l["r-2"] != nil
	})
	leave(a)
}
