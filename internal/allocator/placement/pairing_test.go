package placement

import (
	"testing"
	"time"
)

const showGrace = 2 * time.Second

// pairEngine is a replica's engine of two-seat matches that gives a seat to
// the next player once its own player has not come for showGrace while
// another waits (and after seatHold otherwise).
func pairEngine(t *testing.T, c *clock, prefix string) *Engine {
	t.Helper()
	e, err := New(Config{SeatsPerMatch: 2, Pending: pending, StartLeeway: 5 * time.Second, SeatHold: seatHold,
		ShowGrace: showGrace, MatchPrefix: prefix, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// Two lone players on two replicas meet: replica B seats its player in the
// match replica A placed, which A's server reports waiting with A's player;
// B's token can join that match but never start it anew.
func TestLonePlayersOfTwoReplicasMeet(t *testing.T) {
	c := newClock()
	ea, eb := pairEngine(t, c, "a-"), pairEngine(t, c, "b-")
	ea.Upsert(srv("gs-a", 4), nil)
	eb.Upsert(srv("gs-b", 4), nil)
	p1 := place(t, ea, "p1")
	ea.Upsert(srv("gs-a", 4), []string{p1.Match}) // p1 came
	report := map[string][]string{p1.Match: {"p1"}}
	ea.Lobbies("gs-a", report)
	eb.Foreign(srv("gs-a", 4), report)
	c.Advance(2500 * time.Millisecond)
	p2 := place(t, eb, "p2")
	if p2.Server != "gs-a" || p2.Match != p1.Match || !p2.Joined {
		t.Fatalf("p2 placed %+v, want p1's match %s on gs-a", p2, p1.Match)
	}
	if !p2.StartBy.Before(p2.SeatedAt.Add(-5 * time.Second)) {
		t.Errorf("p2's start deadline %v is not past its seat's time %v by more than the leeway: its token could start the match anew", p2.StartBy, p2.SeatedAt)
	}
	if st := eb.Stats(); st.Foreign != 1 || st.ForeignSeats != 1 {
		t.Errorf("B's stats %+v, want 1 foreign match with 1 seat", st)
	}
	// p2 asking again before it came keeps the seat, with a new hold.
	if again := place(t, eb, "p2"); again.Match != p1.Match || !again.Again {
		t.Fatalf("p2 asking again: %+v, want its seat in %s", again, p1.Match)
	}
	// p2 came: the match is full; A's engine counts p2's seat as taken.
	full := map[string][]string{p1.Match: {"p1", "p2"}}
	ea.Lobbies("gs-a", full)
	eb.Foreign(srv("gs-a", 4), full)
	if p3 := place(t, ea, "p3"); p3.Match == p1.Match {
		t.Fatalf("p3 placed in the full match %s", p3.Match)
	}
	if again := place(t, eb, "p2"); again.Match != p1.Match {
		t.Fatalf("p2 asking again mid-race: %+v, want its match %s", again, p1.Match)
	}
	// The match ends: B forgets it and p2 is placed afresh.
	eb.Foreign(srv("gs-a", 4), nil)
	if again := place(t, eb, "p2"); again.Match == p1.Match {
		t.Fatalf("p2 after the match ended: %+v, want a new match", again)
	}
	if st := eb.Stats(); st.Foreign != 0 {
		t.Errorf("B's stats %+v, want no foreign match", st)
	}
}

// Two replicas seat a player each in one waiting match: the game server
// takes whoever comes first, and its report tells both engines; the loser
// asking again gets a different match, the winner its own.
func TestContendedSeatGoesToWhoeverCameFirst(t *testing.T) {
	for _, tc := range []struct {
		name   string
		winner string // "own": A's player came first; "foreign": B's
	}{{"own player first", "own"}, {"foreign player first", "foreign"}} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClock()
			ea, eb := pairEngine(t, c, "a-"), pairEngine(t, c, "b-")
			ea.Upsert(srv("gs-a", 4), nil)
			eb.Upsert(srv("gs-b", 4), nil)
			p1 := place(t, ea, "p1")
			ea.Upsert(srv("gs-a", 4), []string{p1.Match})
			eb.Foreign(srv("gs-a", 4), map[string][]string{p1.Match: {"p1"}})
			own := place(t, ea, "own") // A's open seat
			foreign := place(t, eb, "foreign")
			if own.Match != p1.Match || foreign.Match != p1.Match {
				t.Fatalf("own in %s, foreign in %s: want both in %s", own.Match, foreign.Match, p1.Match)
			}
			winner, loser, loserEngine, winnerEngine := "own", "foreign", eb, ea
			if tc.winner == "foreign" {
				winner, loser, loserEngine, winnerEngine = "foreign", "own", ea, eb
			}
			full := map[string][]string{p1.Match: {"p1", winner}}
			ea.Lobbies("gs-a", full)
			eb.Foreign(srv("gs-a", 4), full)
			if p := place(t, loserEngine, loser); p.Match == p1.Match {
				t.Fatalf("%s, refused, asking again: %+v, want another match", loser, p)
			}
			if p := place(t, winnerEngine, winner); p.Match != p1.Match || !p.Again {
				t.Fatalf("%s asking again: %+v, want its seat in %s", winner, p, p1.Match)
			}
			if p := place(t, ea, "next"); p.Match == p1.Match {
				t.Fatalf("a new player placed in the full match %s", p1.Match)
			}
		})
	}
}

