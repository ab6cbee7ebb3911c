package race

import (
	"testing"
	"time"

	"github.com/leapfrog-games/leapfrog/gameserver/realtime"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime/match"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime/realtimetest"
)

var t0 = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// lobby returns a race whose players (two or three) are in, on a session that began
// a countdown before t0.
func lobby(t *testing.T, r Rules) (*Game, *realtimetest.Harness, []*realtimetest.TestClient) {
	t.Helper()
	g, err := NewGame(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	h, err := realtimetest.NewHarness(realtime.Config{MaxPlayers: r.Seats}, g, t0.Add(-r.Countdown))
	if err != nil {
		t.Fatal(err)
	}
	var cs []*realtimetest.TestClient
	for _, id := range []string{"alice", "bob", "carol"}[:r.Seats] {
		c, err := h.Connect(id)
		if err != nil {
			t.Fatal(err)
		}
		cs = append(cs, c)
	}
	return g, h, cs
}

// started returns a race whose start is t0. The rules take explicit times:
// its session's clock stays at the countdown. (Seats, readiness and phases
// are the match's: see realtime/match and TestAssignmentAndCountdown.)
func started(t *testing.T, r Rules) (*Game, *realtimetest.Harness) {
	t.Helper()
	g, h, cs := lobby(t, r)
	for _, c := range cs {
		c.Send(OpSceneReady, nil)
	}
	if !g.StartAt().Equal(t0) {
		t.Fatalf("start at %v, want %v", g.StartAt(), t0)
	}
	if landed, finished := g.land(t0); landed != 0 || finished {
		t.Fatalf("land at the start = %b, %v; want nothing", landed, finished)
	}
	return g, h
}

func at(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

func TestHopMovesAFifthInFourSeconds(t *testing.T) {
	g, _ := started(t, DefaultRules())
	if got := g.hop(0, at(0)); got != Started {
		t.Fatalf("Hop = %v, want Started", got)
	}
	if landed, _ := g.land(at(3999)); landed != 0 {
		t.Fatalf("landed early: %b", landed)
	}
	if p := g.position(0, at(2000)); p < 0.0999 || p > 0.1001 {
		t.Errorf("position mid-hop = %v, want 0.1", p)
	}
	landed, finished := g.land(at(4000))
	if landed != 1 || finished {
		t.Fatalf("Tick = %b, %v; want lane 0 landed, not finished", landed, finished)
	}
	if p := g.position(0, at(5000)); p != 0.2 {
		t.Errorf("position = %v, want 0.2", p)
	}
}

func TestPenaltiesAccumulate(t *testing.T) {
	tests := []struct {
		name    string
		presses int
		wantEnd time.Duration
	}{
		{"no extra press", 0, 4 * time.Second},
		{"one press", 1, 4100 * time.Millisecond},
		{"three presses", 3, 4300 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, _ := started(t, DefaultRules())
			g.hop(0, at(0))
			for i := 0; i < tt.presses; i++ {
				if got := g.hop(0, at(100*(i+1))); got != Penalized {
					t.Fatalf("press %d = %v, want Penalized", i, got)
				}
			}
			f := g.frogs[0]
			if got := f.HopEnd.Sub(t0); got != tt.wantEnd {
				t.Errorf("hop ends after %v, want %v", got, tt.wantEnd)
			}
			if f.Penalty != time.Duration(tt.presses)*100*time.Millisecond || f.Penalties != tt.presses {
				t.Errorf("penalty %v (%d presses), want %d presses", f.Penalty, f.Penalties, tt.presses)
			}
			if landed, _ := g.land(t0.Add(tt.wantEnd - time.Millisecond)); landed != 0 {
				t.Error("landed before the penalised end")
			}
			if landed, _ := g.land(t0.Add(tt.wantEnd)); landed != 1 {
				t.Error("did not land at the penalised end")
			}
		})
	}
}

// race5 makes lane hop five times starting at the given offsets (ms), ticking
// every 100 ms, and returns the model when the race ends.
func TestPressAfterLandingBeforeTheTickStartsAHop(t *testing.T) {
	g, _ := started(t, DefaultRules())
	g.hop(0, at(0))
	if got := g.hop(0, at(4050)); got != Started { // landed at 4000, no tick since
		t.Fatalf("press after landing = %v, want Started", got)
	}
	if f := g.frogs[0]; f.Hops != 2 || f.Penalties != 0 || !f.HopStart.Equal(at(4050)) {
		t.Errorf("frog = %+v, want a second hop from 4050 ms without penalty", f)
	}
}

func TestFinishAndWinner(t *testing.T) {
	r := DefaultRules()
	g, _ := started(t, r)
	now := 0
	hop := func(lane int) {
		if g.frogs[lane].Hopping {
			return
		}
		g.hop(lane, at(now))
	}
	var finished bool
	for ; now <= 30000 && !finished; now += 100 {
		hop(0)
		if now >= 50 { // lane 1 is always a little later
			hop(1)
		}
		_, finished = g.land(at(now))
	}
	if !finished {
		t.Fatal("race did not finish")
	}
	res := g.result
	if res.Winner != 0 || res.Reason != match.Finished || res.TieBreak {
		t.Fatalf("result = %+v, want lane 0 by finish", res)
	}
	if f := g.frogs[0]; f.Hops != 5 || g.position(0, at(now)) != r.FinishLine {
		t.Errorf("winner hops = %d at %v, want 5 at the line", f.Hops, g.position(0, at(now)))
	}
	if got := g.hop(1, at(now)); got != Ignored {
		t.Errorf("hop after the finish = %v, want Ignored", got)
	}
}

func TestTieBreak(t *testing.T) {
	tests := []struct {
		name       string
		extra      [2]int // penalty presses on the last hop per lane
		offset     [2]int // ms each lane starts its last hop
		wantWinner int
		wantTie    bool
	}{
		{"exact tie goes to the lower lane", [2]int{0, 0}, [2]int{0, 0}, 0, true},
		{"earlier landing in the same tick wins", [2]int{0, 0}, [2]int{30, 10}, 1, false},
		{"same landing, fewer penalties wins", [2]int{1, 0}, [2]int{0, 100}, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, _ := started(t, DefaultRules())
			for lane := range 2 {
				f := &g.frogs[lane]
				f.Hops = 4 // four hops done: the next one finishes
			}
			for lane := range 2 {
				g.hop(lane, at(tt.offset[lane]))
				for i := 0; i < tt.extra[lane]; i++ {
					g.hop(lane, at(tt.offset[lane]+1))
				}
			}
			_, finished := g.land(at(5000))
			if !finished {
				t.Fatal("race did not finish")
			}
			if r := g.result; r.Winner != tt.wantWinner || r.TieBreak != tt.wantTie {
				t.Errorf("result = %+v, want winner %d tie %v", r, tt.wantWinner, tt.wantTie)
			}
		})
	}
}

