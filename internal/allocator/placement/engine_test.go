package placement

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leapfrog-games/leapfrog/internal/allocator/backend"
)

// clock is a fake clock, safe for concurrent use.
type clock struct{ ns atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.ns.Store(time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC).UnixNano())
	return c
}

func (c *clock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *clock) Advance(d time.Duration) { c.ns.Add(int64(d)) }
func srv(name string, capacity int) Server {
	return Server{Name: name, Address: "10.0.0.1", Port: 7000, Capacity: capacity}
}

const pending = time.Minute

func newEngine(t testing.TB, c *clock) *Engine {
	t.Helper()
	e, err := New(Config{SeatsPerMatch: 2, Pending: pending, MatchPrefix: "r1-", Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func place(t *testing.T, e *Engine, ids ...string) Placement {
	t.Helper()
	p, err := e.Place(ids)
	if err != nil {
		t.Fatalf("place %v: %v", ids, err)
	}
	return p
}

func TestNewChecksConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"no seats", Config{Pending: time.Second}, "seats per match 0"},
		{"no pending", Config{SeatsPerMatch: 2}, "pending 0s"},
		{"negative pending", Config{SeatsPerMatch: 2, Pending: -time.Second}, "pending -1s"},
		{"long prefix", Config{SeatsPerMatch: 2, Pending: time.Second, MatchPrefix: strings.Repeat("x", 41)}, "longer than 40 bytes"},
		{"negative seat hold", Config{SeatsPerMatch: 2, Pending: time.Second, SeatHold: -time.Second}, "seat hold -1s"},
		{"negative start leeway", Config{SeatsPerMatch: 2, Pending: time.Second, StartLeeway: -time.Second}, "start leeway -1s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one saying %q", err, tc.want)
			}
		})
	}
	if _, err := New(Config{SeatsPerMatch: 1, Pending: time.Second}); err != nil {
		t.Fatalf("a valid config: %v", err)
	}
}

func TestPlaceRefusesBadInput(t *testing.T) {
	e := newEngine(t, newClock())
	e.Upsert(srv("gs", 4), nil)
	for _, tc := range []struct {
		name string
		ids  []string
		want string
	}{
		{"no players", nil, "no players"},
		{"too many", []string{"a", "b", "c"}, "3 players, but a match has 2 seats"},
		{"empty id", []string{"a", ""}, "player 1 has an empty id"},
		{"twice", []string{"a", "a"}, `player "a" is named twice`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.Place(tc.ids)
			if err == nil || !strings.Contains(err.Error(), tc.want) || errors.Is(err, backend.ErrNoCapacity) {
				t.Fatalf("err = %v, want a bad-input error saying %q", err, tc.want)
			}
			if tooMany := len(tc.ids) > 2; errors.Is(err, backend.ErrTooManySeats) != tooMany {
				t.Fatalf("err = %v: wraps ErrTooManySeats %v, want %v", err, !tooMany, tooMany)
			}
		})
	}
	if s := e.Stats(); s.Matches != 0 || s.Players != 0 {
		t.Fatalf("bad input placed something: %+v", s)
	}
}

func TestPairsPlayersAndIsIdempotent(t *testing.T) {
	e := newEngine(t, newClock())
	e.Upsert(srv("gs", 4), nil)
	a := place(t, e, "alice")
	if a.Joined || a.Server != "gs" || a.Address != "10.0.0.1" || a.Port != 7000 || !strings.HasPrefix(a.Match, "r1-") {
		t.Fatalf("first player: %+v, want a new match on gs", a)
	}
	if again := place(t, e, "alice"); again != (Placement{Server: "gs", Address: "10.0.0.1", Port: 7000, Match: a.Match, Joined: true, Again: true, StartBy: a.StartBy, SeatedAt: a.SeatedAt}) {
		t.Fatalf("asking twice: %+v, want the same match %s", again, a.Match)
	}
	b := place(t, e, "bob")
	if b.Match != a.Match || !b.Joined {
		t.Fatalf("second player: %+v, want to join %s", b, a.Match)
	}
	c := place(t, e, "carol")
	if c.Match == a.Match || c.Joined {
		t.Fatalf("third player: %+v, want a new match", c)
	}
	want := Stats{Servers: 1, Matches: 2, Pending: 2, OpenMatches: 1, Players: 3, FreeMatches: 2}
	if s := e.Stats(); s != want {
		t.Fatalf("stats %+v, want %+v", s, want)
	}
}

