package edge_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/leapfrog-games/leapfrog/client"
	racev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/race/v1"
	"github.com/leapfrog-games/leapfrog/contract/token"
	"github.com/leapfrog-games/leapfrog/internal/allocator/backend"
	"github.com/leapfrog-games/leapfrog/internal/allocator/local"
	"github.com/leapfrog-games/leapfrog/internal/edge"
	"github.com/leapfrog-games/leapfrog/internal/gameserver/raceserver"
)

func startFleet(t *testing.T, issuer *token.Issuer) *local.Fleet {
	t.Helper()
	g := raceserver.DefaultGameOptions()
	g.Rules.HopDuration = 40 * time.Millisecond
	g.Rules.HopPenalty = 5 * time.Millisecond
	g.Rules.Countdown = 30 * time.Millisecond
	g.Rules.ReconnectGrace = 10 * time.Second
	g.TickRate = 100
	f, err := local.NewFleet(t.Context(), local.Config{
		Host: "127.0.0.1", BufferSize: 1, MinReplicas: 0, MaxReplicas: 2, Game: g, Tokens: issuer,
		SyncInterval: 20 * time.Millisecond,
	}, prometheus.NewRegistry(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	return f
}

// edgeOn starts an edge replica in front of the fleet.
func edgeOn(t *testing.T, issuer *token.Issuer, f *local.Fleet) *testEdge {
	t.Helper()
	te := startEdge(t, issuer, &mapResolver{}, func(c *edge.Config) { c.Resolver = f })
	return te
}

// next returns the first event of type T, failing on Closed or after 10 s.
func next[T client.Event](t *testing.T, c *client.Conn) T {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev, ok := <-c.Events():
			if !ok {
				t.Fatalf("events ended waiting for %T", *new(T))
			}
			if v, ok := ev.(T); ok {
				return v
			}
			if cl, ok := ev.(client.Closed); ok {
				t.Fatalf("closed (%d %q) waiting for %T", cl.Code, cl.Text, *new(T))
			}
		case <-timeout:
			t.Fatalf("no %T within 10 s", *new(T))
		}
	}
}

// A match through the edge, with the edge replica restarted mid-race: the
// players see 1012, get fresh tokens and reconnect through another replica
// within the grace, and the match finishes.
func TestMatchThroughEdgeSurvivesEdgeRestart(t *testing.T) {
	issuer := newKeys(t)
	fleet := startFleet(t, issuer)
	edgeA, edgeB := edgeOn(t, issuer, fleet), edgeOn(t, issuer, fleet)
	ctx := t.Context()

	players := []string{"p1", "p2"}
	var gs string
	for _, p := range players {
		a, err := fleet.Allocate(ctx, backend.AllocationRequest{PlayerIDs: []string{p}})
		if err != nil {
			t.Fatal(err)
		}
		gs = a.GameServer
	}
	connect := func(te *testEdge, p string) *client.Conn {
		raw, _, err := issuer.MintPlayerSession(p, gs, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		c, err := client.Dial(ctx, te.url(gs), raw, client.DialOptions{})
		if err != nil {
			t.Fatalf("dial through the edge: %v", err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	conns := make([]*client.Conn, len(players))
	for i, p := range players {
		conns[i] = connect(edgeA, p)
		if w := next[client.Welcome](t, conns[i]); w.GameServer != gs || w.PlayerId != p {
			t.Fatalf("welcome %v", w.Welcome)
		}
	}
	for _, c := range conns {
		if err := c.SendSceneReady(); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range conns {
		next[client.Countdown](t, c)
	}

	// Replica A goes away mid-race, its drain already over.
	expired, cancel := context.WithCancel(ctx)
	cancel()
	if err := edgeA.h.Shutdown(expired); err == nil {
		t.Fatal("shutdown with relays open and no time left reported no error")
	}
	for _, c := range conns {
		if cl := next[client.Closed](t, c); cl.Code != 1012 {
			t.Fatalf("closed with %d %q, want 1012 (service restart: reconnect)", cl.Code, cl.Text)
		}
	}
	for i, p := range players {
		conns[i] = connect(edgeB, p)
		if w := next[client.Welcome](t, conns[i]); !w.Reconnected {
			t.Fatalf("welcome after the edge restart is not a reconnect: %v", w.Welcome)
		}
	}
	// Both hop until the match has a result.
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(20 * time.Second)
	for done := false; !done; {
		select {
		case <-tick.C:
			_ = conns[0].SendHop()
		case ev := <-conns[0].Events():
			switch ev := ev.(type) {
			case client.RaceResult:
				if ev.WinnerPlayerId != "p1" || ev.Reason != racev1.RaceResult_REASON_FINISH {
					t.Fatalf("result %v, want p1 (the only one hopping) to win at the line", ev.RaceResult)
				}
				done = true
			case client.Closed:
				t.Fatalf("closed (%d) before the result", ev.Code)
			}
		case <-deadline:
			t.Fatal("no match result within 20 s")
		}
	}
}
