package host

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/leapfrog-games/leapfrog/contract/token"
	"github.com/leapfrog-games/leapfrog/gameserver/race"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime/match"
)

// testMatches is a match set whose matches are sessions never run: the test
// ends them with ended.
func testMatches(t *testing.T, max int, now *time.Time) (*matchSet, *atomic.Int32) {
	t.Helper()
	var started atomic.Int32
	rs := newMatchSet(max, 0, func() time.Time { return *now }, nil)
	rs.start = func(id string) (*realtime.Session, error) {
		started.Add(1)
		g, err := race.NewGame(race.DefaultRules(), nil)
		if err != nil {
			return nil, err
		}
		return realtime.NewSession(id, realtime.Config{GameServer: "gs", Logger: slog.New(slog.DiscardHandler)}, g)
	}
	return rs, &started
}

func TestMatchSetRoutesAndRefuses(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	ctx := context.Background()
	rs, started := testMatches(t, 2, &now)
	id := func(match string, issued time.Duration) realtime.Identity {
		return realtime.Identity{PlayerID: "p", Match: match, IssuedAt: now.Add(issued), ExpiresAt: now.Add(time.Minute)}
	}
	route := func(match string, issued time.Duration) (*realtime.Session, error) {
		return rs.Route(ctx, id(match, issued))
	}
	mustRoute := func(match string) *realtime.Session {
		t.Helper()
		s, err := route(match, 0)
		if err != nil || s.ID() != match {
			t.Fatalf("route to %s: %v, %v", match, s, err)
		}
		return s
	}
	refused := func(match string, issued time.Duration, want error) {
		t.Helper()
		if s, err := route(match, issued); !errors.Is(err, want) {
			t.Fatalf("route to %s (issued %v): %v, %v; want %v", match, issued, s, err, want)
		}
	}

	refused("", 0, realtime.ErrMatchClaim)
	r1 := mustRoute("r1")
	if mustRoute("r1") != r1 {
		t.Fatal("a second player of r1 got another session")
	}
	mustRoute("r2")
	refused("r3", 0, realtime.ErrServerFull)

	rs.ended("r1", string(match.Finished))
	refused("r1", 0, realtime.ErrClosed) // a finished match never runs again
	mustRoute("r3")

	rs.lapse(now)
	refused("r4", 0, realtime.ErrNoNewMatch)            // issued at the lapse
	refused("r4", -time.Second, realtime.ErrServerFull) // issued before, but r2 and r3 run
	rs.ended("r2", string(match.Finished))
	if s, err := route("r4", -time.Second); err != nil || s.ID() != "r4" {
		t.Fatalf("a token issued before the lapse: %v, %v", s, err)
	}
	if rs.idleLapsed(true) {
		t.Fatal("idle with matches running")
	}
	rs.ended("r3", string(match.Finished))
	rs.ended("r4", string(match.Finished))
	if !rs.idleLapsed(false) {
		t.Fatal("not idle once the last match ended")
	}
	rs.reopen()
	r5 := mustRoute("r5")
	rs.close(closedDraining)
	if mustRoute("r5") != r5 { // a running match still takes its players
		t.Fatal("r5 changed session while draining")
	}
	refused("r6", -time.Hour, realtime.ErrNoNewMatch)
	rs.reopen() // the end of a lapse does not reopen a draining server
	refused("r6", 0, realtime.ErrNoNewMatch)
	if n := started.Load(); n != 5 {
		t.Errorf("%d matches started, want 5", n)
	}
	// Once its tokens have expired a finished match is forgotten.
	if len(rs.over) != 4 {
		t.Errorf("remembered %v, want r1 to r4", rs.over)
	}
	now = now.Add(2 * time.Minute)
	rs.ended("r5", string(match.Finished))
	if len(rs.over) != 0 || len(rs.overQueue) != 0 {
		t.Errorf("remembered %v (queue %v) after the tokens expired", rs.over, rs.overQueue)
	}
}

