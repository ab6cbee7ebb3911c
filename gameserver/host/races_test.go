package host

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leapfrog-games/leapfrog/gameserver/race"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime"
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

	rs.ended("r1", race.OutcomeFinished)
	refused("r1", 0, realtime.ErrClosed) // a finished race never runs again
	mustRoute("r3")

	rs.lapse(now)
	refused("r4", 0, realtime.ErrNoNewRace)             // issued at the lapse
	refused("r4", -time.Second, realtime.ErrServerFull) // issued before, but r2 and r3 run
	rs.ended("r2", race.OutcomeFinished)
	if s, err := route("r4", -time.Second); err != nil || s.ID() != "r4" {
		t.Fatalf("a token issued before the lapse: %v, %v", s, err)
	}
	if rs.idleLapsed(true) {
		t.Fatal("idle with races running")
	}
	rs.ended("r3", race.OutcomeFinished)
	rs.ended("r4", race.OutcomeFinished)
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
	rs.ended("r5", race.OutcomeFinished)
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
