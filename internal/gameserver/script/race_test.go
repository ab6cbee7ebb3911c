package script

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/leapfrog-games/leapfrog/client"
	racev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/race/v1"
	"github.com/leapfrog-games/leapfrog/gameserver/race"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime/match"
)

const megaFrogRace = "../../../examples/megafrograce"

// matchEvent is one Mega Frog Race message as a client decoded it.
type matchEvent struct {
	op  racev1.OpCode
	msg proto.Message
}

func (e matchEvent) String() string { return fmt.Sprintf("%s %v", e.op, e.msg) }

// racer is the real Go client with the match messages it has seen.
type racer struct {
	t      testing.TB
	conn   *client.Conn
	events []matchEvent
}

func (r *rig) racer(playerID string) *racer {
	r.t.Helper()
	c, err := client.Dial(context.Background(), r.url, playerID, client.DialOptions{})
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() { c.Close() })
	return &racer{t: r.t, conn: c}
}

// until reads events until want matches a match message; it returns it.
func (p *racer) until(want func(matchEvent) bool) matchEvent {
	p.t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		var ev client.Event
		select {
		case ev = <-p.conn.Events():
		case <-timeout:
			p.t.Fatalf("no matching event; saw %v", p.events)
		}
		var re matchEvent
		switch e := ev.(type) {
		case client.AssignPlayer:
			re = matchEvent{racev1.OpCode_OP_CODE_ASSIGN_PLAYER, e.AssignPlayer}
		case client.RaceSnapshot:
			re = matchEvent{racev1.OpCode_OP_CODE_RACE_SNAPSHOT, e.RaceSnapshot}
		case client.Countdown:
			re = matchEvent{racev1.OpCode_OP_CODE_COUNTDOWN, e.Countdown}
		case client.FrogMoved:
			re = matchEvent{racev1.OpCode_OP_CODE_FROG_MOVED, e.FrogMoved}
		case client.PlayerStatus:
			re = matchEvent{racev1.OpCode_OP_CODE_PLAYER_STATUS, e.PlayerStatus}
		case client.RaceResult:
			re = matchEvent{racev1.OpCode_OP_CODE_RACE_RESULT, e.RaceResult}
		case client.ServerError:
			p.t.Fatalf("server error: %v", e.Error)
		case client.Closed:
			p.t.Fatalf("closed (%d %s) while waiting; saw %v", e.Code, e.Text, p.events)
		default:
			continue
		}
		p.events = append(p.events, re)
		if want(re) {
			return re
		}
	}
}

func isOp(op racev1.OpCode) func(matchEvent) bool {
	return func(e matchEvent) bool { return e.op == op }
}

func moved(lane int32, cause racev1.FrogMoved_Cause) func(matchEvent) bool {
	return func(e matchEvent) bool {
		m, ok := e.msg.(*racev1.FrogMoved)
		return ok && m.Frog.GetLane() == lane && m.Cause == cause
	}
}

// playMatch plays one scripted sequence of presses on a session clock the
// test moves: both players ready, alice hops with one early press and
// wins in five hops, bob hops twice. It returns what each client saw.
func playMatch(t *testing.T, r *rig) (alice, bob []matchEvent) {
	a := r.racer("alice")
	a.until(isOp(racev1.OpCode_OP_CODE_RACE_SNAPSHOT)) // alice gets lane 0
	b := r.racer("bob")
	b.until(isOp(racev1.OpCode_OP_CODE_RACE_SNAPSHOT))
	for _, p := range []*racer{a, b} {
		if err := p.conn.SendSceneReady(); err != nil {
			t.Fatal(err)
		}
	}
	a.until(isOp(racev1.OpCode_OP_CODE_COUNTDOWN))
	b.until(isOp(racev1.OpCode_OP_CODE_COUNTDOWN))
	r.advance(3 * time.Second)
	hop := func(p *racer, lane int32, cause racev1.FrogMoved_Cause) {
		t.Helper()
		if err := p.conn.SendHop(); err != nil {
			t.Fatal(err)
		}
		a.until(moved(lane, cause))
		b.until(moved(lane, cause))
	}
	land := func(lane int32, after time.Duration) {
		t.Helper()
		r.advance(after)
		a.until(moved(lane, racev1.FrogMoved_CAUSE_LANDED))
		b.until(moved(lane, racev1.FrogMoved_CAUSE_LANDED))
	}
	hop(a, 0, racev1.FrogMoved_CAUSE_HOP)
	r.advance(time.Second)
	hop(a, 0, racev1.FrogMoved_CAUSE_PENALTY)
	hop(b, 1, racev1.FrogMoved_CAUSE_HOP)
	land(0, 3100*time.Millisecond)
	hop(a, 0, racev1.FrogMoved_CAUSE_HOP)
	land(1, 900*time.Millisecond)
	hop(b, 1, racev1.FrogMoved_CAUSE_HOP)
	for i := range 3 {
		land(0, 4*time.Second)
		if i < 2 {
			hop(a, 0, racev1.FrogMoved_CAUSE_HOP)
		}
	}
	hop(a, 0, racev1.FrogMoved_CAUSE_HOP)
	land(0, 4*time.Second)
	a.until(isOp(racev1.OpCode_OP_CODE_RACE_RESULT))
	b.until(isOp(racev1.OpCode_OP_CODE_RACE_RESULT))
	return a.events, b.events
}

// TestMegaFrogMatchScriptMatchesTheGoMatch plays the same presses, on the
// same clock, against the Go match and the Realtime script, through the Go
// client: every match message both clients get must be identical.
func TestMegaFrogMatchScriptMatchesTheGoMatch(t *testing.T) {
	goRig := func() *rig {
		clock := &testClock{now: time.Date(2026, 11, 29, 8, 0, 0, 0, time.UTC)}
		game, err := race.NewGame(race.DefaultRules(), nil)
		if err != nil {
			t.Fatal(err)
		}
		return startRig(t, game, realtime.Config{GameServer: "gs-1", MaxPlayers: 2, Clock: clock, Logger: slog.New(slog.DiscardHandler)}, clock, &syncBuffer{})
	}()
	wantA, wantB := playMatch(t, goRig)
	if out := goRig.outcome(); out != string(match.Finished) {
		t.Fatalf("Go match outcome %q", out)
	}
	jsRig := newRig(t, megaFrogRace, Config{})
	gotA, gotB := playMatch(t, jsRig)
	if out := jsRig.outcome(); out != realtime.OutcomeCompleted {
		t.Errorf("script match outcome %q, want %q\n%s", out, realtime.OutcomeCompleted, jsRig.logs)
	}
	for _, c := range []struct {
		who       string
		got, want []matchEvent
	}{{"alice", gotA, wantA}, {"bob", gotB, wantB}} {
		if len(c.got) != len(c.want) {
			t.Errorf("%s: %d match messages, the Go match sent %d\n got %v\nwant %v", c.who, len(c.got), len(c.want), c.got, c.want)
			continue
		}
		for i := range c.want {
			if c.got[i].op != c.want[i].op || !proto.Equal(c.got[i].msg, c.want[i].msg) {
				t.Errorf("%s message %d:\n got %v\nwant %v", c.who, i, c.got[i], c.want[i])
			}
		}
	}
	res := gotA[len(gotA)-1].msg.(*racev1.RaceResult)
	if res.WinnerPlayerId != "alice" || res.Reason != racev1.RaceResult_REASON_FINISH || res.FinishTimesMs[0] != 21000 {
		// Five 4 s hops, 0.1 s for the early press, 0.9 s waiting for bob's landing.
		t.Errorf("result %v, want alice at the line after 21 s", res)
	}
}
