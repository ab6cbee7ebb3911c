package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/leapfrog-games/leapfrog/client"
	realtimev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/realtime/v1"
	"github.com/leapfrog-games/leapfrog/contract/token"
	"github.com/leapfrog-games/leapfrog/test/internal/playtest"
)

// highDensity is one high-density race server of four races.
var highDensity = []string{"--local-races-per-server", "4", "--local-max", "1", "--local-buffer", "1", "--local-min", "1"}

// visit is what became of one connection with a player session token:
// welcomed into a race, or refused.
type visit struct {
	player   playtest.Player
	race     string // the Welcome's session id; "" if refused
	refusal  playtest.Refusal
	closeMsg string
}

// connect dials with tok and waits for the Welcome or the close, without
// failing the test on a refusal: the tests below count refusals.
func connect(t *testing.T, wsURL, playerID, tok string) visit {
	t.Helper()
	c, err := client.Dial(t.Context(), wsURL, tok, playtest.DialOptions)
	if err != nil {
		t.Fatalf("%s: %v", playerID, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	ctx, cancel := context.WithTimeout(t.Context(), waitFor)
	defer cancel()
	var lastErr *realtimev1.Error
	for {
		ev, err := playtest.NextEvent(ctx, c)
		if err != nil {
			t.Fatalf("%s: wait for welcome or close: %v", playerID, err)
		}
		switch e := ev.(type) {
		case client.Welcome:
			return visit{player: playtest.Player{ID: playerID, Conn: c}, race: e.SessionId}
		case client.ServerError:
			lastErr = e.Error
		case client.Closed:
			return visit{refusal: playtest.Refusal{Code: lastErr.GetCode(), Close: e.Code}, closeMsg: e.Text}
		}
	}
}

// sleepUntil waits for the wall clock to reach at: these tests shape an
// attack in time against a real allocator process, whose clock cannot be
// faked.
func sleepUntil(t *testing.T, at time.Time) {
	t.Helper()
	select {
	case <-time.After(time.Until(at)):
	case <-t.Context().Done():
		t.Fatal(t.Context().Err())
	}
}

// TestNoShowAskingAgainKeepsItsSeat is the attack of a seat given twice, on
// a high-density server: B is placed next to A and does not come; B asks
// again and gets a fresh token; C asks once B's seat was given back (B has
// not come for the show grace while A waits). The seat is promised twice,
// and the race server arbitrates: B comes first and races A; C, refused
// (4004), asks again as the browser does and must get a race of its own,
// never the full one. Before issue 22's fix C was refused until the race
// ended; the server's report of who holds the race's seats now tells the
// allocator that C lost it.
func TestNoShowAskingAgainKeepsItsSeat(t *testing.T) {
	const ttl = 6 * time.Second
	a := startAllocator(t, append(highDensity, "--no-show-timeout", "1s", "--session-ttl", ttl.String())...)
	ga, gb, gc, gd := a.guest(t), a.guest(t), a.guest(t), a.guest(t)
	placed := time.Now()
	ma := a.match(t, ga)
	mb := a.match(t, gb)
	if mb.GameServer != ma.GameServer {
		t.Fatalf("B on %s, want the seat next to A on %s", mb.GameServer, ma.GameServer)
	}
	pa := connect(t, ma.WSURL, ga.PlayerID, ma.PlayerSessionToken)
	if pa.race == "" {
		t.Fatalf("A refused: %+v", pa)
	}
	// B does not come, and asks again 5 s after its placement.
	sleepUntil(t, placed.Add(5*time.Second))
	mb2 := a.match(t, gb)
	if mb2.GameServer != ma.GameServer {
		t.Fatalf("B asking again got %s, want its seat on %s", mb2.GameServer, ma.GameServer)
	}
	// C asks once B's fresh seat was given back (show grace: 2 s).
	sleepUntil(t, placed.Add(8*time.Second))
	mc := a.match(t, gc)
	// B comes with its fresh token, first.
	pb := connect(t, mb2.WSURL, gb.PlayerID, mb2.PlayerSessionToken)
	pc := connect(t, mc.WSURL, gc.PlayerID, mc.PlayerSessionToken)
	t.Logf("figure: B welcomed %v (race %q), C welcomed %v (race %q, refusal %v %d %q), A's race %q",
		pb.race != "", pb.race, pc.race != "", pc.race, pc.refusal.Code, pc.refusal.Close, pc.closeMsg, pa.race)
	if pb.race != pa.race {
		t.Errorf("B with its fresh token: %+v, want welcomed into its seat next to A in %s", pb, pa.race)
	}
	if pc.race == pa.race {
		t.Fatalf("C welcomed into A's race %s, which B filled", pa.race)
	}
	if pc.race == "" {
		// Refused: the browser asks again a second later.
		time.Sleep(time.Second)
		mc2 := a.match(t, gc)
		if pc = connect(t, mc2.WSURL, gc.PlayerID, mc2.PlayerSessionToken); pc.race == "" || pc.race == pa.race {
			t.Fatalf("C asking again after its refusal: %+v, want welcomed into a race of its own, not %s", pc, pa.race)
		}
	}
	players := []playtest.Player{pa.player, pb.player}
	playtest.CheckOneWinner(t, players, playtest.Race(t, players...))
	// C is paired with the next player.
	md := a.match(t, gd)
	pd := connect(t, md.WSURL, gd.PlayerID, md.PlayerSessionToken)
	if pd.race != pc.race {
		t.Fatalf("D welcomed into %q, want C's waiting race %q", pd.race, pc.race)
	}
}

// TestEndedRaceNeverStartsAgain is the attack of a race started again: B
// asks again mid-race and keeps the fresh token, which the race server
// never sees; after the race ended, and once every token it saw has
// expired (and another race ended on the server, as on any busy server),
// B comes with that token. The race must be refused ("the game on this
// server is over"): before the fix the server welcomed B into the same race
// id, which counted down again, a race nobody placed holding a slot.
func TestEndedRaceNeverStartsAgain(t *testing.T) {
	// Races must start within 3 s of their placement; tokens live 8 s.
	const ttl = 8 * time.Second
	a := startAllocator(t, append(highDensity, "--no-show-timeout", "3s", "--session-ttl", ttl.String())...)
	ga, gb := a.guest(t), a.guest(t)
	placed := time.Now()
	ma, mb := a.match(t, ga), a.match(t, gb)
	pa := playtest.Join(t, ma.WSURL, ga.PlayerID, ma.PlayerSessionToken)
	pb := playtest.Join(t, mb.WSURL, gb.PlayerID, mb.PlayerSessionToken)
	// Mid-race (the players wait at the start), B asks again and keeps the
	// token: it expires about 13 s after the placement, the ones the
	// server saw about 8 s after it.
	sleepUntil(t, placed.Add(5*time.Second))
	mb2 := a.match(t, gb)
	if mb2.GameServer != ma.GameServer {
		t.Fatalf("B asking again mid-race got %s, want its race on %s", mb2.GameServer, ma.GameServer)
	}
	players := []playtest.Player{pa, pb}
	playtest.CheckOneWinner(t, players, playtest.Race(t, players...))

	// Another race ends on the server once the seen tokens have expired.
	sleepUntil(t, placed.Add(ttl+time.Second))
	gd, ge := a.guest(t), a.guest(t)
	md, me := a.match(t, gd), a.match(t, ge)
	others := []playtest.Player{
		playtest.Join(t, md.WSURL, gd.PlayerID, md.PlayerSessionToken),
		playtest.Join(t, me.WSURL, ge.PlayerID, me.PlayerSessionToken),
	}
	playtest.CheckOneWinner(t, others, playtest.Race(t, others...))

	if left := time.Until(placed.Add(5*time.Second + ttl + token.ClockSkewLeeway)); left < time.Second {
		t.Fatalf("the machine is too slow for this test: B's mid-race token is accepted for only %v more", left)
	}
	v := connect(t, mb2.WSURL, gb.PlayerID, mb2.PlayerSessionToken)
	t.Logf("figure: B's mid-race token after the end: welcomed %v (race %q), refusal %v close %d %q",
		v.race != "", v.race, v.refusal.Code, v.refusal.Close, v.closeMsg)
	if want := (playtest.Refusal{Code: realtimev1.Error_CODE_REJECTED, Close: 4009}); v.race != "" || v.refusal != want {
		t.Fatalf("B's mid-race token after the end: welcomed into %q, refusal %+v; want %+v (the race is over)", v.race, v.refusal, want)
	}
}

// TestForgottenRaceIsNotStartedLate: a race nobody brought to its server
// within the no-show window is forgotten by the allocator (its room may be
// another race's by now); a player who comes later with a token that is
// still valid must not start it, but is told to ask again, and then races.
// Before the fix the late token started the forgotten race, a race nobody
// placed holding a slot.
func TestForgottenRaceIsNotStartedLate(t *testing.T) {
	// Races must start within 1 s (and the leeway, 5 s) of their placement;
	// tokens live 20 s.
	a := startAllocator(t, append(highDensity, "--no-show-timeout", "1s", "--session-ttl", "20s")...)
	ga, gb := a.guest(t), a.guest(t)
	placed := time.Now()
	ma := a.match(t, ga)
	sleepUntil(t, placed.Add(time.Second+token.ClockSkewLeeway+time.Second))
	v := connect(t, ma.WSURL, ga.PlayerID, ma.PlayerSessionToken)
	t.Logf("figure: a token of a forgotten race, 7 s after its placement: welcomed %v (race %q), refusal %v close %d %q",
		v.race != "", v.race, v.refusal.Code, v.refusal.Close, v.closeMsg)
	if want := (playtest.Refusal{Code: realtimev1.Error_CODE_REJECTED, Close: 4009}); v.race != "" || v.refusal != want {
		t.Fatalf("late token of a forgotten race: welcomed into %q, refusal %+v; want %+v", v.race, v.refusal, want)
	}
	// Asking again, as the refusal says, places the player afresh.
	ma2, mb := a.match(t, ga), a.match(t, gb)
	players := []playtest.Player{
		playtest.Join(t, ma2.WSURL, ga.PlayerID, ma2.PlayerSessionToken),
		playtest.Join(t, mb.WSURL, gb.PlayerID, mb.PlayerSessionToken),
	}
	playtest.CheckOneWinner(t, players, playtest.Race(t, players...))
}
