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

// testRaces is a race set whose races are sessions never run: the test
// ends them with ended.
func testRaces(t *testing.T, max int, now *time.Time) (*raceSet, *atomic.Int32) {
	t.Helper()
	var started atomic.Int32
	rs := newRaceSet(max, 0, func() time.Time { return *now }, nil)
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

func TestRaceSetRoutesAndRefuses(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	ctx := context.Background()
	rs, started := testRaces(t, 2, &now)
	id := func(race string, issued time.Duration) realtime.Identity {
		return realtime.Identity{PlayerID: "p", Race: race, IssuedAt: now.Add(issued), ExpiresAt: now.Add(time.Minute)}
	}
	route := func(race string, issued time.Duration) (*realtime.Session, error) {
		return rs.Route(ctx, id(race, issued))
	}
	mustRoute := func(race string) *realtime.Session {
		t.Helper()
		s, err := route(race, 0)
		if err != nil || s.ID() != race {
			t.Fatalf("route to %s: %v, %v", race, s, err)
		}
		return s
	}
	refused := func(race string, issued time.Duration, want error) {
		t.Helper()
		if s, err := route(race, issued); !errors.Is(err, want) {
			t.Fatalf("route to %s (issued %v): %v, %v; want %v", race, issued, s, err, want)
		}
	}

	refused("", 0, realtime.ErrRaceClaim)
	r1 := mustRoute("r1")
	if mustRoute("r1") != r1 {
		t.Fatal("a second player of r1 got another session")
	}
	mustRoute("r2")
	refused("r3", 0, realtime.ErrServerFull)

	rs.ended("r1", string(match.Finished))
	refused("r1", 0, realtime.ErrClosed) // a finished race never runs again
	mustRoute("r3")

	rs.lapse(now)
	refused("r4", 0, realtime.ErrNoNewRace)             // issued at the lapse
	refused("r4", -time.Second, realtime.ErrServerFull) // issued before, but r2 and r3 run
	rs.ended("r2", string(match.Finished))
	if s, err := route("r4", -time.Second); err != nil || s.ID() != "r4" {
		t.Fatalf("a token issued before the lapse: %v, %v", s, err)
	}
	if rs.idleLapsed(true) {
		t.Fatal("idle with races running")
	}
	rs.ended("r3", string(match.Finished))
	rs.ended("r4", string(match.Finished))
	if !rs.idleLapsed(false) {
		t.Fatal("not idle once the last race ended")
	}
	rs.reopen()
	r5 := mustRoute("r5")
	rs.close(closedDraining)
	if mustRoute("r5") != r5 { // a running race still takes its players
		t.Fatal("r5 changed session while draining")
	}
	refused("r6", -time.Hour, realtime.ErrNoNewRace)
	rs.reopen() // the end of a lapse does not reopen a draining server
	refused("r6", 0, realtime.ErrNoNewRace)
	if n := started.Load(); n != 5 {
		t.Errorf("%d races started, want 5", n)
	}
	// Once its tokens have expired a finished race is forgotten.
	if len(rs.over) != 4 {
		t.Errorf("remembered %v, want r1 to r4", rs.over)
	}
	now = now.Add(2 * time.Minute)
	rs.ended("r5", string(match.Finished))
	if len(rs.over) != 0 || len(rs.overQueue) != 0 {
		t.Errorf("remembered %v (queue %v) after the tokens expired", rs.over, rs.overQueue)
	}
}

func TestRetiredRaceSetTakesNoRace(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	rs, _ := testRaces(t, 2, &now)
	rs.lapse(now)
	if !rs.idleLapsed(true) {
		t.Fatal("an empty lapsed server is not idle")
	}
	// Shutting down: not even a token issued before the lapse starts a race.
	_, err := rs.Route(context.Background(), realtime.Identity{PlayerID: "p", Race: "r1", IssuedAt: now.Add(-time.Minute)})
	if !errors.Is(err, realtime.ErrNoNewRace) {
		t.Fatalf("route: %v, want ErrNoNewRace", err)
	}
}

func TestRaceSetStartsEachRaceOnce(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	rs, started := testRaces(t, 10, &now)
	var wg sync.WaitGroup
	sessions := make([]*realtime.Session, 20)
	for i := range sessions {
		wg.Go(func() {
			s, err := rs.Route(context.Background(), realtime.Identity{PlayerID: "p", Race: "r1"})
			if err != nil {
				t.Error(err)
			}
			sessions[i] = s
		})
	}
	wg.Wait()
	if started.Load() != 1 {
		t.Fatalf("%d sessions started for one race", started.Load())
	}
	for _, s := range sessions {
		if s != sessions[0] {
			t.Fatal("players of one race got different sessions")
		}
	}
}

func TestRaceThatCannotStartFreesItsSlot(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	rs, _ := testRaces(t, 1, &now)
	start := rs.start
	rs.start = func(string) (*realtime.Session, error) { return nil, errors.New("no game") }
	if _, err := rs.Route(context.Background(), realtime.Identity{PlayerID: "p", Race: "r1"}); err == nil {
		t.Fatal("a race whose game failed was routed to")
	}
	rs.start = start
	if s, err := rs.Route(context.Background(), realtime.Identity{PlayerID: "p", Race: "r1"}); err != nil || s == nil {
		t.Fatalf("after a failed start: %v, %v", s, err)
	}
}

// A race id, once ended, never starts again on the server, whatever token
// of it comes: one the server saw, one minted during the race that it never
// saw, one within the tokens' clock leeway past its expiry. And a race is
// started only until its start deadline (plus the leeway): a late token
// starts nothing the allocator no longer holds. Finished races are
// remembered only as long as a token could start them.
func TestFinishedRaceNeverStartsAgain(t *testing.T) {
	t0 := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	const window, ttl = 60 * time.Second, 60 * time.Second
	leeway := token.ClockSkewLeeway
	// seat is a token of race r minted at minted, as the allocator mints
	// them: the race's start deadline (placed at t0) unless old.
	seat := func(r string, minted time.Duration, old bool) realtime.Identity {
		id := realtime.Identity{PlayerID: "p", Race: r, IssuedAt: t0.Add(minted), ExpiresAt: t0.Add(minted + ttl)}
		if !old {
			id.RaceStartBy = t0.Add(window)
		}
		return id
	}
	tests := []struct {
		name string
		// the token the race started with, when the race ends, then the
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
		// keeps the race id for its lifetime and the leeway.
		{"an old token within the leeway past its expiry", seat("r", 0, true), 30 * time.Second, seat("r", 0, true), ttl + leeway - time.Second, refusedOver},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := t0
			rs, started := testRaces(t, 4, &now)
			rs.metrics = NewMetrics(prometheus.NewRegistry())
			if _, err := rs.Route(t.Context(), tt.first); err != nil {
				t.Fatal(err)
			}
			now = t0.Add(tt.end)
			rs.ended(tt.first.Race, string(match.Finished))
			// A busy server: another race ends just before the late token
			// comes (a finished race's memory is trimmed as races end).
			if _, err := rs.Route(t.Context(), seat("other", 0, false)); err != nil {
				t.Fatal(err)
			}
			now = t0.Add(tt.at)
			rs.ended("other", string(match.Finished))
			if _, err := rs.Route(t.Context(), tt.late); !errors.Is(err, realtime.ErrClosed) {
				t.Fatalf("after the end: route %v; want the race refused (ErrClosed), not started again", err)
			}
			if n := started.Load(); n != 2 {
				t.Fatalf("%d races started, want 2 (the race once, the other)", n)
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

// A new race starts only until its start deadline plus the clock leeway:
// past it the allocator has forgotten the race (and may have given its
// room), so a late token starts nothing. Tokens without a deadline keep
// the old rule: they start their race while valid.
func TestLateRaceIsNotStarted(t *testing.T) {
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
			rs, started := testRaces(t, 4, &now)
			id := realtime.Identity{PlayerID: "p", Race: "r", IssuedAt: t0, ExpiresAt: t0.Add(time.Minute), RaceStartBy: tt.startBy}
			_, err := rs.Route(t.Context(), id)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (started.Load() == 1) {
				t.Fatalf("route: %v (%d started), want %v", err, started.Load(), tt.want)
			}
		})
	}
}

// Finished races are forgotten once no token could start them, so that the
// memory of a server that runs races for weeks stays bounded.
func TestFinishedRacesAreForgotten(t *testing.T) {
	t0 := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	now := t0
	rs, _ := testRaces(t, 100, &now)
	for i := range 50 {
		r := fmt.Sprintf("r%d", i)
		now = t0.Add(time.Duration(i) * time.Second)
		id := realtime.Identity{PlayerID: "p", Race: r, IssuedAt: now, ExpiresAt: now.Add(time.Hour), RaceStartBy: now.Add(time.Minute)}
		if _, err := rs.Route(t.Context(), id); err != nil {
			t.Fatal(err)
		}
		rs.ended(r, string(match.Finished))
	}
	if len(rs.over) != 50 {
		t.Fatalf("remembered %d finished races, want 50", len(rs.over))
	}
	// The last race was placed at +49 s: all are past their start
	// deadline (+1 min) and the leeway at +115 s, long before the tokens
	// (an hour) expire.
	now = t0.Add(49*time.Second + time.Minute + token.ClockSkewLeeway)
	rs.ended("none", string(match.Finished))
	if len(rs.over) != 0 || len(rs.overQueue) != 0 {
		t.Fatalf("remembered %d finished races (queue %d), want none", len(rs.over), len(rs.overQueue))
	}
}