func TestRetiredMatchSetTakesNoMatch(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	rs, _ := testMatches(t, 2, &now)
	rs.lapse(now)
	if !rs.idleLapsed(true) {
		t.Fatal("an empty lapsed server is not idle")
	}
	// Shutting down: not even a token issued before the lapse starts a match.
	_, err := rs.Route(context.Background(), realtime.Identity{PlayerID: "p", Match: "r1", IssuedAt: now.Add(-time.Minute)})
	if !errors.Is(err, realtime.ErrNoNewMatch) {
		t.Fatalf("route: %v, want ErrNoNewRace", err)
	}
}

func TestMatchSetStartsEachMatchOnce(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	rs, started := testMatches(t, 10, &now)
	var wg sync.WaitGroup
	sessions := make([]*realtime.Session, 20)
	for i := range sessions {
		wg.Go(func() {
			s, err := rs.Route(context.Background(), realtime.Identity{PlayerID: "p", Match: "r1"})
			if err != nil {
				t.Error(err)
			}
			sessions[i] = s
		})
	}
	wg.Wait()
	if started.Load() != 1 {
		t.Fatalf("%d sessions started for one match", started.Load())
	}
	for _, s := range sessions {
		if s != sessions[0] {
			t.Fatal("players of one match got different sessions")
		}
	}
}

func TestMatchThatCannotStartFreesItsSlot(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	rs, _ := testMatches(t, 1, &now)
	start := rs.start
	rs.start = func(string) (*realtime.Session, error) { return nil, errors.New("no game") }
	if _, err := rs.Route(context.Background(), realtime.Identity{PlayerID: "p", Match: "r1"}); err == nil {
		t.Fatal("a match whose game failed was routed to")
	}
	rs.start = start
	if s, err := rs.Route(context.Background(), realtime.Identity{PlayerID: "p", Match: "r1"}); err != nil || s == nil {
		t.Fatalf("after a failed start: %v, %v", s, err)
	}
}

// A match id, once ended, never starts again on the server, whatever token
// of it comes: one the server saw, one minted during the match that it never
// saw, one within the tokens' clock leeway past its expiry. And a match is
// started only until its start deadline (plus the leeway): a late token
// starts nothing the allocator no longer holds. Finished matches are
// remembered only as long as a token could start them.
func TestFinishedMatchNeverStartsAgain(t *testing.T) {
	t0 := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	const window, ttl = 60 * time.Second, 60 * time.Second
	leeway := token.ClockSkewLeeway
	// seat is a token of match r minted at minted, as the allocator mints
	// them: the match's start deadline (placed at t0) unless old.
	seat := func(r string, minted time.Duration, old bool) realtime.Identity {
		id := realtime.Identity{PlayerID: "p", Match: r, IssuedAt: t0.Add(minted), ExpiresAt: t0.Add(minted + ttl)}
		if !old {
			id.MatchStartBy = t0.Add(window)
		}
		return id
	}
	tests := []struct {
		name string
		// the token the match started with, when the match ends, then the
		// token that comes after the end, and when
		first      realtime.Identity
		end        time.Duration
		late       realtime.Identity
		at         time.Duration
		wantReason string
	}{
		// The attack: a player asked again mid-race (+40 s); its token,
		// never seen, comes after the token the server saw has expired.
		{"a token minted mid-race, after the seen one expired", seat("r", 0, false), 30 * time.Second, seat("r", 40*time.Second, false), 80 * time.Second, refusedLate},
		{"a token minted mid-race, before the start deadline", seat("r", 0, false), 30 * time.Second, seat("r", 40*time.Second, false), 50 * time.Second, refusedOver},
		{"within the leeway past the start deadline", seat("r", 0, false), 30 * time.Second, seat("r", 40*time.Second, false), window + leeway - time.Second, refusedOver},
		// Tokens minted before the claim existed: the one the server saw
		// keeps the match id for its lifetime and the leeway.
		{"an old token within the leeway past its expiry", seat("r", 0, true), 30 * time.Second, seat("r", 0, true), ttl + leeway - time.Second, refusedOver},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := t0
			rs, started := testMatches(t, 4, &now)
			rs.metrics = NewMetrics(prometheus.NewRegistry())
			if _, err := rs.Route(t.Context(), tt.first); err != nil {
				t.Fatal(err)
			}
			now = t0.Add(tt.end)
			rs.ended(tt.first.Match, string(match.Finished))
			// A busy server: another match ends just before the late token
			// comes (a finished match's memory is trimmed as matches end).
			if _, err := rs.Route(t.Context(), seat("other", 0, false)); err != nil {
				t.Fatal(err)
			}
			now = t0.Add(tt.at)
			rs.ended("other", string(match.Finished))
			if _, err := rs.Route(t.Context(), tt.late); !errors.Is(err, realtime.ErrClosed) {
				t.Fatalf("after the end: route %v; want the match refused (ErrClosed), not started again", err)
			}
			if n := started.Load(); n != 2 {
				t.Fatalf("%d matches started, want 2 (the match once, the other)", n)
			}
			var m dto.Metric
			if err := rs.metrics.refusals.WithLabelValues(tt.wantReason).Write(&m); err != nil {
				t.Fatal(err)
			}
			if got := m.GetCounter().GetValue(); got != 1 {
				t.Errorf("refusals{reason=%s} = %v, want 1", tt.wantReason, got)
			}
		})
	}
}

