package local

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/leapfrog-games/leapfrog/contract/agoneswire"
	"github.com/leapfrog-games/leapfrog/contract/token"
	"github.com/leapfrog-games/leapfrog/internal/allocator/backend"
	"github.com/leapfrog-games/leapfrog/internal/gameserver/raceserver"
	"github.com/leapfrog-games/leapfrog/internal/testwait"
)

func newFleet(t *testing.T, buffer, maxServers int, tune func(*raceserver.GameOptions)) (*Fleet, *prometheus.Registry) {
	t.Helper()
	keys, _ := token.GenerateKeyset("k")
	g := raceserver.DefaultGameOptions()
	if tune != nil {
		tune(&g)
	}
	reg := prometheus.NewRegistry()
	f, err := NewFleet(context.Background(), Config{
		BufferSize: buffer, MinReplicas: 0, MaxReplicas: maxServers, Game: g,
		Tokens: token.NewIssuer(keys, nil), SyncInterval: 20 * time.Millisecond,
	}, reg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	return f, reg
}

func alloc(t *testing.T, f *Fleet, ids ...string) backend.Assignment {
	t.Helper()
	a, err := f.Allocate(context.Background(), backend.AllocationRequest{PlayerIDs: ids})
	if err != nil {
		t.Fatalf("allocate %v: %v", ids, err)
	}
	return a
}

func states(f *Fleet) map[agoneswire.GameServerState]int {
	out := map[agoneswire.GameServerState]int{}
	for _, gs := range f.Servers() {
		out[gs.Status.State]++
	}
	return out
}

func TestAllocationPairsPlayersAndIsIdempotent(t *testing.T) {
	f, reg := newFleet(t, 2, 4, nil)
	if got := states(f)[agoneswire.StateReady]; got != 2 {
		t.Fatalf("%d Ready servers, want the buffer of 2", got)
	}
	a := alloc(t, f, "alice")
	if a.Joined || a.Address != "127.0.0.1" || a.Port == 0 {
		t.Fatalf("first player: %+v, want a fresh server", a)
	}
	if again := alloc(t, f, "alice"); again != (backend.Assignment{GameServer: a.GameServer, Address: a.Address, Port: a.Port, Joined: true}) {
		t.Fatalf("asking twice: %+v, want the same server %s", again, a.GameServer)
	}
	if got := f.Servers()[a.GameServer].Status.Lists["players"].Values; len(got) != 1 {
		t.Fatalf("asking twice took %d places", len(got))
	}
	b := alloc(t, f, "bob")
	if b.GameServer != a.GameServer || !b.Joined {
		t.Fatalf("second player went to %+v, want to join %s", b, a.GameServer)
	}
	c := alloc(t, f, "carol")
	if c.GameServer == a.GameServer || c.Joined {
		t.Fatalf("third player: %+v, want a fresh server", c)
	}
	testwait.Eventually(t, "the buffer to refill", func() bool { return states(f)[agoneswire.StateReady] == 2 }, testwait.Within(20*time.Second))
	if got := gauge(t, reg, "leapfrog_local_fleet_players"); got != 3 {
		t.Errorf("players gauge = %v, want 3", got)
	}
}

func gauge(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

func TestNoCapacityAtTheMaximum(t *testing.T) {
	f, _ := newFleet(t, 1, 1, nil)
	alloc(t, f, "a", "b") // living-room: two seats on one server
	_, err := f.Allocate(context.Background(), backend.AllocationRequest{PlayerIDs: []string{"c"}})
	if !errors.Is(err, backend.ErrNoCapacity) {
		t.Fatalf("err = %v, want no capacity", err)
	}
}

func TestFinishedServerIsReplaced(t *testing.T) {
	f, _ := newFleet(t, 1, 2, func(g *raceserver.GameOptions) { g.WaitForPlayers = 100 * time.Millisecond })
	a := alloc(t, f, "nobody-comes")
	testwait.Eventually(t, "the empty match to shut down and be replaced", func() bool {
		_, still := f.Servers()[a.GameServer]
		return !still && states(f)[agoneswire.StateReady] == 1
	}, testwait.Within(20*time.Second))
}

func TestNoShowFreesTheSlotForTheNextPlayer(t *testing.T) {
	f, _ := newFleet(t, 1, 1, func(g *raceserver.GameOptions) { g.NoShowTimeout = 100 * time.Millisecond })
	a := alloc(t, f, "ghost", "ghost2")
	testwait.Eventually(t, "the no-shows' places to be freed", func() bool {
		return len(f.Servers()[a.GameServer].Status.Lists["players"].Values) == 0
	}, testwait.Within(20*time.Second))
	if b := alloc(t, f, "next"); b.GameServer != a.GameServer {
		t.Fatalf("next player went to %s, want the freed %s", b.GameServer, a.GameServer)
	}
}
