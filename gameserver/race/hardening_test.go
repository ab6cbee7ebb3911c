package race

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	racev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/race/v1"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime/match"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime/realtimetest"
)

// total sums a counter (every label set) from reg.
func total(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	n := 0.0
	for _, mf := range mfs {
		if mf.GetName() == name {
			for _, m := range mf.GetMetric() {
				n += m.GetCounter().GetValue()
			}
		}
	}
	return n
}

func newLobby(t *testing.T, rules Rules) (*realtimetest.Harness, *prometheus.Registry, chan string) {
	t.Helper()
	reg := prometheus.NewRegistry()
	g, err := NewGame(rules, NewMetrics(reg))
	if err != nil {
		t.Fatal(err)
	}
	h, err := realtimetest.NewHarness(realtime.Config{MaxPlayers: rules.Seats, NoShowTimeout: time.Minute, EmptyTimeout: time.Minute}, g, t0)
	if err != nil {
		t.Fatal(err)
	}
	freed := make(chan string, 4)
	h.Session.OnPlaceFreed(func(id string) { freed <- id })
	return h, reg, freed
}

func connect(t *testing.T, h *realtimetest.Harness, id string) *realtimetest.TestClient {
	t.Helper()
	c, err := h.Connect(id)
	if err != nil {
		t.Fatalf("%s refused: %v", id, err)
	}
	return c
}

// TestLobbyLeaverFreesThePlace is the lobby stall: A joins and leaves while
// alone, B joins and is ready. A's place must come back after the no-show
// time, so that the next player makes the race start.
func TestLobbyLeaverFreesThePlace(t *testing.T) {
	h, reg, freed := newLobby(t, DefaultRules())
	h.SetReservations("alice")
	connect(t, h, "alice").Drop()
	h.SetReservations("alice", "bob")
	b := connect(t, h, "bob")
	b.Send(OpSceneReady, nil)
	h.Advance(59 * time.Second)
	select {
	case id := <-freed:
		t.Fatalf("%s freed before the no-show time", id)
	default:
	}
	h.Advance(time.Second)
	if id := <-freed; id != "alice" {
		t.Fatalf("freed %q, want alice", id)
	}
	b.Discard()
	h.SetReservations("bob", "carol")
	c := connect(t, h, "carol")
	c.Send(OpSceneReady, nil)
	if len(find(b.Messages(), OpCountdown)) != 1 {
		t.Fatal("no countdown once the freed place was taken")
	}
	if s := total(t, reg, "leapfrog_race_races_started_total"); s != 1 {
		t.Errorf("races started = %v, want 1", s)
	}
}

// TestLobbyLeaverComingBackKeepsThePlace: back within the no-show time, the
// player is still in.
func TestLobbyLeaverComingBackKeepsThePlace(t *testing.T) {
	h, _, freed := newLobby(t, DefaultRules())
	h.SetReservations("alice", "bob")
	connect(t, h, "alice").Drop()
	b := connect(t, h, "bob")
	h.Advance(30 * time.Second)
	a := connect(t, h, "alice")
	h.Advance(time.Minute)
	select {
	case id := <-freed:
		t.Fatalf("%s freed though it came back", id)
	default:
	}
	b.Discard()
	a.Send(OpSceneReady, nil)
	b.Send(OpSceneReady, nil)
	if len(find(b.Messages(), OpCountdown)) != 1 {
		t.Fatal("no countdown")
	}
}

// TestLobbyHasADeadline: a lone player waits at most the lobby timeout, and
// a lobby that never raced is not counted as a race that ended.
func TestLobbyHasADeadline(t *testing.T) {
	rules := DefaultRules()
	h, reg, _ := newLobby(t, rules)
	h.SetReservations("bob")
	b := connect(t, h, "bob")
	b.Send(OpSceneReady, nil)
	for elapsed := time.Duration(0); elapsed < rules.LobbyTimeout-time.Minute; elapsed += time.Minute {
		h.Advance(time.Minute)
		if ended, _ := h.Ended(); ended {
			t.Fatalf("ended after %v", elapsed)
		}
	}
	h.Advance(time.Minute)
	if ended, outcome := h.Ended(); !ended || outcome != string(match.Abandoned) {
		t.Fatalf("ended=%v outcome=%q, want abandoned", ended, outcome)
	}
	res := find(b.Messages(), OpRaceResult)
	if len(res) != 1 || decode(t, res[0], &racev1.RaceResult{}).Reason != racev1.RaceResult_REASON_ABANDONED {
		t.Fatalf("result = %v", res)
	}
	if s, e := total(t, reg, "leapfrog_race_races_started_total"), total(t, reg, "leapfrog_race_races_ended_total"); s != 0 || e != 0 {
		t.Errorf("started %v, ended %v: want 0 and 0", s, e)
	}
}