// A new match starts only until its start deadline plus the clock leeway:
// past it the allocator has forgotten the match (and may have given its
// room), so a late token starts nothing. Tokens without a deadline keep
// the old rule: they start their match while valid.
func TestLateMatchIsNotStarted(t *testing.T) {
	t0 := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	leeway := token.ClockSkewLeeway
	tests := []struct {
		name    string
		startBy time.Time
		want    error
	}{
		{"before the deadline", t0.Add(time.Second), nil},
		{"within the leeway", t0.Add(-leeway + time.Second), nil},
		{"at the end of the leeway", t0.Add(-leeway), realtime.ErrClosed},
		{"long after", t0.Add(-time.Hour), realtime.ErrClosed},
		{"no deadline (an old token)", time.Time{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := t0
			rs, started := testMatches(t, 4, &now)
			id := realtime.Identity{PlayerID: "p", Match: "r", IssuedAt: t0, ExpiresAt: t0.Add(time.Minute), MatchStartBy: tt.startBy}
			_, err := rs.Route(t.Context(), id)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (started.Load() == 1) {
				t.Fatalf("route: %v (%d started), want %v", err, started.Load(), tt.want)
			}
		})
	}
}

// Finished matches are forgotten once no token could start them, so that the
// memory of a server that runs matches for weeks stays bounded.
func TestFinishedMatchesAreForgotten(t *testing.T) {
	t0 := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	now := t0
	rs, _ := testMatches(t, 100, &now)
	for i := range 50 {
		r := fmt.Sprintf("r%d", i)
		now = t0.Add(time.Duration(i) * time.Second)
		id := realtime.Identity{PlayerID: "p", Match: r, IssuedAt: now, ExpiresAt: now.Add(time.Hour), MatchStartBy: now.Add(time.Minute)}
		if _, err := rs.Route(t.Context(), id); err != nil {
			t.Fatal(err)
		}
		rs.ended(r, string(match.Finished))
	}
	if len(rs.over) != 50 {
		t.Fatalf("remembered %d finished matches, want 50", len(rs.over))
	}
	// The last match was placed at +49 s: all are past their start
	// deadline (+1 min) and the leeway at +115 s, long before the tokens
	// (an hour) expire.
	now = t0.Add(49*time.Second + time.Minute + token.ClockSkewLeeway)
	rs.ended("none", string(match.Finished))
	if len(rs.over) != 0 || len(rs.overQueue) != 0 {
		t.Fatalf("remembered %d finished matches (queue %d), want none", len(rs.over), len(rs.overQueue))
	}
}