func TestOldestOpenMatchFirst(t *testing.T) {
	c := newClock()
	e, err := New(Config{SeatsPerMatch: 3, Pending: pending, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	e.Upsert(srv("gs", 8), nil)
	first := place(t, e, "a") // two free seats
	if p := place(t, e, "b", "c"); p.Match != first.Match || !p.Joined {
		t.Fatalf("a pair: %+v, want the match with two free seats %s", p, first.Match)
	}
	older := place(t, e, "d")
	if p := place(t, e, "e"); p.Match != older.Match {
		t.Fatalf("a lone player: %+v, want the open match %s", p, older.Match)
	}
	younger := place(t, e, "f", "g") // no match has two free seats: a new one
	if younger.Joined || younger.Match == older.Match {
		t.Fatalf("a pair: %+v, want a new match", younger)
	}
	if p := place(t, e, "h"); p.Match != older.Match {
		t.Fatalf("a lone player: %+v, want the oldest open match %s, not %s", p, older.Match, younger.Match)
	}
	if p := place(t, e, "i"); p.Match != younger.Match {
		t.Fatalf("a lone player: %+v, want the last open match %s", p, younger.Match)
	}
}

func TestMoreSeatsForTheSamePlayer(t *testing.T) {
	e := newEngine(t, newClock())
	e.Upsert(srv("gs", 4), nil)
	a := place(t, e, "p")
	if b := place(t, e, "p", "p.2"); b.Match != a.Match || !b.Joined {
		t.Fatalf("two seats: %+v, want the player's own match %s", b, a.Match)
	}
	q := place(t, e, "q")
	place(t, e, "r") // q's match is full now
	_, err := e.Place([]string{"q", "q.2"})
	if !errors.Is(err, backend.ErrSeatsTaken) {
		t.Fatalf("a second seat in a full match: err %v, want ErrSeatsTaken", err)
	}
	if p := place(t, e, "q"); p.Match != q.Match {
		t.Fatalf("after the refusal q went to %s, want its match %s", p.Match, q.Match)
	}
	if n := e.Stats().Players; n != 4 {
		t.Fatalf("%d players placed, want 4 (no q.2)", n)
	}
}

func TestNoCapacity(t *testing.T) {
	e := newEngine(t, newClock())
	if _, err := e.Place([]string{"a"}); !errors.Is(err, backend.ErrNoCapacity) {
		t.Fatalf("no server: err %v, want ErrNoCapacity", err)
	}
	e.Upsert(srv("gs", 1), nil)
	place(t, e, "a", "b")
	if _, err := e.Place([]string{"c"}); !errors.Is(err, backend.ErrNoCapacity) {
		t.Fatalf("full server: err %v, want ErrNoCapacity", err)
	}
	if n := e.FreeMatches(); n != 0 {
		t.Fatalf("FreeRaces = %d, want 0", n)
	}
}

// TestPackedFillsTheFullestServer: new matches go to the server with the
// least room left, so that empty servers stay empty (and can be released).
func TestPackedFillsTheFullestServer(t *testing.T) {
	e := newEngine(t, newClock())
	e.Upsert(srv("a", 4), nil)
	e.Upsert(srv("b", 4), []string{"foreign"}) // a match this engine did not place
	for i := range 3 {
		if p := place(t, e, fmt.Sprint("solo", i), fmt.Sprint("solo", i, ".2")); p.Server != "b" {
			t.Fatalf("match %d went to %s, want the fuller b", i, p.Server)
		}
	}
	if p := place(t, e, "next", "next.2"); p.Server != "a" {
		t.Fatalf("with b full a match went to %s, want a", p.Server)
	}
	if got := e.Idle(); len(got) != 0 {
		t.Fatalf("idle %v, want none", got)
	}
	// A server growing its capacity gets room again.
	e.Upsert(srv("b", 6), []string{"foreign"})
	if n := e.FreeMatches(); n != 3+2 {
		t.Fatalf("FreeRaces = %d, want 5", n)
	}
}

// TestReportsStartAndEndMatches: the server's matches list is the truth.
func TestReportsStartAndEndMatches(t *testing.T) {
	c := newClock()
	e := newEngine(t, c)
	e.Upsert(srv("gs", 2), nil)
	a := place(t, e, "a", "b")
	lone := place(t, e, "c")
	e.Upsert(srv("gs", 2), []string{a.Match, lone.Match})
	if s := e.Stats(); s.Started != 2 || s.Pending != 0 || s.FreeMatches != 0 {
		t.Fatalf("after the report: %+v, want 2 started", s)
	}
	c.Advance(2 * pending) // started matches never expire
	if p := place(t, e, "d"); p.Match != lone.Match || !p.Joined {
		t.Fatalf("the next player: %+v, want the started match waiting for a player %s", p, lone.Match)
	}
	if p := place(t, e, "a"); p.Match != a.Match {
		t.Fatalf("a player of a running match asking again: %+v, want %s", p, a.Match)
	}
	e.Upsert(srv("gs", 2), []string{lone.Match}) // a's match is over
	if s := e.Stats(); s.Matches != 1 || s.Players != 2 || s.FreeMatches != 1 {
		t.Fatalf("after a match ended: %+v, want 1 match, 2 players, 1 free", s)
	}
	if p := place(t, e, "a"); p.Match == a.Match || p.Joined {
		t.Fatalf("a player of a match that is over: %+v, want a new match", p)
	}
	// A report that does not name a pending match leaves it pending.
	e.Upsert(srv("gs", 2), nil)
	if s := e.Stats(); s.Matches != 1 || s.Pending != 1 {
		t.Fatalf("after an empty report: %+v, want the new match still pending", s)
	}
}

func TestUnreportedMatchIsForgotten(t *testing.T) {
	c := newClock()
	e := newEngine(t, c)
	e.Upsert(srv("gs", 1), nil)
	a := place(t, e, "ghost")
	c.Advance(pending - time.Nanosecond)
	if p := place(t, e, "ghost"); p.Match != a.Match {
		t.Fatalf("before Pending: %+v, want the same match", p)
	}
	c.Advance(time.Nanosecond)
	if n := e.FreeMatches(); n != 1 {
		t.Fatalf("FreeRaces = %d after Pending, want the room back", n)
	}
	b := place(t, e, "ghost")
	if b.Match == a.Match || b.Joined {
		t.Fatalf("after Pending: %+v, want a new match", b)
	}
	e.Upsert(srv("gs", 1), []string{b.Match})
	c.Advance(2 * pending)
	if p := place(t, e, "ghost"); p.Match != b.Match {
		t.Fatalf("a reported match was forgotten: %+v", p)
	}
	// A report of a match already forgotten takes its room, and nobody.
	e.Upsert(srv("gs", 2), []string{b.Match, a.Match})
	if s := e.Stats(); s.Matches != 2 || s.OpenMatches != 1 || s.FreeMatches != 0 {
		t.Fatalf("stats %+v, want a's match back as a match nobody joins", s)
	}
}

func TestSuspendedServerTakesNobody(t *testing.T) {
	e := newEngine(t, newClock())
	e.Upsert(srv("a", 2), nil)
	lone := place(t, e, "lone")
	e.Upsert(srv("b", 1), nil)
	e.Suspend("a", true)
	if n := e.FreeMatches(); n != 1 {
		t.Fatalf("FreeRaces = %d, want only b's", n)
	}
	p := place(t, e, "next")
	if p.Server != "b" || p.Joined {
		t.Fatalf("next: %+v, want a new match on b (a is suspended)", p)
	}
	if _, err := e.Place([]string{"third", "third.2"}); !errors.Is(err, backend.ErrNoCapacity) {
		t.Fatalf("err %v, want ErrNoCapacity while a is suspended", err)
	}
	// The lone player's own place is not handed out again: it gets a new one.
	if q := place(t, e, "lone"); q.Server != "b" || q.Match != p.Match {
		t.Fatalf("lone asking again: %+v, want next's match on b", q)
	}
	e.Suspend("a", false)
	if n := e.FreeMatches(); n != 1 {
		t.Fatalf("FreeRaces = %d after resuming a, want 1", n)
	}
	// lone's old match kept its seat: it is open again, for the next player.
	if q := place(t, e, "fourth"); q.Match != lone.Match || !q.Joined {
		t.Fatalf("fourth: %+v, want the resumed open match %s", q, lone.Match)
	}
	if s := e.Stats(); s.Suspended != 0 || s.Servers != 2 {
		t.Fatalf("stats %+v", s)
	}
	e.Suspend("nope", true) // unknown: ignored
}

func TestRemoveForgetsTheServer(t *testing.T) {
	e := newEngine(t, newClock())
	e.Upsert(srv("a", 2), nil)
	e.Upsert(srv("b", 2), nil)
	p := place(t, e, "x")
	e.Suspend(p.Server, true)
	e.Remove(p.Server)
	e.Remove("nope")
	want := Stats{Servers: 1, FreeMatches: 2}
	if s := e.Stats(); s != want {
		t.Fatalf("stats %+v after Remove, want %+v", s, want)
	}
	if q := place(t, e, "x"); q.Server == p.Server || q.Joined {
		t.Fatalf("x after its server went: %+v", q)
	}
}

func TestIdle(t *testing.T) {
	c := newClock()
	e := newEngine(t, c)
	for _, n := range []string{"c", "a", "b"} {
		e.Upsert(srv(n, 2), nil)
	}
	e.Upsert(srv("d", 2), []string{"foreign"})
	p := place(t, e, "x") // on d: the fullest
	if got := e.Idle(); !slices.Equal(got, []string{"a", "b", "c"}) || p.Server != "d" {
		t.Fatalf("idle %v (x on %s), want a b c", got, p.Server)
	}
	e.Upsert(srv("d", 2), nil)
	c.Advance(pending)
	if got := e.Idle(); !slices.Equal(got, []string{"a", "b", "c", "d"}) {
		t.Fatalf("idle %v, want all once d's matches are over or forgotten", got)
	}
}

func TestUpsertIgnoresBadServers(t *testing.T) {
	e := newEngine(t, newClock())
	e.Upsert(Server{Capacity: 3}, nil)
	e.Upsert(srv("neg", -5), nil)
	e.Upsert(srv("huge", MaxCapacity+1), nil)
	if s := e.Stats(); s.Servers != 2 || s.FreeMatches != MaxCapacity {
		t.Fatalf("stats %+v, want 2 servers and MaxCapacity free matches", s)
	}
}

func TestMatchIDsAreUniqueAndShort(t *testing.T) {
	c := newClock()
	prefix := strings.Repeat("p", MaxMatchPrefix)
	e1, _ := New(Config{SeatsPerMatch: 1, Pending: pending, MatchPrefix: prefix, Now: c.Now})
	e2, _ := New(Config{SeatsPerMatch: 1, Pending: pending, MatchPrefix: prefix, Now: c.Now})
	seen := map[string]bool{}
	for i, e := range []*Engine{e1, e2} { // e2: the same replica restarted
		e.Upsert(srv("gs", 1000), nil)
		for j := range 1000 {
			p := place(t, e, fmt.Sprint(i, "-", j))
			if seen[p.Match] || len(p.Match) > 63 || !strings.HasPrefix(p.Match, prefix) {
				t.Fatalf("match id %q: repeated, too long or without the prefix", p.Match)
			}
			seen[p.Match] = true
		}
	}
}

// TestConcurrentPlaces: many goroutines placing at once never overfill a
// match or a server, and every player ends up in exactly one match.
func TestConcurrentPlaces(t *testing.T) {
	e := newEngine(t, newClock())
	for i := range 4 {
		e.Upsert(srv(fmt.Sprint("gs", i), 50), nil)
	}
	const workers, each = 8, 60 // 480 players: 240 matches of 200 fit, the rest find no room
	var (
		mu      sync.Mutex
		matches = map[string][]string{}
		server  = map[string]string{}
		wg      sync.WaitGroup
		full    atomic.Int64
	)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				id := fmt.Sprint("w", w, "-", i)
				p, err := e.Place([]string{id})
				if errors.Is(err, backend.ErrNoCapacity) {
					full.Add(1)
					continue
				}
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				matches[p.Match] = append(matches[p.Match], id)
				server[p.Match] = p.Server
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	perServer := map[string]int{}
	for r, ids := range matches {
		if len(ids) > 2 {
			t.Errorf("match %s holds %v", r, ids)
		}
		perServer[server[r]]++
	}
	for s, n := range perServer {
		if n > 50 {
			t.Errorf("server %s holds %d matches, capacity 50", s, n)
		}
	}
	if st := e.Stats(); len(matches) != 200 || full.Load() != workers*each-400 || st.Players != 400 || st.FreeMatches != 0 {
		t.Fatalf("%d matches, %d refused, stats %+v; want 200 full matches and 80 refusals", len(matches), full.Load(), st)
	}
}

const seatHold = 65 * time.Second

// holdEngine is an engine of matches of seats players that gives back a
// no-show's seat after hold.
func holdEngine(t *testing.T, c *clock, seats int, hold time.Duration) *Engine {
	t.Helper()
	e, err := New(Config{SeatsPerMatch: seats, Pending: pending, SeatHold: hold, MatchPrefix: "r1-", Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// A match whose server reports it waiting for players gives back the seats
// of players it does not hold once their tokens can no longer bring them:
// the next player takes the seat, next to the one who waited.
func TestLobbySeatOfANoShowGoesToTheNextPlayer(t *testing.T) {
	c := newClock()
	e := holdEngine(t, c, 2, seatHold)
	e.Upsert(srv("gs", 4), nil)
	a := place(t, e, "a")
	c.Advance(10 * time.Second)
	if b := place(t, e, "b"); b.Match != a.Match {
		t.Fatalf("b in %s, want a's match %s", b.Match, a.Match)
	}
	e.Upsert(srv("gs", 4), []string{a.Match}) // a came: the match started
	// The server reports the match waiting with a alone. b's seat is young:
	// b's token may still bring it.
	e.Lobbies("gs", map[string][]string{a.Match: {"a"}})
	c.Advance(seatHold - time.Second)
	if st := e.Stats(); st.SeatsFreed != 0 || st.OpenMatches != 0 {
		t.Fatalf("%v after b was placed, before b's token expired: %+v, want no seat free", seatHold-time.Second, st)
	}
	c.Advance(time.Second)
	d := place(t, e, "d")
	if d.Match != a.Match || !d.Joined {
		t.Fatalf("d placed %+v, want b's seat in a's match %s", d, a.Match)
	}
	// a keeps its place; b is placed afresh.
	if p := place(t, e, "a"); p.Match != a.Match {
		t.Fatalf("a asking again: %+v, want its match %s", p, a.Match)
	}
	if p := place(t, e, "b"); p.Match == a.Match {
		t.Fatalf("b asking again got its old match %s, now d's", p.Match)
	}
	if st := e.Stats(); st.SeatsFreed != 1 || st.Lobbies != 1 {
		t.Fatalf("stats %+v, want 1 seat freed in 1 lobby", st)
	}
	// The match started (or ended): the report no longer names it.
	e.Lobbies("gs", nil)
	if st := e.Stats(); st.Lobbies != 0 {
		t.Fatalf("stats %+v, want no lobby", st)
	}
}

// Seats of the players a lobby holds are never given back, nor any seat
// without SeatHold, of a match this engine did not place, or once the
// server's report no longer names the match.
func TestLobbyKeepsWhatItMust(t *testing.T) {
	for _, tc := range []struct {
		name   string
		hold   time.Duration
		report func(match string) map[string][]string
		later  func(e *Engine, match string) // before the seats are old
	}{
		{"players in the lobby", seatHold, func(r string) map[string][]string { return map[string][]string{r: {"a", "b"}} }, nil},
		{"no seat hold", 0, func(r string) map[string][]string { return map[string][]string{r: {}} }, nil},
		{"another match", seatHold, func(string) map[string][]string { return map[string][]string{"r2-other": {}} }, nil},
		{"report withdrawn", seatHold, func(r string) map[string][]string { return map[string][]string{r: {"a"}} },
			func(e *Engine, _ string) { e.Lobbies("gs", map[string][]string{}) }},
		{"match over", seatHold, func(r string) map[string][]string { return map[string][]string{r: {"a"}} },
			func(e *Engine, _ string) { e.Upsert(srv("gs", 4), nil) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClock()
			e := holdEngine(t, c, 2, tc.hold)
			e.Upsert(srv("gs", 4), nil)
			a := place(t, e, "a")
			place(t, e, "b")
			e.Upsert(srv("gs", 4), []string{a.Match, "r2-other"})
			e.Lobbies("gs", tc.report(a.Match))
			if tc.later != nil {
				tc.later(e, a.Match)
			}
			c.Advance(2 * seatHold)
			if p := place(t, e, "c"); p.Match == a.Match {
				t.Fatalf("c placed in %s, a seat that was not free", p.Match)
			}
			if st := e.Stats(); st.SeatsFreed != 0 {
				t.Fatalf("stats %+v, want no seat freed", st)
			}
		})
	}
}

// TestUnreachableServer: the players of a server found unreachable are
// placed afresh on a live one when they ask again, together when they ask
// one after the other; the mark is independent of Suspend, so that the
// owner of one never lifts the other.
func TestUnreachableServer(t *testing.T) {
	e := newEngine(t, newClock())
	e.Upsert(srv("dead", 4), nil)
	a := place(t, e, "a")
	b := place(t, e, "b")
	if a.Again || b.Again || b.Match != a.Match {
		t.Fatalf("a %+v, b %+v: want one match, neither asking again", a, b)
	}
	if again := place(t, e, "a"); !again.Again || again.Match != a.Match || !again.Joined {
		t.Fatalf("a asking again: %+v, want its own match, marked Again", again)
	}
	e.Upsert(srv("live", 4), nil)
	e.Unreachable("dead", true)
	if s := e.Stats(); s.Unreachable != 1 || s.Suspended != 0 || s.FreeMatches != 4 || s.OpenMatches != 0 {
		t.Fatalf("stats %+v, want dead out of placement, live's 4 matches free", s)
	}
	a2 := place(t, e, "a")
	b2 := place(t, e, "b")
	if a2.Server != "live" || a2.Again || a2.Joined {
		t.Fatalf("a asking again after its server went unreachable: %+v, want a new match on live", a2)
	}
	if b2.Server != "live" || b2.Match != a2.Match || b2.Again {
		t.Fatalf("b asking again: %+v, want a's new match %s on live", b2, a2.Match)
	}
	for _, tc := range []struct {
		name     string
		act      func()
		wantFree int
	}{
		{"suspend does not lift the mark", func() { e.Suspend("dead", true) }, 3},
		{"resume does not lift the mark", func() { e.Suspend("dead", false) }, 3},
		{"reachable again, still suspended", func() { e.Suspend("dead", true); e.Unreachable("dead", false) }, 3},
		{"reachable and resumed", func() { e.Suspend("dead", false) }, 3 + 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.act()
			if n := e.FreeMatches(); n != tc.wantFree {
				t.Fatalf("FreeRaces = %d, want %d", n, tc.wantFree)
			}
		})
	}
	// Back in placement, the old match (its seats held by tokens that may be
	// in use) is not reopened to anybody: both seats are taken.
	if p := place(t, e, "c", "d"); p.Joined || p.Match == a.Match {
		t.Fatalf("c and d: %+v, want a new match, not the unreachable server's old one", p)
	}
	e.Unreachable("nope", true) // unknown: ignored
	e.Remove("dead")
	if s := e.Stats(); s.Unreachable != 0 || s.Servers != 1 {
		t.Fatalf("stats %+v after removing the server", s)
	}
}

// A no-show who asks again before its seat is given back gets a new token
// for it: the seat's hold restarts, so that the seat is not given to
// another player while that token may still bring its player (the attack
// of a seat given twice: B asks again at +60 s, C is placed at +80 s, B
// connects with its fresh token and C is refused until the match ends).
func TestAskingAgainRestartsTheSeatHold(t *testing.T) {
	c := newClock()
	e := holdEngine(t, c, 2, seatHold)
	e.Upsert(srv("gs", 4), nil)
	a := place(t, e, "a")
	if b := place(t, e, "b"); b.Match != a.Match {
		t.Fatalf("b in %s, want a's match %s", b.Match, a.Match)
	}
	e.Upsert(srv("gs", 4), []string{a.Match})
	e.Lobbies("gs", map[string][]string{a.Match: {"a"}}) // b never came
	c.Advance(60 * time.Second)
	if b := place(t, e, "b"); b.Match != a.Match || !b.Joined {
		t.Fatalf("b asking again at +60s: %+v, want its seat in %s", b, a.Match)
	}
	c.Advance(20 * time.Second) // +80 s: past the hold of b's first token
	if p := place(t, e, "c"); p.Match == a.Match {
		t.Fatalf("c placed at +80s in %s: b's seat, which b's token of +60s still brings", p.Match)
	}
	if st := e.Stats(); st.SeatsFreed != 0 {
		t.Fatalf("stats %+v, want no seat freed while b's last token may come", st)
	}
	place(t, e, "c2") // c's partner: no other match waits
	// Once the hold of b's last token is over, the seat is given back.
	c.Advance(seatHold - 20*time.Second)
	if p := place(t, e, "d"); p.Match != a.Match {
		t.Fatalf("d placed in %s at +60s+hold, want b's seat in %s", p.Match, a.Match)
	}
	if p := place(t, e, "b"); p.Match == a.Match {
		t.Fatalf("b asking again after its seat went to d: %+v", p)
	}
}

// Asking again restarts the hold of exactly the seats a token is minted
// for: a device of two seats that asks again for one leaves the other's
// hold running.
func TestAskingAgainRestartsOnlyTheSeatsAskedFor(t *testing.T) {
	c := newClock()
	e := holdEngine(t, c, 3, seatHold)
	e.Upsert(srv("gs", 4), nil)
	a := place(t, e, "a")
	place(t, e, "b", "b.2")
	e.Upsert(srv("gs", 4), []string{a.Match})
	e.Lobbies("gs", map[string][]string{a.Match: {"a"}})
	c.Advance(30 * time.Second)
	place(t, e, "b")
	c.Advance(seatHold - 30*time.Second)
	if st := e.Stats(); st.SeatsFreed != 1 {
		t.Fatalf("stats %+v, want b.2's seat (no token since the first) freed, b's kept", st)
	}
	if p := place(t, e, "b"); p.Match != a.Match {
		t.Fatalf("b: %+v, want its seat in %s", p, a.Match)
	}
}

// Every seat of a match carries the same start deadline, placement plus
// Pending; the engine forgets an unreported match only StartLeeway after
// it, when no token can start the match any more.
func TestStartByAndTheStartLeeway(t *testing.T) {
	const leeway = 5 * time.Second
	c := newClock()
	e, err := New(Config{SeatsPerMatch: 2, Pending: pending, StartLeeway: leeway, MatchPrefix: "r1-", Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	e.Upsert(srv("gs", 1), nil)
	placedAt := c.Now()
	a := place(t, e, "a")
	c.Advance(pending / 2)
	b := place(t, e, "b")
	want := placedAt.Add(pending)
	if !a.StartBy.Equal(want) || !b.StartBy.Equal(want) {
		t.Fatalf("StartBy a %v, b %v; want both %v", a.StartBy, b.StartBy, want)
	}
	c.Advance(pending/2 + leeway - time.Nanosecond)
	if st := e.Stats(); st.Pending != 1 || st.FreeMatches != 0 {
		t.Fatalf("within the start leeway: %+v, want the match still held", st)
	}
	c.Advance(time.Nanosecond)
	if st := e.Stats(); st.Pending != 0 || st.FreeMatches != 1 {
		t.Fatalf("after the start leeway: %+v, want the match forgotten", st)
	}
}

// TestHolding: a placement is held from Place until its match is over, its
// match forgotten unreported, or its player placed elsewhere.
func TestHolding(t *testing.T) {
	c := newClock()
	e := newEngine(t, c)
	e.Upsert(srv("gs", 4), nil)
	a := place(t, e, "a", "b")
	ghost := place(t, e, "ghost")
	for _, tt := range []struct {
		player string
		p      Placement
		want   bool
	}{
		{"a", a, true}, {"b", a, true}, {"ghost", ghost, true},
		{"a", ghost, false}, {"nobody", a, false},
	} {
		if got := e.Holding(tt.player, tt.p.Server, tt.p.Match); got != tt.want {
			t.Errorf("Holding(%s, %s) = %v, want %v", tt.player, tt.p.Match, got, tt.want)
		}
	}
	e.Upsert(srv("gs", 4), []string{a.Match})
	c.Advance(2 * pending) // a's match runs on; ghost's was never reported
	if !e.Holding("a", a.Server, a.Match) || e.Holding("ghost", ghost.Server, ghost.Match) {
		t.Fatal("after the pending time: want a's started match held and ghost's unreported one not")
	}
	e.Upsert(srv("gs", 4), nil) // a's match is over
	if e.Holding("a", a.Server, a.Match) || e.Holding("b", a.Server, a.Match) {
		t.Fatal("a match that is over is still held")
	}
}
