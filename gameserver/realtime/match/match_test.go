package match_test

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/leapfrog-games/leapfrog/gameserver/realtime"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime/match"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime/realtimetest"
)

const (
	opReady = 1
	opTouch = 2
)

// game is the smallest game on a match: op 1 is "ready", op 2 an action
// the idle timeout counts. It records what the match told it.
type game struct {
	*match.Match
	log []string
}

func (g *game) OnMessage(s *realtime.Session, p *realtime.Player, m realtime.Message) error {
	switch m.OpCode {
	case opReady:
		g.Ready(s, p)
	case opTouch:
		g.Touch(s.Now())
	default:
		return realtime.ErrUnknownOpCode
	}
	return nil
}

var t0 = time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)

func newGame(t *testing.T, r match.Rules, forfeit func(*realtime.Session, *realtime.Player) match.Outcome, metrics *match.Metrics) (*game, *realtimetest.Harness) {
	t.Helper()
	g := &game{}
	hooks := match.Hooks{
		Countdown: func(s *realtime.Session, at time.Time) { g.log = append(g.log, "countdown "+at.Sub(t0).String()) },
		Begin:     func(s *realtime.Session) { g.log = append(g.log, "begin "+s.Now().Sub(t0).String()) },
		Joined: func(_ *realtime.Session, p *realtime.Player, seat int) {
			if p.Reconnects() > 0 { // a first join is in every case: log the returns
				g.log = append(g.log, fmt.Sprintf("back %s %d", p.PlayerID(), seat))
			}
		},
		Left: func(_ *realtime.Session, p *realtime.Player, seat int) {
			g.log = append(g.log, fmt.Sprintf("left %s %d", p.PlayerID(), seat))
		},
		Away: func(s *realtime.Session, p *realtime.Player, until time.Time) {
			g.log = append(g.log, "away "+p.PlayerID()+" until "+until.Sub(t0).String())
		},
		Forfeit: forfeit,
		Over:    func(_ *realtime.Session, o match.Outcome) { g.log = append(g.log, "over "+string(o)) },
	}
	m, err := match.New(r, hooks, metrics)
	if err != nil {
		t.Fatal(err)
	}
	g.Match = m
	h, err := realtimetest.NewHarness(realtime.Config{MaxPlayers: 8, NoShowTimeout: 20 * time.Second, EmptyTimeout: time.Hour}, g, t0)
	if err != nil {
		t.Fatal(err)
	}
	return g, h
}

func rules(seats int) match.Rules {
	return match.Rules{Seats: seats, Countdown: 3 * time.Second, ReconnectGrace: 10 * time.Second,
		LobbyTimeout: time.Minute, Timeout: 5 * time.Minute, IdleTimeout: 30 * time.Second, ReadyOnJoin: true}
}

func connect(t *testing.T, h *realtimetest.Harness, ids ...string) []*realtimetest.TestClient {
	t.Helper()
	var cs []*realtimetest.TestClient
	for _, id := range ids {
		c, err := h.Connect(id)
		if err != nil {
			t.Fatalf("connect %s: %v", id, err)
		}
		cs = append(cs, c)
	}
	return cs
}

