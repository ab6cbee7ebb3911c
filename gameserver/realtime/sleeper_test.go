package realtime_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leapfrog-games/leapfrog/gameserver/realtime"
	"github.com/leapfrog-games/leapfrog/internal/testwait"
)

// sleepyGame is a Sleeper that asks for a tick only when told to, and
// counts the ticks it gets.
type sleepyGame struct {
	echoGame
	ticks atomic.Int64
	want  time.Time // loop only
}

func (g *sleepyGame) OnTick(*realtime.Session, time.Time) { g.ticks.Add(1) }

func (g *sleepyGame) NextTick(_ *realtime.Session, now time.Time) time.Time {
	if !g.want.IsZero() && !now.Before(g.want) {
		g.want = time.Time{} // asked once: served by this tick
	}
	return g.want
}

func runSession(t *testing.T, cfg realtime.Config, g realtime.Game) *realtime.Session {
	t.Helper()
	cfg.Logger, cfg.GameServer = discard(), "gs-1"
	s, err := realtime.NewSession("s1", cfg, g)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go s.Run(ctx)
	t.Cleanup(func() {
		cancel()
		<-s.Done()
	})
	return s
}

func TestSleeperSessionTicksOnlyWhenAsked(t *testing.T) {
	g := &sleepyGame{}
	fixed := &tickCounter{}
	s := runSession(t, realtime.Config{TickRate: 200}, g)
	runSession(t, realtime.Config{TickRate: 200}, fixed)
	// The fixed-tick session beside it shows time passing at the tick rate.
	testwait.Eventually(t, "20 ticks of a fixed-tick session", func() bool { return fixed.ticks.Load() >= 20 })
	if n := g.ticks.Load(); n != 0 {
		t.Fatalf("an idle sleeper session ticked %d times", n)
	}
	testwait.Eventually(t, "the idle loop to park", s.Parked)
	beats := s.Beats()

	if !s.Do(context.Background(), func() { g.want = s.Now().Add(30 * time.Millisecond) }) {
		t.Fatal("session over")
	}
	testwait.Eventually(t, "the tick the game asked for", func() bool { return g.ticks.Load() == 1 })
	fired := make(chan struct{})
	s.Do(context.Background(), func() { s.After(20*time.Millisecond, func() { close(fired) }) })
	select {
	case <-fired:
	case <-time.After(10 * time.Second):
		t.Fatal("a timer of a sleeping session never fired")
	}
	testwait.Eventually(t, "the loop to park again", s.Parked)
	if s.Beats() == beats {
		t.Error("the loop's beats did not move with its events and ticks")
	}
	if n := g.ticks.Load(); n != 2 {
		t.Errorf("ticks = %d, want 2 (the one asked for, the timer's)", n)
	}
}

type tickCounter struct {
	echoGame
	ticks atomic.Int64
}

func (g *tickCounter) OnTick(*realtime.Session, time.Time) { g.ticks.Add(1) }

func TestSleeperSessionKeepsItsDeadlines(t *testing.T) {
	freed := make(chan string, 1)
	s := runSession(t, realtime.Config{NoShowTimeout: 50 * time.Millisecond, EmptyTimeout: time.Hour}, &sleepyGame{})
	s.OnPlaceFreed(func(id string) { freed <- id })
	s.SetReservations(context.Background(), []string{"ghost"})
	select {
	case id := <-freed:
		if id != "ghost" {
			t.Fatalf("freed %q, want ghost", id)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a no-show's place was never freed by a sleeping session")
	}

	empty := runSession(t, realtime.Config{EmptyTimeout: 50 * time.Millisecond}, &sleepyGame{})
	select {
	case <-empty.Done():
		if got := empty.Outcome(); got != realtime.OutcomeEmpty {
			t.Fatalf("outcome %q, want %q", got, realtime.OutcomeEmpty)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a sleeping session nobody joined never ended")
	}
}

// A timer that sets itself again at once runs once a pass: it cannot hold
// the loop (and a sleeping session wakes for it again at once).
func TestTimerThatSetsItselfAgainRunsOncePerTick(t *testing.T) {
	s, err := realtime.NewSession("s1", realtime.Config{GameServer: "gs", Logger: discard()}, &sleepyGame{})
	if err != nil {
		t.Fatal(err)
	}
	d := realtime.Drive(s)
	runs := 0
	var again func()
	again = func() {
		runs++
		s.After(0, again)
	}
	s.After(0, again)
	d.Tick()
	if runs != 1 {
		t.Fatalf("runs = %d after one tick, want 1", runs)
	}
	if next := d.NextWake(); next.After(s.Now()) {
		t.Fatalf("next wake %v, want at once (%v) for the timer set again", next, s.Now())
	}
	d.Tick()
	if runs != 2 {
		t.Fatalf("runs = %d after two ticks, want 2", runs)
	}
}
