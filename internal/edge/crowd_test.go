package edge_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/leapfrog-games/leapfrog/client"
	"github.com/leapfrog-games/leapfrog/contract/token"
	"github.com/leapfrog-games/leapfrog/internal/allocator/backend"
	"github.com/leapfrog-games/leapfrog/internal/allocator/local"
	"github.com/leapfrog-games/leapfrog/internal/gameserver/raceserver"
)

// Many matches at once on one high-density game server through one edge
// replica, each player from an address of its own: the game server (and
// the fleet's shared cap) count the players' addresses, which the edge
// vouches for, not the edge's, so far more than the 16 connections a
// client address may hold get in, and every match finishes.
func TestManyMatchesThroughOneEdgeOnOneServer(t *testing.T) {
	for _, tc := range []struct {
		name             string
		matches, perIP   int
		matchesPerServer int
	}{
		{"16 connections per address", 24, 16, 48},
		// make run's fleet: 512 matches a server, 256 connections per address
		// for all of the fleet's servers together.
		{"make run's fleet, more than 256 players", 130, 0, 512},
	} {
		t.Run(tc.name, func(t *testing.T) { manyMatchesThroughOneEdge(t, tc.matches, tc.perIP, tc.matchesPerServer) })
	}
}

func manyMatchesThroughOneEdge(t *testing.T, matches, perIP, matchesPerServer int) {
	issuer := newKeys(t)
	g := raceserver.DefaultGameOptions()
	g.Rules.HopDuration, g.Rules.HopPenalty, g.Rules.Countdown = 40*time.Millisecond, 5*time.Millisecond, 30*time.Millisecond
	g.TickRate = 100
	fleet, err := local.NewFleet(t.Context(), local.Config{
		Host: "127.0.0.1", MatchesPerServer: matchesPerServer, BufferSize: 1, MinReplicas: 1, MaxReplicas: 1,
		Game: g, Tokens: issuer, SyncInterval: 20 * time.Millisecond, MaxConnsPerIP: perIP,
	}, prometheus.NewRegistry(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fleet.Close)
	te := edgeOn(t, issuer, fleet)

	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	servers := map[string]bool{}
	var seats [][2]backend.Assignment
	for r := range matches {
		var seat [2]backend.Assignment
		for i := range seat {
			a, err := fleet.Allocate(ctx, backend.AllocationRequest{PlayerIDs: []string{fmt.Sprintf("r%d-p%d", r, i)}})
			if err != nil {
				t.Fatalf("allocate match %d: %v", r, err)
			}
			seat[i] = a
			servers[a.GameServer] = true
		}
		if seat[0].Match != seat[1].Match {
			t.Fatalf("match %d: players placed in %q and %q", r, seat[0].Match, seat[1].Match)
		}
		seats = append(seats, seat)
	}
	if len(servers) != 1 {
		t.Fatalf("matches on %d servers, want all on one", len(servers))
	}
	var wg sync.WaitGroup
	errs := make(chan error, matches)
	for r, seat := range seats {
		wg.Go(func() {
			if err := matchThrough(ctx, te, issuer, r, seat); err != nil {
				errs <- fmt.Errorf("match %d: %w", r, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	failed := 0
	for err := range errs {
		failed++
		t.Error(err)
	}
	if perIP == 0 {
		perIP = local.DefaultMaxConnsPerIP
	}
	t.Logf("%d of %d matches through one edge on one server finished (%d players; %d connections per address allowed)", matches-failed, matches, 2*matches, perIP)
}

// matchThrough plays one match through the edge: each player dials from its
// own loopback address, both get ready, both hop until the result.
func matchThrough(ctx context.Context, te *testEdge, issuer *token.Issuer, r int, seat [2]backend.Assignment) error {
	var conns [2]*client.Conn
	for i, a := range seat {
		raw, _, err := issuer.MintMatchSession(fmt.Sprintf("r%d-p%d", r, i), a.GameServer, a.Match, time.Minute)
		if err != nil {
			return err
		}
		n := 2*r + i
		from := net.IPv4(127, 0, byte(1+n/250), byte(1+n%250))
		d := &websocket.Dialer{
			NetDialContext:   (&net.Dialer{LocalAddr: &net.TCPAddr{IP: from}}).DialContext,
			HandshakeTimeout: 10 * time.Second,
		}
		c, err := client.Dial(ctx, te.url(a.GameServer), raw, client.DialOptions{Dialer: d})
		if err != nil {
			return fmt.Errorf("player %d dials through the edge from %s: %w", i, from, err)
		}
		defer c.Close()
		conns[i] = c
	}
	for i, c := range conns {
		if err := await[client.Welcome](ctx, c); err != nil {
			return fmt.Errorf("player %d: %w", i, err)
		}
		if err := c.SendSceneReady(); err != nil {
			return err
		}
	}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			_ = conns[0].SendHop()
			_ = conns[1].SendHop()
		case ev := <-conns[0].Events():
			switch ev := ev.(type) {
			case client.RaceResult:
				return nil
			case client.Closed:
				return fmt.Errorf("closed (%d %q) before the result", ev.Code, ev.Text)
			}
		case <-ctx.Done():
			return fmt.Errorf("no result: %w", ctx.Err())
		}
	}
}

// await waits for the first event of type T; Closed or the end of ctx is an error.
func await[T client.Event](ctx context.Context, c *client.Conn) error {
	for {
		select {
		case ev, ok := <-c.Events():
			if !ok {
				return fmt.Errorf("events ended waiting for %T", *new(T))
			}
			if _, ok := ev.(T); ok {
				return nil
			}
			if cl, ok := ev.(client.Closed); ok {
				return fmt.Errorf("closed (%d %q) waiting for %T", cl.Code, cl.Text, *new(T))
			}
		case <-ctx.Done():
			return fmt.Errorf("no %T: %w", *new(T), ctx.Err())
		}
	}
}