// A present player never waits on an absent one: a seat whose player has
// not come ShowGrace after it was placed, in a match reported waiting with
// someone else, goes to the next player. A no-show coming later is
// refused by the game server; the report then shows who holds the seats.
func TestNoShowSeatGoesToTheNextPlayerWithinTheGrace(t *testing.T) {
	c := newClock()
	e := pairEngine(t, c, "a-")
	e.Upsert(srv("gs", 4), nil)
	noShow := place(t, e, "noshow")
	present := place(t, e, "present")
	if present.Match != noShow.Match {
		t.Fatalf("present in %s, want the no-show's match %s", present.Match, noShow.Match)
	}
	e.Upsert(srv("gs", 4), []string{noShow.Match})
	e.Lobbies("gs", map[string][]string{noShow.Match: {"present"}})
	c.Advance(showGrace - time.Millisecond)
	if p := place(t, e, "early"); p.Match == noShow.Match {
		t.Fatalf("a player placed in the no-show's seat before the grace passed: %+v", p)
	}
	c.Advance(time.Millisecond)
	next := place(t, e, "next")
	if next.Match != noShow.Match || !next.Joined {
		t.Fatalf("next placed %+v, want the no-show's seat in %s", next, noShow.Match)
	}
	// "early" waits alone in its own match: it is reported, and the next
	// lone player goes there, not to a match nobody has come to.
	early := place(t, e, "early")
	e.Upsert(srv("gs", 4), []string{noShow.Match, early.Match})
	e.Lobbies("gs", map[string][]string{noShow.Match: {"present"}, early.Match: {"early"}})
	if p := place(t, e, "late"); p.Match != early.Match {
		t.Fatalf("late placed %+v, want early's waiting match %s", p, early.Match)
	}
	if p := place(t, e, "noshow"); p.Match == noShow.Match {
		t.Fatalf("the no-show asking again got its old match back: %+v", p)
	}
	// The no-show came with its old token before next: the server seated
	// it; next, refused, asking again gets another match.
	e.Lobbies("gs", map[string][]string{noShow.Match: {"noshow", "present"}, early.Match: {"early", "late"}})
	if p := place(t, e, "next"); p.Match == noShow.Match {
		t.Fatalf("next, refused, asking again got the full match %s", p.Match)
	}
	// The two placed afresh were paired with each other in a third match.
	if st := e.Stats(); st.Matches != 3 || st.OpenMatches != 0 {
		t.Errorf("stats %+v, want three matches, none open", st)
	}
}

// A foreign seat whose player did not come is dropped after the grace, and
// the replica may seat another of its players in the match; a foreign
// server that leaves the report, or is leased by this replica, is forgotten.
func TestForeignSeatsLapseAndServersGo(t *testing.T) {
	c := newClock()
	e := pairEngine(t, c, "b-")
	e.Upsert(srv("gs-b", 4), nil)
	e.Foreign(srv("gs-a", 4), map[string][]string{"a-1": {"p1"}})
	if p := place(t, e, "x"); p.Match != "a-1" {
		t.Fatalf("x placed %+v, want the waiting match a-1", p)
	}
	if p := place(t, e, "y"); p.Match == "a-1" {
		t.Fatalf("y placed in a-1 while x's claim on its seat is young: %+v", p)
	}
	c.Advance(showGrace)
	if p := place(t, e, "z"); p.Match != "a-1" {
		t.Fatalf("z placed %+v, want a-1 once x's claim lapsed", p)
	}
	if p := place(t, e, "x"); p.Match == "a-1" {
		t.Fatalf("x asking again got a-1 after its claim lapsed: %+v", p)
	}
	e.Upsert(srv("gs-a", 4), nil) // leased by this replica now
	if st := e.Stats(); st.Foreign != 0 || st.ForeignSeats != 0 {
		t.Fatalf("stats %+v, want the foreign server forgotten once leased", st)
	}
	if e.Holding("z", "gs-a", "a-1") {
		t.Error("z still holds a seat on a server this engine now leases and never placed")
	}
	// Without ShowGrace no foreign match is taken.
	off := holdEngine(t, c, 2, seatHold)
	off.Upsert(srv("gs-b", 4), nil)
	off.Foreign(srv("gs-a", 4), map[string][]string{"a-1": {"p1"}})
	if p := place(t, off, "x"); p.Match == "a-1" {
		t.Fatalf("an engine without a show grace placed in another replica's match: %+v", p)
	}
}