func TestLifecycle(t *testing.T) {
	for _, tc := range []struct {
		name string
		// play runs the scenario from an empty match of rules(seats).
		seats    int
		noReady  bool // the players must send opReady
		play     func(t *testing.T, g *game, h *realtimetest.Harness)
		want     []string
		outcome  string // "" while the session runs
		phase    match.Phase
		openSeat int
	}{
		{
			name: "full lobby counts down and begins", seats: 3,
			play: func(t *testing.T, g *game, h *realtimetest.Harness) {
				connect(t, h, "a", "b", "c")
				h.Advance(3 * time.Second)
			},
			want:  []string{"countdown 3s", "begin 3s"},
			phase: match.Playing,
		},
		{
			name: "a lobby waits for every ready", seats: 2, noReady: true,
			play: func(t *testing.T, g *game, h *realtimetest.Harness) {
				cs := connect(t, h, "a", "b")
				cs[0].Send(opReady, nil)
				h.Advance(time.Second)
				if len(g.log) != 0 {
					t.Fatalf("countdown with one player ready: %v", g.log)
				}
				cs[1].Send(opReady, nil)
			},
			want:  []string{"countdown 4s"},
			phase: match.Countdown,
		},
		{
			name: "a lobby that never fills is abandoned", seats: 3,
			play: func(t *testing.T, g *game, h *realtimetest.Harness) {
				connect(t, h, "a", "b")
				h.Advance(time.Minute)
			},
			want: []string{"over abandoned"}, outcome: "abandoned", phase: match.Over,
		},
		{
			name: "a player who leaves the lobby frees its seat", seats: 3,
			play: func(t *testing.T, g *game, h *realtimetest.Harness) {
				cs := connect(t, h, "a", "b")
				cs[0].Drop()
				h.Advance(19 * time.Second)
				if len(g.log) != 0 {
					t.Fatalf("released before the no-show time: %v", g.log)
				}
				h.Advance(time.Second)
			},
			want: []string{"left a 0"}, phase: match.Lobby, openSeat: 2,
		},
		{
			name: "a player back in the lobby keeps its seat", seats: 3,
			play: func(t *testing.T, g *game, h *realtimetest.Harness) {
				cs := connect(t, h, "a", "b")
				cs[0].Drop()
				h.Advance(10 * time.Second)
				connect(t, h, "a")
				h.Advance(20 * time.Second)
				if seat := g.Seat(h.Session.Players()[0]); seat != 0 {
					t.Fatalf("a came back to seat %d, want its own 0", seat)
				}
			},
			want:  []string{"back a 0"},
			phase: match.Lobby, openSeat: 1,
		},
		{
			name: "a player away past the grace forfeits a match of two", seats: 2,
			play: func(t *testing.T, g *game, h *realtimetest.Harness) {
				cs := connect(t, h, "a", "b")
				h.Advance(5 * time.Second)
				cs[1].Drop()
				h.Advance(10 * time.Second)
			},
			want:    []string{"countdown 3s", "begin 5s", "away b until 15s", "over forfeit"},
			outcome: "forfeit", phase: match.Over,
		},
		{
			name: "three play on when one forfeits", seats: 3,
			play: func(t *testing.T, g *game, h *realtimetest.Harness) {
				cs := connect(t, h, "a", "b", "c")
				h.Advance(5 * time.Second)
				cs[1].Drop()
				h.Advance(10 * time.Second)
				if !h.Session.Players()[1].Removed() {
					t.Error("the forfeited player is still in")
				}
				g.Touch(h.Session.Now())
			},
			want:  []string{"countdown 3s", "begin 5s", "away b until 15s"},
			phase: match.Playing,
		},
		{
			name: "a player back within the grace plays on", seats: 2,
			play: func(t *testing.T, g *game, h *realtimetest.Harness) {
				cs := connect(t, h, "a", "b")
				h.Advance(5 * time.Second)
				cs[1].Drop()
				h.Advance(9 * time.Second)
				connect(t, h, "b")
				h.Advance(10 * time.Second)
			},
			want:  []string{"countdown 3s", "begin 5s", "away b until 15s", "back b 1"},
			phase: match.Playing,
		},
		{
			name: "away at the countdown starts the grace then", seats: 2, noReady: true,
			play: func(t *testing.T, g *game, h *realtimetest.Harness) {
				cs := connect(t, h, "a", "b")
				cs[1].Send(opReady, nil)
				cs[1].Drop() // ready, then gone: its seat is held for the no-show time
				cs[0].Send(opReady, nil)
				h.Advance(10 * time.Second)
			},
			want:    []string{"countdown 3s", "away b until 10s", "begin 10s", "over forfeit"},
			outcome: "forfeit", phase: match.Over,
		},
		{
			name: "nobody playing ends idle", seats: 2,
			play: func(t *testing.T, g *game, h *realtimetest.Harness) {
				cs := connect(t, h, "a", "b")
				h.Advance(20 * time.Second)
				cs[0].Send(opTouch, nil) // 20 s: idle now counts from here
				h.Advance(29 * time.Second)
				if g.Phase() != match.Playing {
					t.Fatalf("ended idle %v after the last action", 29*time.Second)
				}
				h.Advance(time.Second)
			},
			want:    []string{"countdown 3s", "begin 20s", "over idle"},
			outcome: "idle", phase: match.Over,
		},
		{
			name: "a match past its timeout is abandoned", seats: 2,
			play: func(t *testing.T, g *game, h *realtimetest.Harness) {
				cs := connect(t, h, "a", "b")
				for range 12 {
					h.Advance(25 * time.Second)
					cs[0].Send(opTouch, nil)
				}
				h.Advance(5 * time.Second)
			},
			want:    []string{"countdown 3s", "begin 25s", "over abandoned"},
			outcome: "abandoned", phase: match.Over,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rules(tc.seats)
			r.ReadyOnJoin = !tc.noReady
			g, h := newGame(t, r, nil, nil)
			tc.play(t, g, h)
			if !slices.Equal(g.log, tc.want) {
				t.Errorf("hooks:\n got %q\nwant %q", g.log, tc.want)
			}
			ended, outcome := h.Ended()
			if ended != (tc.outcome != "") || outcome != tc.outcome {
				t.Errorf("session ended %v with %q, want %q", ended, outcome, tc.outcome)
			}
			if g.Phase() != tc.phase {
				t.Errorf("phase %v, want %v", g.Phase(), tc.phase)
			}
			if got := g.OpenSeats(h.Session); got != tc.openSeat {
				t.Errorf("open seats %d, want %d", got, tc.openSeat)
			}
		})
	}
}

