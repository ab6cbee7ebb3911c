package agones

import (
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/leapfrog-games/leapfrog/client/bot"
	"github.com/leapfrog-games/leapfrog/test/internal/playtest"
)

// TestBotsRaceThroughTheEdge installs the chart with the edge, runs the edge
// with its own ServiceAccount's token (it may only watch GameServers), and
// has the bots race through it: the allocator hands out the edge's URL and
// every frame of the races crosses the edge.
func TestBotsRaceThroughTheEdge(t *testing.T) {
	s := needRig(t)
	rel, _ := s.install(t, "edge", s.state.Binary("race-server"), "edge.enabled=true", "edge.host=play.example.com",
		"fleet.replicas=4", "autoscaler.enabled=false")
	edge, err := rel.StartEdge(t.Context(), s.state.Binary("edge"), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { edge.Stop(25 * time.Second) })
	// The chart's edge URL names the public host; here the edge listens on
	// loopback without TLS.
	alloc, err := rel.StartAllocator(t.Context(), s.state.Binary("allocator"), "127.0.0.1:0", false, "edge-url="+edge.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { alloc.Stop(15 * time.Second) })

	api := s.apiFor(t, alloc.URL)
	m := s.match(t, api, s.guest(t, api))
	if want := edge.URL + "/race/" + m.GameServer; m.WSURL != want {
		t.Fatalf("ws_url %s, want the edge's %s", m.WSURL, want)
	}
	other := s.guest(t, api)
	mo := s.match(t, api, other)
	players := []playtest.Player{
		playtest.Join(t, m.WSURL, m.PlayerID, m.PlayerSessionToken),
		playtest.Join(t, mo.WSURL, other.PlayerID, mo.PlayerSessionToken),
	}
	playtest.CheckOneWinner(t, players, playtest.Race(t, players...))

	sum, err := bot.Run(t.Context(), bot.Config{
		Allocator: alloc.URL, Races: 3, Concurrency: 2,
		HopDelay: 50 * time.Millisecond, HopJitter: 20 * time.Millisecond,
		RaceTimeout: 2 * time.Minute, HTTPClient: loopback, Dial: playtest.DialOptions, Seed: 11,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Log("through the edge:", sum)
	if !sum.OK() {
		t.Fatalf("%s\n%s", sum, sum.FailureReport())
	}
}

// TestHighDensityRacesThroughTheEdge runs many races at once through one
// edge on one high-density server, with the chart's connection caps (16 per
// client address): each player comes from an address of its own, as players
// do, and the race server counts the address the edge vouches for, not the
// edge's own. Every race finishes.
func TestHighDensityRacesThroughTheEdge(t *testing.T) {
	const races = 40
	s := needRig(t)
	// Two servers: the allocator install starts leases one, the allocator
	// handing out the edge's URL the other, where all the races go.
	rel, _ := s.install(t, "denseedge", s.state.Binary("race-server"), "edge.enabled=true", "edge.host=play.example.com",
		"autoscaler.enabled=false", "fleet.racesPerServer=64", "fleet.replicas=2")
	edge, err := rel.StartEdge(t.Context(), s.state.Binary("edge"), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { edge.Stop(25 * time.Second) })
	alloc, err := rel.StartAllocator(t.Context(), s.state.Binary("allocator"), "127.0.0.1:0", false, "edge-url="+edge.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { alloc.Stop(15 * time.Second) })

	// Linux routes all of 127/8 to loopback: each player connection leaves
	// from an address of its own.
	var dials atomic.Uint32
	dial := playtest.DialOptions
	dial.Dialer = &websocket.Dialer{
		HandshakeTimeout: 10 * time.Second,
		NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			n := dials.Add(1)
			from := net.IPv4(127, 0, byte(2+n/250), byte(1+n%250))
			return (&net.Dialer{LocalAddr: &net.TCPAddr{IP: from}}).DialContext(ctx, network, addr)
		},
	}
	start := time.Now()
	sum, err := bot.Run(t.Context(), bot.Config{
		Allocator: alloc.URL, Races: races, Concurrency: races,
		HopDelay: 50 * time.Millisecond, HopJitter: 20 * time.Millisecond,
		RaceTimeout: 2 * time.Minute, HTTPClient: loopback, Dial: dial, Seed: 22,
	})
	if err != nil {
		t.Fatal(err)
	}
	leased := scrape(t, alloc.URL, leaseAllocations)
	t.Logf("figure: %d races at once through one edge on %v leased high-density server(s), 16 connections per address: %s (%.1f s)",
		races, leased, sum, time.Since(start).Seconds())
	if leased != 1 {
		t.Errorf("the races went to %v servers, want one", leased)
	}
	if !sum.OK() {
		t.Fatalf("%s\n%s", sum, sum.FailureReport())
	}
}
