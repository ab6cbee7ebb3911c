package host_test

import (
	"testing"
	"time"

	"github.com/leapfrog-games/leapfrog/contract/agoneswire"
	realtimev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/realtime/v1"
	"github.com/leapfrog-games/leapfrog/contract/token"
	"github.com/leapfrog-games/leapfrog/gameserver/agonessdk"
	"github.com/leapfrog-games/leapfrog/gameserver/host"
)

// A server that started its most matches takes no new one, as a lapsed
// lease does: labelled closed, players placed before still welcome, others
// refused with "closed". Its matches finish; then it shuts down, even with
// after-race=ready: the Fleet replaces it with a fresh one.
func TestMaxMatchesRecyclesTheServer(t *testing.T) {
	rs := startMatches(t, 4, host.AfterReady, func(c *host.Config) { c.MaxMatches = 2 })
	rs.lease(t)
	early := rs.token(t, "carol", "r3") // placed before the server closes
	rs.clock.Advance(time.Second)       // token issue times are whole seconds
	alice := rs.join(t, "alice", "r1")
	if closedLabel(new(rs.mem.Snapshot())) {
		t.Fatal("closed after one match of two")
	}
	bob := rs.join(t, "bob", "r2") // the second match: the last one
	rs.waitFor(t, "labelled closed", closedLabel)

	rs.refused(t, rs.token(t, "dave", "r4"), realtimev1.Error_CODE_REJECTED, 4009, "recycled")
	carol := rs.joinWith(t, "carol", "r3", early)
	rs.waitMatches(t, "r1", "r2", "r3")
	// A running match still takes its players back.
	again := rs.join(t, "alice", "r1")
	if !again.welcome.Reconnected {
		t.Error("alice's new connection was not a reconnection")
	}
	leave(alice, again, bob)
	rs.waitMatches(t, "r3")
	if st := rs.mem.Snapshot().Status.State; st != agoneswire.StateAllocated {
		t.Fatalf("state %s while a match runs, want Allocated", st)
	}
	leave(carol)
	rs.waitState(t, agoneswire.StateShutdown)
	rs.refused(t, rs.token(t, "erin", "r5"), realtimev1.Error_CODE_REJECTED, 4009, "shutting down")
	for reason, want := range map[string]float64{"max_races": 1, "max_age": 0} {
		if got := rs.metric(t, "leapfrog_host_recycles_total", reason); got != want {
			t.Errorf("recycles{reason=%s} = %v, want %v", reason, got, want)
		}
	}
	if got := rs.metric(t, "leapfrog_host_race_refusals_total", "recycled"); got != 1 {
		t.Errorf("recycled refusals = %v, want 1", got)
	}
}

// A server closes to new matches its max age after it became Ready, on its
// own clock, leased or not; its running matches finish, then it shuts down.
func TestMaxAgeRecyclesTheServer(t *testing.T) {
	const age = time.Hour
	for _, leased := range []bool{true, false} {
		t.Run(map[bool]string{true: "leased", false: "in the pool"}[leased], func(t *testing.T) {
			// A lease that never lapses: only the age closes the server.
			rs := startMatches(t, 4, host.AfterReady, func(c *host.Config) { c.MaxAge, c.LeaseTTL = age, 0 })
			born := rs.clock.Now()
			rs.waitTimer(t, born.Add(age))
			if leased {
				if _, err := rs.mem.AllocateWith(agonessdk.Allocation{Labels: map[string]string{agoneswire.LesseeLabel: "allocator-a"}}); err != nil {
					t.Fatal(err)
				}
				rs.waitState(t, agoneswire.StateAllocated)
			}
			alice := rs.join(t, "alice", "r1")
			rs.clock.Advance(age - time.Second)
			bob := rs.join(t, "bob", "r2")
			if closedLabel(new(rs.mem.Snapshot())) {
				t.Fatal("closed a second before its max age")
			}
			rs.clock.Advance(time.Second)
			rs.waitFor(t, "labelled closed", closedLabel)
			rs.refused(t, rs.token(t, "dave", "r3"), realtimev1.Error_CODE_REJECTED, 4009, "recycled")
			rs.waitMatches(t, "r1", "r2")
			leave(alice)
			rs.waitMatches(t, "r2")
			if st := rs.mem.Snapshot().Status.State; st == agoneswire.StateShutdown {
				t.Fatal("shut down while bob's match runs")
			}
			leave(bob)
			rs.waitState(t, agoneswire.StateShutdown)
			if got := rs.metric(t, "leapfrog_host_recycles_total", "max_age"); got != 1 {
				t.Errorf("recycles{reason=max_age} = %v, want 1", got)
			}
		})
	}
}

// An empty server that reaches its max age shuts down at once.
func TestMaxAgeShutsAnEmptyServerDownAtOnce(t *testing.T) {
	rs := startMatches(t, 4, host.AfterReady, func(c *host.Config) { c.MaxAge = time.Minute })
	rs.waitTimer(t, rs.clock.Now().Add(time.Minute))
	rs.clock.Advance(time.Minute)
	rs.waitState(t, agoneswire.StateShutdown)
	if !closedLabel(new(rs.mem.Snapshot())) {
		t.Error("shut down without the closed label: an allocator could still lease it")
	}
}

// Recycling is for servers of many matches; a one-race server is refused the
// limits, as are negative ones.
func TestRecyclingLimitsAreChecked(t *testing.T) {
	tests := []struct {
		name string
		cfg  host.Config
	}{
		{"max matches on one match", host.Config{MatchesPerServer: 1, MaxMatches: 10}},
		{"max age on one match", host.Config{MaxAge: time.Hour}},
		{"negative max matches", host.Config{MatchesPerServer: 8, MaxMatches: -1}},
		{"negative max age", host.Config{MatchesPerServer: 8, MaxAge: -time.Second}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			keys, err := token.GenerateKeyset("k")
			if err != nil {
				t.Fatal(err)
			}
			cfg := fastGame().HostConfig(token.NewIssuer(keys, nil), nil, nil, nil)
			cfg.MatchesPerServer, cfg.MaxMatches, cfg.MaxAge = tc.cfg.MatchesPerServer, tc.cfg.MaxMatches, tc.cfg.MaxAge
			if _, err := host.New(cfg, agonessdk.NewMemory(agonessdk.MemoryConfig{Name: "gs"})); err == nil {
				t.Fatal("New accepted the limits")
			}
		})
	}
}
