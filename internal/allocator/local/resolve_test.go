package local

import (
	"errors"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/leapfrog-games/leapfrog/contract/token"
	"github.com/leapfrog-games/leapfrog/internal/allocator/backend"
	"github.com/leapfrog-games/leapfrog/internal/edge"
	"github.com/leapfrog-games/leapfrog/internal/gameserver/raceserver"
)

// The edge of local mode reaches only Allocated servers of the fleet.
func TestResolveOnlyAllocated(t *testing.T) {
	ks, _ := token.GenerateKeyset("k1")
	f, err := NewFleet(t.Context(), Config{Host: "127.0.0.1", BufferSize: 2, MaxReplicas: 2, Game: raceserver.DefaultGameOptions(),
		Tokens: token.NewIssuer(ks, nil), SyncInterval: 20 * time.Millisecond}, prometheus.NewRegistry(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var ready string
	for name := range f.Servers() {
		ready = name
	}
	for _, name := range []string{"nope", ready} {
		if _, err := f.Resolve(t.Context(), name); !errors.Is(err, edge.ErrUnknownGameServer) {
			t.Errorf("Resolve(%s) = %v, want ErrUnknownGameServer", name, err)
		}
	}
	a, err := f.Allocate(t.Context(), backend.AllocationRequest{PlayerIDs: []string{"p1"}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.Resolve(t.Context(), a.GameServer)
	if want := "127.0.0.1:" + strconv.Itoa(int(a.Port)); err != nil || got != want {
		t.Errorf("Resolve(%s) = %q, %v; want %s", a.GameServer, got, err, want)
	}
}
