package race

import (
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	racev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/race/v1"
	realtimev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/realtime/v1"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime/match"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime/realtimetest"
)

type table struct {
	h    *realtimetest.Harness
	game *Game
	a, b *realtimetest.TestClient
}

// newTable seats two players and runs the countdown to the start.
func newTable(t *testing.T, rules Rules) *table {
	t.Helper()
	g, err := NewGame(rules, nil)
	if err != nil {
		t.Fatal(err)
	}
	h, err := realtimetest.NewHarness(realtime.Config{MaxPlayers: rules.Seats}, g, t0)
	if err != nil {
		t.Fatal(err)
	}
	tb := &table{h: h, game: g}
	if tb.a, err = h.Connect("alice"); err != nil {
		t.Fatal(err)
	}
	if tb.b, err = h.Connect("bob"); err != nil {
		t.Fatal(err)
	}
	tb.a.Send(OpSceneReady, nil)
	tb.b.Send(OpSceneReady, nil)
	if g.Phase() != match.Countdown {
		t.Fatalf("phase = %v after both scene-ready", g.Phase())
	}
	h.Advance(rules.Countdown)
	if g.Phase() != match.Playing {
		t.Fatalf("phase = %v after the countdown", g.Phase())
	}
	return tb
}

func decode[T proto.Message](t *testing.T, m *realtimev1.GameMessage, v T) T {
	t.Helper()
	if err := proto.Unmarshal(m.Payload, v); err != nil {
		t.Fatalf("decode op %d: %v", m.OpCode, err)
	}
	return v
}

func find(ms []*realtimev1.GameMessage, op int32) []*realtimev1.GameMessage {
	var out []*realtimev1.GameMessage
	for _, m := range ms {
		if m.OpCode == op {
			out = append(out, m)
		}
	}
	return out
}

func TestAssignmentAndCountdown(t *testing.T) {
	g, _ := NewGame(DefaultRules(), nil)
	h, _ := realtimetest.NewHarness(realtime.Config{}, g, t0)
	a, _ := h.Connect("alice")
	b, _ := h.Connect("bob")
	for lane, c := range []*realtimetest.TestClient{a, b} {
		ms := c.Messages()
		as := find(ms, OpAssignPlayer)
		if len(as) != 1 {
			t.Fatalf("lane %d: %d assign messages", lane, len(as))
		}
		got := decode(t, as[0], &racev1.AssignPlayer{})
		if int(got.Lane) != lane || got.Rules.HopDurationMs != 4000 || got.Rules.HopDistance != 0.2 {
			t.Errorf("assign = %v", got)
		}
		if len(find(ms, OpRaceSnapshot)) != 1 {
			t.Errorf("lane %d: no snapshot", lane)
		}
	}
	a.Send(OpSceneReady, nil)
	if len(find(b.Messages(), OpCountdown)) != 0 {
		t.Fatal("countdown before both were ready")
	}
	h.Clock.Add(500 * time.Millisecond)
	b.Send(OpSceneReady, nil)
	cd := find(a.Messages(), OpCountdown)
	if len(cd) != 1 {
		t.Fatal("no countdown")
	}
	if got := decode(t, cd[0], &racev1.Countdown{}); got.StartAtMs != t0.Add(3500*time.Millisecond).UnixMilli() {
		t.Errorf("start at %d, want countdown from the second ready", got.StartAtMs)
	}
}

func TestFullRaceOverTheSession(t *testing.T) {
	tb := newTable(t, DefaultRules())
	tb.a.Discard()
	tb.b.Discard()
	var ms []*realtimev1.GameMessage
	for step := 0; step < 400; step++ {
		tb.a.Discard()
		ms = append(ms, tb.b.Messages()...)
		if !tb.game.frogs[0].Hopping {
			tb.a.Send(OpHop, nil)
		}
		if step%3 == 0 { // bob presses too often: penalties
			tb.b.Send(OpHop, nil)
		}
		tb.h.Advance(100 * time.Millisecond)
		if ended, _ := tb.h.Ended(); ended {
			break
		}
	}
	ended, outcome := tb.h.Ended()
	if !ended || outcome != string(match.Finished) {
		t.Fatalf("ended=%v outcome=%q", ended, outcome)
	}
	ms = append(ms, tb.b.Messages()...)
	res := find(ms, OpRaceResult)
	if len(res) != 1 {
		t.Fatalf("%d results", len(res))
	}
	r := decode(t, res[0], &racev1.RaceResult{})
	if r.WinnerLane != 0 || r.WinnerPlayerId != "alice" || r.Reason != racev1.RaceResult_REASON_FINISH {
		t.Errorf("result = %v", r)
	}
	if r.FinishTimesMs[0] != 20000 {
		t.Errorf("winner time = %d ms, want 5 hops x 4 s = 20000", r.FinishTimesMs[0])
	}
	var penalties int
	for _, m := range find(ms, OpFrogMoved) {
		fm := decode(t, m, &racev1.FrogMoved{})
		if fm.Cause == racev1.FrogMoved_CAUSE_PENALTY {
			penalties++
			if fm.Frog.Lane != 1 || fm.Frog.HopEndMs-fm.Frog.HopStartMs != 4000+fm.Frog.PenaltyMs {
				t.Errorf("penalty frame = %v", fm.Frog)
			}
		}
	}
	if penalties == 0 {
		t.Error("no penalty was broadcast")
	}
}