func TestLateJoinerIsRefused(t *testing.T) {
	_, h := newGame(t, rules(2), nil, nil)
	connect(t, h, "a", "b")
	if _, err := h.Connect("c"); err == nil || !strings.Contains(err.Error(), match.ErrStarted.Error()) {
		t.Fatalf("a third player in a started match of two: %v, want %v", err, match.ErrStarted)
	}
}

func TestForfeitHookDecides(t *testing.T) {
	var forfeited []string
	g, h := newGame(t, rules(3), func(_ *realtime.Session, p *realtime.Player) match.Outcome {
		forfeited = append(forfeited, p.PlayerID())
		return match.Forfeit // this game ends at the first forfeit, even with two left
	}, nil)
	cs := connect(t, h, "a", "b", "c")
	h.Advance(3 * time.Second)
	cs[2].Drop()
	h.Advance(10 * time.Second)
	if !slices.Equal(forfeited, []string{"c"}) {
		t.Errorf("forfeited %v, want [c]", forfeited)
	}
	if ended, outcome := h.Ended(); !ended || outcome != "forfeit" || g.Phase() != match.Over {
		t.Errorf("ended %v with %q in %v, want forfeit", ended, outcome, g.Phase())
	}
}

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := match.NewMetrics(reg, "test", "matches")
	_, lobby := newGame(t, rules(2), nil, m)
	lobby.Advance(time.Minute) // never started: not counted
	_, played := newGame(t, rules(2), nil, m)
	cs := connect(t, played, "a", "b")
	played.Advance(5 * time.Second)
	cs[0].Drop()
	played.Advance(10 * time.Second)
	cutGame, cut := newGame(t, rules(2), nil, m)
	connect(t, cut, "a", "b")
	cut.Session.End(realtime.OutcomeShutdown) // as a server stopping does; then the session calls OnEnd
	cutGame.OnEnd(cut.Session)
	if got := counters(t, reg); !maps.Equal(got, map[string]float64{
		"leapfrog_test_matches_started_total":                      2,
		"leapfrog_test_matches_ended_total{outcome=\"forfeit\"}":   1,
		"leapfrog_test_matches_ended_total{outcome=\"abandoned\"}": 1,
	}) {
		t.Errorf("counters %v", got)
	}
}

// counters reads every counter of reg, named with its labels.
func counters(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			name := mf.GetName()
			for _, l := range m.GetLabel() {
				name += fmt.Sprintf("{%s=%q}", l.GetName(), l.GetValue())
			}
			out[name] = m.GetCounter().GetValue()
		}
	}
	return out
}

// TestAnsweredLatency: what a game reports with Answered is timed by the
// latency of Metrics.WithLatency; without it, or without metrics, nothing is.
func TestAnsweredLatency(t *testing.T) {
	reg := prometheus.NewRegistry()
	timed := match.NewMetrics(reg, "test", "matches").WithLatency(reg, "act_latency_seconds", "Time to answer an action.")
	for _, m := range []*match.Metrics{timed, match.NewMetrics(prometheus.NewRegistry(), "test", "matches"), nil} {
		g, _ := newGame(t, rules(2), nil, m)
		g.Answered(realtime.Message{Received: time.Now()})
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var samples uint64
	for _, mf := range mfs {
		if mf.GetName() == "leapfrog_test_act_latency_seconds" {
			samples = mf.GetMetric()[0].GetHistogram().GetSampleCount()
		}
	}
	if samples != 1 {
		t.Errorf("latency samples %d, want 1 (the timed game's)", samples)
	}
}
