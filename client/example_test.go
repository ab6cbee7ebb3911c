package client_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/leapfrog-games/leapfrog/client"
	"github.com/leapfrog-games/leapfrog/contract/token"
	"github.com/leapfrog-games/leapfrog/internal/allocator/api"
	"github.com/leapfrog-games/leapfrog/internal/allocator/local"
	"github.com/leapfrog-games/leapfrog/internal/gameserver/raceserver"
)

// A player asks the allocator for a guest identity and a match, then
// connects to the race server it names. The allocator here is a real one
// on a loopback port, placing players on race servers run in this process,
// as `make run` does; a game client is given the allocator's URL instead.
func Example() {
	allocatorURL, stop := startAllocator()
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	c, err := client.New(allocatorURL, nil)
	if err != nil {
		panic(err)
	}
	guest, err := c.Guest(ctx)
	if err != nil {
		panic(err)
	}
	match, err := c.Match(ctx, guest.GuestToken, 0)
	if err != nil {
		panic(err)
	}
	conn, err := client.Dial(ctx, match.WSURL, match.PlayerSessionToken, client.DialOptions{})
	if err != nil {
		panic(err)
	}
	defer conn.Close()
	for ev := range conn.Events() {
		switch ev := ev.(type) {
		case client.Welcome:
			fmt.Println("welcomed as the guest:", ev.GetPlayerId() == guest.PlayerID)
		case client.AssignPlayer:
			fmt.Println("racing in lane", ev.GetLane())
			return
		case client.Closed:
			fmt.Println("closed", ev.Code, ev.Text)
			return
		}
	}
	// Output:
	// welcomed as the guest: true
	// racing in lane 0
}

// startAllocator serves the allocator's API on 127.0.0.1 in front of a
// local fleet of race servers, and returns its URL and how to stop both.
func startAllocator() (url string, stop func()) {
	keys, err := token.GenerateKeyset("example")
	if err != nil {
		panic(err)
	}
	tokens := token.NewIssuer(keys, nil)
	reg := prometheus.NewRegistry()
	quiet := slog.New(slog.DiscardHandler)
	fleet, err := local.NewFleet(context.Background(), local.Config{
		BufferSize: 1, MaxReplicas: 2, Game: raceserver.DefaultGameOptions(), Tokens: tokens,
	}, reg, quiet)
	if err != nil {
		panic(err)
	}
	svc, err := api.New(api.Config{
		Backend: fleet, Issuer: tokens, GuestTTL: time.Hour, SessionTTL: time.Minute,
		GuestRate: 10, GuestBurst: 10, MatchRate: 10, MatchBurst: 10, Registry: reg, Logger: quiet,
	})
	if err != nil {
		panic(err)
	}
	web := httptest.NewServer(svc)
	return web.URL, func() { web.Close(); fleet.Close() }
}