// TestRacesEndedNeverExceedsStarted replays the lobby stall's end: the
// ready player leaves the lobby too. Nobody wins a race that never started.
func TestRacesEndedNeverExceedsStarted(t *testing.T) {
	h, reg, _ := newLobby(t, DefaultRules())
	h.SetReservations("alice", "bob")
	connect(t, h, "alice").Drop()
	b := connect(t, h, "bob")
	b.Send(OpSceneReady, nil)
	b.Drop()
	for range 5 {
		h.Advance(time.Minute)
	}
	if ended, _ := h.Ended(); !ended {
		t.Fatal("the empty lobby never ended")
	}
	if s, e := total(t, reg, "leapfrog_race_races_started_total"), total(t, reg, "leapfrog_race_races_ended_total"); e > s {
		t.Fatalf("races ended %v > races started %v", e, s)
	}
}

// TestPlayerAwayAtTheStartGetsTheGrace: ready, then gone before the other
// is ready; the countdown starts and the reconnect grace applies.
func TestPlayerAwayAtTheStartGetsTheGrace(t *testing.T) {
	rules := DefaultRules()
	h, _, _ := newLobby(t, rules)
	h.SetReservations("alice", "bob")
	a := connect(t, h, "alice")
	a.Send(OpSceneReady, nil)
	a.Drop()
	b := connect(t, h, "bob")
	b.Send(OpSceneReady, nil)
	h.Advance(rules.ReconnectGrace)
	res := find(b.Messages(), OpRaceResult)
	if len(res) != 1 {
		t.Fatal("no result after the grace")
	}
	if r := decode(t, res[0], &racev1.RaceResult{}); r.WinnerPlayerId != "bob" || r.Reason != racev1.RaceResult_REASON_FORFEIT {
		t.Fatalf("result = %v", r)
	}
}

func TestRaceHasADeadline(t *testing.T) {
	rules := DefaultRules()
	rules.IdleTimeout = 0 // else the race ends idle first
	tb := newTable(t, rules)
	tb.h.Advance(rules.Timeout)
	if ended, outcome := tb.h.Ended(); !ended || outcome != string(match.Abandoned) {
		t.Fatalf("ended=%v outcome=%q, want abandoned", ended, outcome)
	}
}

// TestPenaltiesAreSentOncePerTick: presses during a hop reach the other
// player as one FrogMoved per tick, however many there are.
func TestPenaltiesAreSentOncePerTick(t *testing.T) {
	tb := newTable(t, DefaultRules())
	tb.a.Send(OpHop, nil)
	if len(find(tb.b.Messages(), OpFrogMoved)) != 1 {
		t.Fatal("the hop itself was not sent at once")
	}
	for range 50 {
		tb.a.Send(OpHop, nil)
	}
	if n := len(find(tb.b.Messages(), OpFrogMoved)); n != 0 {
		t.Fatalf("%d FrogMoved before the tick, want 0", n)
	}
	tb.h.Advance(100 * time.Millisecond)
	moved := find(tb.b.Messages(), OpFrogMoved)
	if len(moved) != 1 {
		t.Fatalf("%d FrogMoved in the tick, want 1", len(moved))
	}
	if fm := decode(t, moved[0], &racev1.FrogMoved{}); fm.Cause != racev1.FrogMoved_CAUSE_PENALTY || fm.Frog.Penalties != 50 {
		t.Fatalf("FrogMoved = %v, want 50 penalties", fm)
	}
}