func TestReconnectWithinGrace(t *testing.T) {
	tb := newTable(t, DefaultRules())
	tb.a.Send(OpHop, nil)
	tb.b.Drop()
	st := find(tb.a.Messages(), OpPlayerStatus)
	if len(st) != 1 || decode(t, st[0], &racev1.PlayerStatus{}).Status != racev1.PlayerStatus_STATUS_RECONNECTING {
		t.Fatalf("status = %v", st)
	}
	tb.h.Advance(9 * time.Second)
	b2, err := tb.h.Connect("bob")
	if err != nil {
		t.Fatalf("reconnect: %v", err)
	}
	ms := b2.Messages()
	snap := find(ms, OpRaceSnapshot)
	if len(snap) != 1 {
		t.Fatal("no snapshot on reconnect")
	}
	if s := decode(t, snap[0], &racev1.RaceSnapshot{}); s.Phase != racev1.Phase_PHASE_RACING || s.Frogs[0].Hops != 1 {
		t.Errorf("snapshot = %v", s)
	}
	tb.h.Advance(5 * time.Second)
	if ended, _ := tb.h.Ended(); ended {
		t.Fatal("race ended although bob came back in time")
	}
	st = find(tb.a.Messages(), OpPlayerStatus)
	if len(st) != 1 || decode(t, st[0], &racev1.PlayerStatus{}).Status != racev1.PlayerStatus_STATUS_CONNECTED {
		t.Errorf("status after reconnect = %v", st)
	}
}

func TestForfeitAfterGrace(t *testing.T) {
	tb := newTable(t, DefaultRules())
	tb.a.Drop()
	tb.h.Advance(9900 * time.Millisecond)
	if ended, _ := tb.h.Ended(); ended {
		t.Fatal("forfeit before the grace ran out")
	}
	tb.h.Advance(100 * time.Millisecond)
	ended, outcome := tb.h.Ended()
	if !ended || outcome != string(match.Forfeit) {
		t.Fatalf("ended=%v outcome=%q, want forfeit", ended, outcome)
	}
	res := find(tb.b.Messages(), OpRaceResult)
	if len(res) != 1 {
		t.Fatal("no result")
	}
	if r := decode(t, res[0], &racev1.RaceResult{}); r.WinnerPlayerId != "bob" || r.Reason != racev1.RaceResult_REASON_FORFEIT {
		t.Errorf("result = %v", r)
	}
	if _, err := tb.h.Connect("alice"); err == nil {
		t.Error("a forfeited player rejoined")
	}
}

func TestNoShowFreesThePlace(t *testing.T) {
	g, _ := NewGame(DefaultRules(), nil)
	h, _ := realtimetest.NewHarness(realtime.Config{NoShowTimeout: time.Minute}, g, t0)
	freed := make(chan string, 1)
	h.Session.OnPlaceFreed(func(id string) { freed <- id })
	h.SetReservations("alice", "ghost")
	if _, err := h.Connect("alice"); err != nil {
		t.Fatal(err)
	}
	h.Advance(59 * time.Second)
	select {
	case id := <-freed:
		t.Fatalf("%s freed early", id)
	default:
	}
	h.Advance(time.Second)
	if id := <-freed; id != "ghost" {
		t.Errorf("freed %q, want ghost", id)
	}
	if h.Session.Reserved("ghost") {
		t.Error("ghost still reserved")
	}
	if _, err := h.Connect("carol"); err != nil {
		t.Errorf("the freed place was not given to the next player: %v", err)
	}
}

func TestNobodyJoinsEndsTheSession(t *testing.T) {
	g, _ := NewGame(DefaultRules(), nil)
	h, _ := realtimetest.NewHarness(realtime.Config{EmptyTimeout: time.Minute}, g, t0)
	h.Advance(59 * time.Second)
	if ended, _ := h.Ended(); ended {
		t.Fatal("ended early")
	}
	h.Advance(time.Second)
	if ended, outcome := h.Ended(); !ended || outcome != realtime.OutcomeEmpty {
		t.Errorf("ended=%v outcome=%q", ended, outcome)
	}
}

