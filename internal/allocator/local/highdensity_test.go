package local

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/leapfrog-games/leapfrog/client"
	"github.com/leapfrog-games/leapfrog/contract/agoneswire"
	"github.com/leapfrog-games/leapfrog/contract/token"
	"github.com/leapfrog-games/leapfrog/gameserver/agonessdk/sdktest"
	"github.com/leapfrog-games/leapfrog/internal/allocator/backend"
	"github.com/leapfrog-games/leapfrog/internal/gameserver/raceserver"
	"github.com/leapfrog-games/leapfrog/internal/testwait"
)

// highDensityFleet is a high-density fleet under test and the issuer that signs
// its players' tokens.
type highDensityFleet struct {
	*Fleet
	reg    *prometheus.Registry
	tokens *token.Issuer
}

// newHighDensityFleet starts a fleet of servers of matchesPerServer matches, keeping
// buffer free matches, within min and max servers.
func newHighDensityFleet(t *testing.T, matchesPerServer, buffer, minServers, maxServers int, tune func(*Config)) highDensityFleet {
	t.Helper()
	keys, _ := token.GenerateKeyset("k")
	cfg := Config{
		MatchesPerServer: matchesPerServer, BufferSize: buffer, MinReplicas: minServers, MaxReplicas: maxServers,
		Game: raceserver.DefaultGameOptions(), Tokens: token.NewIssuer(keys, nil), SyncInterval: 20 * time.Millisecond,
	}
	if tune != nil {
		tune(&cfg)
	}
	reg := prometheus.NewRegistry()
	f, err := NewFleet(context.Background(), cfg, reg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	return highDensityFleet{Fleet: f, reg: reg, tokens: cfg.Tokens}
}

func (f highDensityFleet) server(name string) *server { return serverNamed(f.Fleet, name) }

func serverNamed(f *Fleet, name string) *server {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.servers[name]
}

// matches is what the named server reports in its matches list.
func (f highDensityFleet) matches(name string) []string {
	return f.Servers()[name].Status.Lists[agoneswire.MatchesList].Values
}

func TestHighDensityFleetStartsLeasedServers(t *testing.T) {
	f := newHighDensityFleet(t, 4, 6, 1, 3, nil)
	// 6 free matches need two servers of 4; both are leased by the fleet.
	testwait.Eventually(t, "two leased servers", func() bool { return states(f.Fleet)[agoneswire.StateAllocated] == 2 }, testwait.Within(20*time.Second))
	for name, gs := range f.Servers() {
		if got := gs.ObjectMeta.Labels[agoneswire.LesseeLabel]; got != Lessee {
			t.Errorf("%s: lessee %q, want %q", name, got, Lessee)
		}
		if l := gs.Status.Lists[agoneswire.MatchesList]; l.Capacity != 4 {
			t.Errorf("%s: matches list capacity %d, want 4", name, l.Capacity)
		}
	}
	if got := gauge(t, f.reg, "leapfrog_local_fleet_free_races"); got != 8 {
		t.Errorf("free matches gauge = %v, want 8", got)
	}
}

func TestHighDensityAllocationPairsPlayersAndIsIdempotent(t *testing.T) {
	f := newHighDensityFleet(t, 4, 1, 1, 2, nil)
	a := alloc(t, f.Fleet, "alice")
	if a.Joined || a.Match == "" || a.Address != "127.0.0.1" || a.Port == 0 || a.MatchStartBy.IsZero() {
		t.Fatalf("first player: %+v, want a new match with a start deadline", a)
	}
	// Asking again re-seats the player: its seat's hold restarts.
	if again := alloc(t, f.Fleet, "alice"); again.SeatedAt.Before(a.SeatedAt) || again != (backend.Assignment{GameServer: a.GameServer,
		Address: a.Address, Port: a.Port, Match: a.Match, Joined: true, MatchStartBy: a.MatchStartBy, SeatedAt: again.SeatedAt}) {
		t.Fatalf("asking twice: %+v, want the same match %s", again, a.Match)
	}
	b := alloc(t, f.Fleet, "bob")
	if b.Match != a.Match || b.GameServer != a.GameServer || !b.Joined {
		t.Fatalf("second player: %+v, want to join %s", b, a.Match)
	}
	c := alloc(t, f.Fleet, "carol")
	if c.Match == a.Match || c.Joined || c.GameServer != a.GameServer {
		t.Fatalf("third player: %+v, want a new match on the same server %s", c, a.GameServer)
	}
	if got := gauge(t, f.reg, "leapfrog_local_fleet_players"); got != 3 {
		t.Errorf("players gauge = %v, want 3", got)
	}
	if got := gauge(t, f.reg, "leapfrog_local_fleet_races"); got != 2 {
		t.Errorf("matches gauge = %v, want 2", got)
	}
}

func TestHighDensityNoCapacityAtTheMaximum(t *testing.T) {
	f := newHighDensityFleet(t, 2, 1, 1, 1, nil)
	alloc(t, f.Fleet, "a", "b") // living-room: a whole match
	alloc(t, f.Fleet, "c", "d")
	_, err := f.Allocate(context.Background(), backend.AllocationRequest{PlayerIDs: []string{"e"}})
	if !errors.Is(err, backend.ErrNoCapacity) {
		t.Fatalf("err = %v, want no capacity", err)
	}
	if got := len(f.Servers()); got != 1 {
		t.Fatalf("%d servers, want the maximum of 1", got)
	}
}

func TestHighDensityMoreSeatsForTheSamePlayer(t *testing.T) {
	f := newHighDensityFleet(t, 4, 1, 1, 1, nil)
	a := alloc(t, f.Fleet, "p")
	if b := alloc(t, f.Fleet, "p", "p.2"); b.Match != a.Match {
		t.Fatalf("two seats went to %s, want the player's own match %s", b.Match, a.Match)
	}
	alloc(t, f.Fleet, "q")
	alloc(t, f.Fleet, "r") // q's match is full now
	_, err := f.Allocate(context.Background(), backend.AllocationRequest{PlayerIDs: []string{"q", "q.2"}})
	if !errors.Is(err, backend.ErrSeatsTaken) {
		t.Fatalf("second seat in a full match: err %v, want ErrSeatsTaken", err)
	}
}

// TestHighDensityScalesToTheBuffer: placing matches starts servers to keep the
// buffer of free matches, up to the maximum; once the matches are over, the
// servers the buffer does not need are stopped, down to the minimum.
func TestHighDensityScalesToTheBuffer(t *testing.T) {
	f := newHighDensityFleet(t, 2, 2, 1, 3, func(c *Config) { c.Game.NoShowTimeout = 2 * time.Second })
	testwait.Eventually(t, "one server", func() bool { return states(f.Fleet)[agoneswire.StateAllocated] == 1 }, testwait.Within(20*time.Second))
	for i := range 4 {
		// A new server is on its way when the buffer runs low: a match
		// placed before it is leased finds no room and asks again.
		testwait.Eventually(t, fmt.Sprint("match ", i), func() bool {
			_, err := f.Allocate(context.Background(), backend.AllocationRequest{PlayerIDs: []string{fmt.Sprint("p", i), fmt.Sprint("p", i, ".2")}})
			return err == nil
		}, testwait.Within(20*time.Second))
	}
	// 4 matches placed: 2 servers full, a third keeps 2 free matches.
	testwait.Eventually(t, "three servers", func() bool { return states(f.Fleet)[agoneswire.StateAllocated] == 3 }, testwait.Within(20*time.Second))
	if _, err := f.Allocate(context.Background(), backend.AllocationRequest{PlayerIDs: []string{"x", "x.2"}}); err != nil {
		t.Fatalf("a fifth match: %v", err)
	}
	// Nobody connects: the matches are forgotten after the no-show timeout.
	testwait.Eventually(t, "the fleet back to its minimum", func() bool { return len(f.Servers()) == 1 }, testwait.Within(20*time.Second))
	if got := f.highDensity.FreeMatches(); got != 2 {
		t.Fatalf("%d free matches, want the one server's 2", got)
	}
}

// TestHighDensityUnreportedMatchIsForgotten: a placed match whose players never
// come gives its room back after the no-show timeout.
func TestHighDensityUnreportedMatchIsForgotten(t *testing.T) {
	f := newHighDensityFleet(t, 2, 1, 1, 1, func(c *Config) { c.Game.NoShowTimeout = 100 * time.Millisecond })
	a := alloc(t, f.Fleet, "ghost", "ghost.2")
	alloc(t, f.Fleet, "other", "other.2")
	testwait.Eventually(t, "the no-shows' room to come back", func() bool {
		next, err := f.Allocate(context.Background(), backend.AllocationRequest{PlayerIDs: []string{"next"}})
		return err == nil && next.GameServer == a.GameServer && !next.Joined
	}, testwait.Within(20*time.Second))
}

// TestHighDensityMatchReportedThenOver plays a real match: the server reports it in
// its matches list when the first player comes, the next player joins it,
// and when it is over its room comes back.
func TestHighDensityMatchReportedThenOver(t *testing.T) {
	f := newHighDensityFleet(t, 2, 1, 1, 1, func(c *Config) { c.Game.WaitForPlayers = 200 * time.Millisecond })
	a := alloc(t, f.Fleet, "a")
	raw, _, err := f.tokens.MintMatchSession("a", a.GameServer, a.Match, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := client.Dial(t.Context(), fmt.Sprintf("ws://%s:%d/ws", a.Address, a.Port), raw, client.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ev := <-conn.Events(); !isWelcome(ev) {
		t.Fatalf("first event %T %+v, want Welcome", ev, ev)
	}
	testwait.Eventually(t, "the match in the matches list", func() bool { return slices.Contains(f.matches(a.GameServer), a.Match) }, testwait.Within(20*time.Second))
	testwait.Eventually(t, "the engine to see it started", func() bool { return f.highDensity.Stats().Started == 1 }, testwait.Within(20*time.Second))
	if !f.Holding("a", a) {
		t.Fatal("the place of a connected player of a running match is not held")
	}
	if b := alloc(t, f.Fleet, "b"); b.Match != a.Match || !b.Joined {
		t.Fatalf("second player: %+v, want to join the started match %s", b, a.Match)
	}
	// a leaves and b never comes: the match is over once empty for
	// --wait-for-players, and the server takes it off its list.
	conn.Close()
	testwait.Eventually(t, "the match off the list", func() bool { return len(f.matches(a.GameServer)) == 0 }, testwait.Within(20*time.Second))
	testwait.Eventually(t, "the room back", func() bool { s := f.highDensity.Stats(); return s.Matches == 0 && s.FreeMatches == 2 }, testwait.Within(20*time.Second))
	if f.Holding("a", a) {
		t.Fatal("a place in a match that is over is still held")
	}
	if b := alloc(t, f.Fleet, "b"); b.Match == a.Match {
		t.Fatalf("a player of a match that is over was sent back to it: %+v", b)
	}
}

func isWelcome(ev client.Event) bool {
	_, ok := ev.(client.Welcome)
	return ok
}

// TestHighDensityClosedServerTakesNobody: a server that labels itself closed
// (draining) takes no new match, and its own players are placed elsewhere.
func TestHighDensityClosedServerTakesNobody(t *testing.T) {
	f := newHighDensityFleet(t, 2, 1, 2, 2, nil)
	a := alloc(t, f.Fleet, "early")
	if err := f.server(a.GameServer).sdk.SetLabel(context.Background(), agoneswire.ClosedLabelKey, agoneswire.ClosedValue); err != nil {
		t.Fatal(err)
	}
	testwait.Eventually(t, "the server suspended", func() bool { return f.highDensity.Stats().Suspended == 1 }, testwait.Within(20*time.Second))
	if b := alloc(t, f.Fleet, "late"); b.GameServer == a.GameServer {
		t.Fatalf("a player was placed on %s, which is closed", a.GameServer)
	}
	if again := alloc(t, f.Fleet, "early"); again.GameServer == a.GameServer {
		t.Fatal("the closed server's own player was sent back to it")
	}
}

// TestHighDensityKilledServerIsReplaced: a server that stops (its process part
// crashed, or it was found unhealthy) leaves placement at once and is
// replaced; its players are placed afresh.
func TestHighDensityKilledServerIsReplaced(t *testing.T) {
	f := newHighDensityFleet(t, 2, 1, 1, 1, nil)
	a := alloc(t, f.Fleet, "p")
	f.server(a.GameServer).cancel()
	testwait.Eventually(t, "a new server", func() bool {
		_, still := f.Servers()[a.GameServer]
		return !still && states(f.Fleet)[agoneswire.StateAllocated] == 1
	}, testwait.Within(20*time.Second))
	testwait.Eventually(t, "room on the new server", func() bool { return f.highDensity.FreeMatches() == 2 }, testwait.Within(20*time.Second))
	if b := alloc(t, f.Fleet, "p"); b.GameServer == a.GameServer || b.Joined {
		t.Fatalf("after its server went: %+v, want a new match elsewhere", b)
	}
}

// TestHighDensityUnhealthyServerIsReplaced: health silence while the fleet
// watches takes the server out of placement before it is stopped.
func TestHighDensityUnhealthyServerIsReplaced(t *testing.T) {
	keys, _ := token.GenerateKeyset("k")
	clk := sdktest.NewFakeClock(time.Now())
	f, err := NewFleet(context.Background(), Config{
		MatchesPerServer: 2, BufferSize: 1, MaxReplicas: 1, Game: raceserver.DefaultGameOptions(),
		Tokens: token.NewIssuer(keys, nil), SyncInterval: time.Second, UnhealthyAfter: 15 * time.Second,
		HealthPeriod: time.Hour, Now: clk.Now,
	}, prometheus.NewRegistry(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	a := alloc(t, f, "p")
	testwait.Eventually(t, "the first health ping", func() bool { return !serverNamed(f, a.GameServer).sdk.LastHealth().IsZero() }, testwait.Within(20*time.Second))
	f.checkHealth(clk.Now())
	for range 16 {
		clk.Advance(time.Second)
		f.checkHealth(clk.Now())
	}
	// Out of placement at once, though still draining: the fleet's only
	// server is gone, and its replacement waits for it (max 1).
	if b, err := f.Allocate(context.Background(), backend.AllocationRequest{PlayerIDs: []string{"q"}}); !errors.Is(err, backend.ErrNoCapacity) {
		t.Fatalf("a player while the only server is replaced: %+v, %v; want no capacity", b, err)
	}
	testwait.Eventually(t, "the silent server stopped", func() bool {
		select {
		case <-f.serverDone(a.GameServer):
			return true
		default:
			return false
		}
	}, testwait.Within(20*time.Second))
	testwait.Eventually(t, "a replacement", func() bool { return f.highDensity.FreeMatches() == 2 }, testwait.Within(20*time.Second))
	if b := alloc(t, f, "p"); b.GameServer == a.GameServer || b.Joined {
		t.Fatalf("after its server was replaced: %+v, want a new match elsewhere", b)
	}
}

// TestHighDensityResolve: the edge of local mode reaches the leased servers.
func TestHighDensityResolve(t *testing.T) {
	f := newHighDensityFleet(t, 2, 1, 1, 1, nil)
	a := alloc(t, f.Fleet, "p")
	got, err := f.Resolve(t.Context(), a.GameServer)
	if want := fmt.Sprintf("127.0.0.1:%d", a.Port); err != nil || got != want {
		t.Fatalf("Resolve(%s) = %q, %v; want %s", a.GameServer, got, err, want)
	}
}

func TestHighDensityConfigErrors(t *testing.T) {
	keys, _ := token.GenerateKeyset("k")
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"too many matches per server", Config{MatchesPerServer: MaxMatchesPerServer + 1, MaxReplicas: 1}},
		{"negative matches per server", Config{MatchesPerServer: -1, MaxReplicas: 1}},
		{"buffer above max x matches", Config{MatchesPerServer: 4, BufferSize: 9, MaxReplicas: 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Tokens, tc.cfg.Game = token.NewIssuer(keys, nil), raceserver.DefaultGameOptions()
			if _, err := NewFleet(context.Background(), tc.cfg, prometheus.NewRegistry(), slog.New(slog.DiscardHandler)); err == nil {
				t.Fatal("NewFleet accepted it")
			}
		})
	}
}

// TestHighDensityPlayersShareAnAddress: the players of many matches on one server
// may all come from one address (a NAT, the local edge): the fleet's caps
// bound them, not a game server's default of 16 per address.
func TestHighDensityPlayersShareAnAddress(t *testing.T) {
	f := newHighDensityFleet(t, 16, 1, 1, 1, func(c *Config) {
		// Matches left by their players end at once: the fleet stops without a drain.
		c.Game.WaitForPlayers, c.Game.Rules.ReconnectGrace = 100*time.Millisecond, 100*time.Millisecond
	})
	for i := range 20 {
		id := fmt.Sprint("p", i)
		a := alloc(t, f.Fleet, id)
		raw, _, err := f.tokens.MintMatchSession(id, a.GameServer, a.Match, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		conn, err := client.Dial(t.Context(), fmt.Sprintf("ws://%s:%d/ws", a.Address, a.Port), raw, client.DialOptions{})
		if err != nil {
			t.Fatalf("player %d: %v", i, err)
		}
		t.Cleanup(func() { conn.Close() })
		if ev := <-conn.Events(); !isWelcome(ev) {
			t.Fatalf("player %d: first event %T %+v, want Welcome", i, ev, ev)
		}
	}
}

// TestHighDensityNoShowSeatGoesToTheNextPlayer: a placed player who never comes
// leaves an empty seat in a match another player waits in. Once the match
// server reports the match waiting and the seat's hold has passed, the seat
// goes to the next player, who matches there.
func TestHighDensityNoShowSeatGoesToTheNextPlayer(t *testing.T) {
	const window, hold = 300 * time.Millisecond, 600 * time.Millisecond
	f := newHighDensityFleet(t, 2, 1, 1, 1, func(c *Config) {
		c.Game.NoShowTimeout, c.SeatHold, c.Game.WaitForPlayers = window, hold, 200*time.Millisecond
	})
	dial := func(id string, a backend.Assignment) *client.Conn {
		t.Helper()
		raw, _, err := f.tokens.MintMatchSession(id, a.GameServer, a.Match, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		conn, err := client.Dial(t.Context(), fmt.Sprintf("ws://%s:%d/ws", a.Address, a.Port), raw, client.DialOptions{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		ev := <-conn.Events()
		if w, ok := ev.(client.Welcome); !ok || w.SessionId != a.Match {
			t.Fatalf("%s: first event %T %+v, want Welcome into match %s", id, ev, ev, a.Match)
		}
		return conn
	}
	a := alloc(t, f.Fleet, "a")
	dial("a", a)
	testwait.Eventually(t, "the engine to see the match started", func() bool { return f.highDensity.Stats().Started == 1 }, testwait.Within(20*time.Second))
	if b := alloc(t, f.Fleet, "b"); b.Match != a.Match || !b.Joined {
		t.Fatalf("b: %+v, want a's match %s", b, a.Match)
	}
	// b never comes.
	testwait.Eventually(t, "b's seat given back", func() bool { return f.highDensity.Stats().SeatsFreed == 1 }, testwait.Within(20*time.Second))
	c := alloc(t, f.Fleet, "c")
	if c.Match != a.Match || !c.Joined {
		t.Fatalf("c: %+v, want b's seat in a's match %s", c, a.Match)
	}
	dial("c", c)
	if b := alloc(t, f.Fleet, "b"); b.Match == a.Match {
		t.Fatalf("b asking again was sent back to the match it left to c: %+v", b)
	}
	// The match stays reported, full, with the players who won its seats.
	testwait.Eventually(t, "the match reported full with a and c", func() bool {
		l, err := agoneswire.DecodeLobbies(f.Servers()[a.GameServer].ObjectMeta.Annotations[agoneswire.LobbiesAnnotation])
		return err == nil && len(l) == 1 && slices.Equal(l[a.Match], []string{"a", "c"})
	}, testwait.Within(20*time.Second))
}
