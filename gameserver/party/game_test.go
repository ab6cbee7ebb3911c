package party_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	partyv1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/party/v1"
	"github.com/leapfrog-games/leapfrog/gameserver/party"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime/realtimetest"
)

var t0 = time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)

// fixed rules: a fly 1 s into each round, so that tests know when.
func fixed(players, rounds int) party.Rules {
	r := party.DefaultRules()
	r.Players, r.Rounds, r.MinWait, r.MaxWait = players, rounds, time.Second, time.Second
	return r
}

type table struct {
	t       *testing.T
	h       *realtimetest.Harness
	g       *party.Game
	clients []*realtimetest.TestClient
}

// seat starts a match of r and connects one frog per seat, p0, p1...
func seat(t *testing.T, r party.Rules) *table {
	t.Helper()
	g, err := party.NewGame(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	h, err := realtimetest.NewHarness(realtime.Config{MaxPlayers: r.Players, NoShowTimeout: 20 * time.Second, EmptyTimeout: time.Hour}, g, t0)
	if err != nil {
		t.Fatal(err)
	}
	tb := &table{t: t, h: h, g: g}
	for i := range r.Players {
		c, err := h.Connect(fmt.Sprintf("p%d", i))
		if err != nil {
			t.Fatal(err)
		}
		tb.clients = append(tb.clients, c)
	}
	return tb
}

func (tb *table) snap(i int) { tb.clients[i].Send(party.OpSnap, nil) }

// last decodes the last message of op code op that client i got since the
// last call, or fails.
func last[T proto.Message](tb *table, i int, op int32, m T) T {
	tb.t.Helper()
	var found bool
	for _, msg := range tb.clients[i].Messages() {
		if msg.OpCode == op {
			found = true
			if err := proto.Unmarshal(msg.Payload, m); err != nil {
				tb.t.Fatal(err)
			}
		}
	}
	if !found {
		tb.t.Fatalf("client %d got no op code %d", i, op)
	}
	return m
}

func points(sc []*partyv1.Score) string {
	var b strings.Builder
	for _, s := range sc {
		fmt.Fprintf(&b, "%s=%d ", s.PlayerId, s.Points)
	}
	return strings.TrimSpace(b.String())
}

func TestAMatchPlaysOut(t *testing.T) {
	tb := seat(t, fixed(4, 3))
	if cd := last(tb, 3, party.OpCountdown, &partyv1.Countdown{}); cd.StartAtMs != t0.Add(3*time.Second).UnixMilli() || cd.Rounds != 3 {
		t.Fatalf("countdown %v", cd)
	}
	tb.h.Advance(3 * time.Second)
	if r := last(tb, 0, party.OpRound, &partyv1.Round{}); r.Round != 1 {
		t.Fatalf("round %v", r)
	}
	// Round 1: p2 snaps too early, p1 catches the fly, p3 is too late.
	tb.snap(2)
	tb.snap(2) // a second early snap costs nothing more
	tb.h.Advance(time.Second)
	last(tb, 1, party.OpFly, &partyv1.Fly{})
	tb.snap(1)
	tb.snap(3)
	if sc := last(tb, 0, party.OpScores, &partyv1.Scores{}); sc.CaughtBy != "p1" || points(sc.Scores) != "p0=0 p1=1 p2=-1 p3=0" {
		t.Fatalf("round 1 scores %v", sc)
	}
	// Round 2: nobody snaps; the fly goes.
	tb.h.Advance(time.Second) // pause
	tb.h.Advance(time.Second) // fly
	tb.h.Advance(2 * time.Second)
	if sc := last(tb, 0, party.OpScores, &partyv1.Scores{}); sc.Round != 2 || sc.CaughtBy != "" {
		t.Fatalf("round 2 scores %v", sc)
	}
	// Round 3: p0 catches it; p0 and p1 tie at the top.
	tb.h.Advance(time.Second)
	tb.h.Advance(time.Second)
	tb.snap(0)
	res := last(tb, 2, party.OpResult, &partyv1.Result{})
	if res.Outcome != "finished" || points(res.Scores) != "p0=1 p1=1 p2=-1 p3=0" || !slices.Equal(res.Winners, []string{"p0", "p1"}) {
		t.Fatalf("result %v", res)
	}
	if ended, outcome := tb.h.Ended(); !ended || outcome != "finished" {
		t.Fatalf("session ended %v %q", ended, outcome)
	}
}

func TestPlayerCount(t *testing.T) {
	for _, tc := range []struct {
		players int
		valid   bool
	}{{2, false}, {3, true}, {4, true}, {8, true}, {9, false}} {
		t.Run(fmt.Sprint(tc.players), func(t *testing.T) {
			r := fixed(tc.players, 1)
			if _, err := party.NewGame(r, nil); (err == nil) != tc.valid {
				t.Fatalf("players %d: err %v, want valid %v", tc.players, err, tc.valid)
			}
			if !tc.valid {
				return
			}
			// The match waits for every seat: one frog short, no countdown.
			g, _ := party.NewGame(r, nil)
			h, err := realtimetest.NewHarness(realtime.Config{MaxPlayers: tc.players}, g, t0)
			if err != nil {
				t.Fatal(err)
			}
			var first *realtimetest.TestClient
			for i := range tc.players {
				if i == tc.players-1 && len(first.Messages()) != 0 {
					t.Fatalf("a game message with %d of %d frogs in", i, tc.players)
				}
				c, err := h.Connect(fmt.Sprintf("p%d", i))
				if err != nil {
					t.Fatal(err)
				}
				if first == nil {
					first = c
				}
			}
			tb := &table{t: t, h: h, g: g, clients: []*realtimetest.TestClient{first}}
			if cd := last(tb, 0, party.OpCountdown, &partyv1.Countdown{}); len(cd.Scores) != tc.players {
				t.Fatalf("countdown %v: want %d frogs", cd, tc.players)
			}
		})
	}
}

func TestAForfeitedFrogCannotWin(t *testing.T) {
	r := fixed(3, 2)
	r.Pause = 30 * time.Second
	tb := seat(t, r)
	tb.h.Advance(3 * time.Second)
	tb.h.Advance(time.Second)
	tb.snap(2) // p2 leads, then drops for good
	tb.clients[2].Drop()
	tb.h.Advance(10 * time.Second) // the grace: p2 forfeits, two play on
	if ended, _ := tb.h.Ended(); ended || !tb.h.Session.Players()[2].Removed() {
		t.Fatalf("ended %v; p2 removed %v: want two frogs playing on", ended, tb.h.Session.Players()[2].Removed())
	}
	tb.h.Advance(20 * time.Second) // round 2
	tb.h.Advance(time.Second)      // its fly
	tb.snap(0)
	if res := last(tb, 1, party.OpResult, &partyv1.Result{}); !slices.Equal(res.Winners, []string{"p0"}) || points(res.Scores) != "p0=1 p1=0 p2=1" {
		t.Fatalf("result %v", res)
	}
}

func TestAFrogBackGetsTheScores(t *testing.T) {
	tb := seat(t, fixed(3, 2))
	tb.h.Advance(3 * time.Second)
	tb.snap(1)
	tb.clients[1].Drop()
	c, err := tb.h.Connect("p1")
	if err != nil {
		t.Fatal(err)
	}
	tb.clients[1] = c
	if sc := last(tb, 1, party.OpScores, &partyv1.Scores{}); sc.Round != 1 || points(sc.Scores) != "p0=0 p1=-1 p2=0" {
		t.Fatalf("scores on reconnect %v", sc)
	}
}

func TestUnknownOpCode(t *testing.T) {
	tb := seat(t, fixed(3, 1))
	tb.clients[0].Send(party.OpRound, nil)
	for _, f := range tb.clients[0].Frames() {
		if e := f.GetError(); e != nil && e.OpCode == party.OpRound {
			return
		}
	}
	t.Fatal("no error for an op code the server sends")
}

func TestTheFlyComesWithinTheWait(t *testing.T) {
	for i := range 20 {
		r := fixed(3, 1)
		r.MinWait, r.MaxWait = time.Second, 3*time.Second
		tb := seat(t, r)
		tb.h.Advance(3 * time.Second)
		tb.clients[0].Discard()
		tb.h.Advance(time.Second - time.Millisecond)
		if len(tb.clients[0].Messages()) != 0 {
			t.Fatalf("match %d: a fly before the shortest wait", i)
		}
		tb.h.Advance(2*time.Second + time.Millisecond)
		last(tb, 0, party.OpFly, &partyv1.Fly{})
	}
}