func TestBadMessages(t *testing.T) {
	tb := newTable(t, DefaultRules())
	tb.a.Discard()
	tb.a.Send(999, nil)
	fs := tb.a.Frames()
	if len(fs) != 1 || fs[0].GetError().GetCode() != realtimev1.Error_CODE_UNKNOWN_OP_CODE || fs[0].GetError().GetOpCode() != 999 {
		t.Fatalf("frames = %v", fs)
	}
	if closed, _ := tb.a.Closed(); closed {
		t.Error("an unknown op code closed the connection")
	}
	if _, err := tb.h.Connect("carol"); err == nil {
		t.Error("a third player joined")
	}
	tb.b.Discard()
	tb.a.Send(OpHop, nil) // the race goes on
	if len(find(tb.b.Messages(), OpFrogMoved)) != 1 {
		t.Error("the race did not go on after bad input")
	}
}

func TestRaceWakesForItsStart(t *testing.T) {
	g, _ := NewGame(DefaultRules(), nil)
	h, _ := realtimetest.NewHarness(realtime.Config{}, g, t0)
	a, _ := h.Connect("alice")
	b, _ := h.Connect("bob")
	if next := g.NextTick(h.Session, h.Clock.Now()); !next.IsZero() {
		t.Fatalf("a lobby asks for a tick at %v", next)
	}
	a.Send(OpSceneReady, nil)
	b.Send(OpSceneReady, nil)
	if next := h.NextWake(); !next.Equal(g.StartAt()) {
		t.Fatalf("the session wakes at %v during the countdown, want the start %v", next, g.StartAt())
	}
}

func TestRaceSleepsUntilALandingOrPenalty(t *testing.T) {
	tb := newTable(t, DefaultRules())
	g, h := tb.game, tb.h
	period := time.Second / time.Duration(h.Session.Config().TickRate)
	if next := g.NextTick(h.Session, h.Clock.Now()); !next.IsZero() {
		t.Fatalf("a race nobody hops in asks for a tick at %v", next)
	}
	h.Clock.Add(period / 3) // off the tick grid
	tb.a.Send(OpHop, nil)
	hopEnd := g.frogs[0].HopEnd
	next := g.NextTick(h.Session, h.Clock.Now())
	if next.Before(hopEnd) || !next.Before(hopEnd.Add(period)) || next.Sub(t0)%period != 0 {
		t.Fatalf("next tick %v for a landing at %v: want the first tick of the grid from %v at or after it", next, hopEnd, t0)
	}
	// A press during the hop: its penalty goes out a tick after the last one.
	last := h.Clock.Now()
	h.Advance(0)
	tb.a.Send(OpHop, nil)
	if got := g.NextTick(h.Session, h.Clock.Now()); !got.Equal(last.Add(period)) {
		t.Fatalf("next tick %v with a penalty to send, want %v", got, last.Add(period))
	}
	h.Advance(period)
	tb.a.Discard()
	tb.b.Discard()
	next = g.NextTick(h.Session, h.Clock.Now())
	h.Advance(next.Sub(h.Clock.Now()))
	if g.frogs[0].Hopping {
		t.Fatalf("the frog has not landed at the tick it asked for (%v, hop end %v)", next, g.frogs[0].HopEnd)
	}
	if len(find(tb.b.Messages(), OpFrogMoved)) != 1 {
		t.Fatal("the opponent was not told of the landing")
	}
	if next := g.NextTick(h.Session, h.Clock.Now()); !next.IsZero() {
		t.Fatalf("a race nobody hops in asks for a tick at %v", next)
	}
}

// OpenSeats counts the lanes nobody holds while the race waits, and is 0
// once the countdown started.
func TestOpenSeats(t *testing.T) {
	g, _ := NewGame(DefaultRules(), nil)
	h, _ := realtimetest.NewHarness(realtime.Config{}, g, t0)
	if n := g.OpenSeats(nil); n != 2 {
		t.Fatalf("empty race: %d open seats, want 2", n)
	}
	a, _ := h.Connect("alice")
	if n := g.OpenSeats(nil); n != 1 {
		t.Fatalf("one player in: %d open seats, want 1", n)
	}
	b, _ := h.Connect("bob")
	if n := g.OpenSeats(nil); n != 0 {
		t.Fatalf("full: %d open seats, want 0", n)
	}
	a.Send(OpSceneReady, nil)
	b.Send(OpSceneReady, nil)
	b.Drop()
	if n := g.OpenSeats(nil); n != 0 {
		t.Fatalf("counting down, a player away: %d open seats, want 0 (the race takes nobody new)", n)
	}
}