// TestTieBreakAmongThree: the tie break is the winner's, against whoever
// crossed at the same time, not against the first other frog across.
func TestTieBreakAmongThree(t *testing.T) {
	r := DefaultRules()
	r.Seats = 3
	g, _ := started(t, r)
	for lane, start := range []int{140, 0, 100} { // lane 0 lands last
		g.frogs[lane].Hops = 4
		g.hop(lane, at(start))
	}
	g.hop(1, at(1)) // a penalty: lanes 1 and 2 land together, and 2 wins the tie
	if _, finished := g.land(at(5000)); !finished {
		t.Fatal("race did not finish")
	}
	if res := g.result; res.Winner != 2 || !res.TieBreak {
		t.Errorf("result = %+v, want lane 2 by a tie break", res)
	}
}

func TestForfeit(t *testing.T) {
	g, h := started(t, DefaultRules())
	g.hop(0, at(0))
	h.Advance(t0.Add(time.Second).Sub(h.Clock.Now()))
	if got := g.forfeit(h.Session, g.Player(0)); got != match.Forfeit {
		t.Fatalf("forfeit = %q, want %q", got, match.Forfeit)
	}
	if r := g.result; r.Winner != 1 || r.Reason != match.Forfeit {
		t.Errorf("result = %+v, want lane 1 by forfeit", r)
	}
	h.Advance(time.Second)
	if got := g.forfeit(h.Session, g.Player(1)); got != "" {
		t.Errorf("a second forfeit changed a finished race: %q", got)
	}
}

func TestHopsBeforeTheStartAreIgnored(t *testing.T) {
	g, _, cs := lobby(t, DefaultRules())
	if got := g.hop(0, t0); got != Ignored {
		t.Errorf("hop while waiting = %v", got)
	}
	for _, c := range cs {
		c.Send(OpSceneReady, nil)
	}
	if got := g.hop(0, t0.Add(-time.Second)); got != Ignored {
		t.Errorf("hop during countdown = %v", got)
	}
	if got := g.hop(1, g.StartAt()); got != Started {
		t.Errorf("hop at the start, before the tick = %v, want Started", got)
	}
	// A third player refused and a player back in its own lane are the
	// match's seats: TestBadMessages, and realtime/match's TestLifecycle
	// and TestLateJoinerIsRefused.
}

func TestRulesValidate(t *testing.T) {
	bad := DefaultRules()
	bad.HopDistance = 2
	if bad.Validate() == nil {
		t.Error("a hop longer than the track was accepted")
	}
	if err := DefaultRules().Validate(); err != nil {
		t.Error(err)
	}
	odd := DefaultRules()
	odd.HopDistance = 0.3
	if n := odd.hopsToFinish(); n != 4 {
		t.Errorf("hops to finish with 0.3 = %d, want 4", n)
	}
}
