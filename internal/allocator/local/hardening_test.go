package local

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/leapfrog-games/leapfrog/contract/agoneswire"
	"github.com/leapfrog-games/leapfrog/contract/token"
	"github.com/leapfrog-games/leapfrog/gameserver/agonessdk/sdktest"
	"github.com/leapfrog-games/leapfrog/internal/allocator/backend"
	"github.com/leapfrog-games/leapfrog/internal/gameserver/raceserver"
	"github.com/leapfrog-games/leapfrog/internal/testwait"
)

func players(f *Fleet, name string) []string {
	return f.Servers()[name].Status.Lists["players"].Values
}

// TestMoreSeatsForTheSamePlayer: a player that holds one place and asks for
// two seats gets the second seat on its own server, or a typed refusal, never
// a token for a place that is not in the list.
func TestMoreSeatsForTheSamePlayer(t *testing.T) {
	f, _ := newFleet(t, 1, 2, nil)
	a := alloc(t, f, "p")
	b := alloc(t, f, "p", "p.2")
	if b.GameServer != a.GameServer {
		t.Fatalf("two seats went to %s, want the player's own %s", b.GameServer, a.GameServer)
	}
	if got := players(f, a.GameServer); !slices.Equal(got, []string{"p", "p.2"}) {
		t.Fatalf("players %v, want p and p.2", got)
	}

	testwait.Eventually(t, "the buffer to refill", func() bool { return states(f)[agoneswire.StateReady] == 1 }, testwait.Within(20*time.Second))
	c := alloc(t, f, "q")
	alloc(t, f, "r") // q's match is full now
	_, err := f.Allocate(context.Background(), backend.AllocationRequest{PlayerIDs: []string{"q", "q.2"}})
	if !errors.Is(err, backend.ErrSeatsTaken) {
		t.Fatalf("second seat on a full match: err %v, want ErrSeatsTaken", err)
	}
	if got := players(f, c.GameServer); slices.Contains(got, "q.2") || len(got) != 2 {
		t.Fatalf("players %v after the refusal", got)
	}
}

// TestClosedServerTakesNobody: a game server whose match is over is skipped
// even while it still looks Allocated with room.
func TestClosedServerTakesNobody(t *testing.T) {
	f, _ := newFleet(t, 1, 3, nil)
	a := alloc(t, f, "early")
	f.mu.Lock()
	s := f.servers[a.GameServer]
	f.mu.Unlock()
	if err := s.sdk.SetLabel(context.Background(), agoneswire.ClosedLabelKey, agoneswire.ClosedValue); err != nil {
		t.Fatal(err)
	}
	testwait.Eventually(t, "the buffer to refill", func() bool { return states(f)[agoneswire.StateReady] == 1 }, testwait.Within(20*time.Second))
	b := alloc(t, f, "late")
	if b.GameServer == a.GameServer {
		t.Fatalf("a player was placed on %s, whose match is over", a.GameServer)
	}
	// Not even the player's own place on it is handed out again.
	testwait.Eventually(t, "the buffer to refill", func() bool { return states(f)[agoneswire.StateReady] == 1 }, testwait.Within(20*time.Second))
	if again := alloc(t, f, "early"); again.GameServer == a.GameServer {
		t.Fatalf("the closed server's own player was sent back to it")
	}
}

// TestPausedProcessKillsNoServer: when the whole process stops (SIGSTOP) and
// resumes, the game servers could not ping health during the pause either;
// they are not replaced for it. A server that stays silent while the fleet
// watches is still replaced.
func TestPausedProcessKillsNoServer(t *testing.T) {
	keys, _ := token.GenerateKeyset("k")
	clk := sdktest.NewFakeClock(time.Now())
	f, err := NewFleet(context.Background(), Config{
		BufferSize: 1, MaxReplicas: 1, Game: raceserver.DefaultGameOptions(),
		Tokens: token.NewIssuer(keys, nil), SyncInterval: time.Second, UnhealthyAfter: 15 * time.Second,
		HealthPeriod: time.Hour, // one ping at start, then silence
		Now:          clk.Now,
	}, prometheus.NewRegistry(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	var name string
	for n := range f.Servers() {
		name = n
	}
	testwait.Eventually(t, "the first health ping", func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		return !f.servers[name].sdk.LastHealth().IsZero()
	}, testwait.Within(20*time.Second))

	alive := func() bool {
		select {
		case <-f.serverDone(name):
			return false
		default:
			return true
		}
	}
	f.checkHealth(clk.Now())
	clk.Advance(20 * time.Second) // SIGSTOP for 20 s, then SIGCONT
	f.checkHealth(clk.Now())
	if !alive() {
		t.Fatal("a pause of the whole process was taken for an unhealthy game server")
	}
	for range 14 {
		clk.Advance(time.Second)
		f.checkHealth(clk.Now())
	}
	if !alive() {
		t.Fatal("replaced before it was silent for 15 s of watching")
	}
	clk.Advance(time.Second)
	f.checkHealth(clk.Now())
	testwait.Eventually(t, "the silent server to be stopped", func() bool { return !alive() }, testwait.Within(20*time.Second))
}
