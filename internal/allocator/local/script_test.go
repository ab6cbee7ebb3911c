package local

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/leapfrog-games/leapfrog/contract/token"
	"github.com/leapfrog-games/leapfrog/internal/gameserver/raceserver"
	"github.com/leapfrog-games/leapfrog/internal/gameserver/script"
	"github.com/leapfrog-games/leapfrog/internal/testwait"
)

// threeSeats loads a Realtime script of three players a session, as the
// allocator's --game=script does.
func threeSeats(t *testing.T) *script.Program {
	t.Helper()
	o := raceserver.DefaultScriptOptions()
	o.Game, o.Dir = raceserver.GameScript, "testdata/threeseats"
	prog, err := o.Program(slog.New(slog.DiscardHandler), 1)
	if err != nil {
		t.Fatal(err)
	}
	return prog
}

// TestScriptSeatsFillMatches: the fleet fills a script's match up to its seats
// (the script's maxPlayers, or fewer when set) before it opens another, on
// servers of one match and of many.
func TestScriptSeatsFillMatches(t *testing.T) {
	prog := threeSeats(t)
	for _, tt := range []struct {
		name             string
		matchesPerServer int
		seats            int
		wantPerMatch     int
	}{
		{"one match per server, the script's maxPlayers", 1, 0, 3},
		{"one match per server, fewer seats", 1, 2, 2},
		{"many matches per server, the script's maxPlayers", 4, 0, 3},
		{"many matches per server, fewer seats", 4, 2, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			keys, _ := token.GenerateKeyset("k")
			g := raceserver.DefaultGameOptions()
			g.Script = prog
			f, err := NewFleet(context.Background(), Config{
				MatchesPerServer: tt.matchesPerServer, BufferSize: 1, MaxReplicas: 4, Game: g, Seats: tt.seats,
				Tokens: token.NewIssuer(keys, nil), SyncInterval: 20 * time.Millisecond,
			}, prometheus.NewRegistry(), slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(f.Close)
			match := func(p int) string {
				a := alloc(t, f, fmt.Sprintf("p%d", p))
				return a.GameServer + "/" + a.Match
			}
			first := match(0)
			for p := 1; p < tt.wantPerMatch; p++ {
				if got := match(p); got != first {
					t.Fatalf("player %d placed in %s, want the first match %s (%d seats)", p, got, first, tt.wantPerMatch)
				}
			}
			testwait.Eventually(t, "the buffer refilled", func() bool { return f.warm() >= 1 }, testwait.Within(20*time.Second))
			if got := match(tt.wantPerMatch); got == first {
				t.Fatalf("player %d placed in the full match %s", tt.wantPerMatch, first)
			}
		})
	}
}

func TestScriptSeatsOverMaxPlayersAreRefused(t *testing.T) {
	keys, _ := token.GenerateKeyset("k")
	g := raceserver.DefaultGameOptions()
	g.Script = threeSeats(t)
	_, err := NewFleet(context.Background(), Config{MaxReplicas: 1, Game: g, Seats: 4, Tokens: token.NewIssuer(keys, nil)},
		prometheus.NewRegistry(), slog.New(slog.DiscardHandler))
	if err == nil {
		t.Fatal("NewFleet with 4 seats for a script of 3 players: no error")
	}
}
