package racetest

import (
	"log/slog"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/leapfrog-games/leapfrog/contract/token"
	"github.com/leapfrog-games/leapfrog/gameserver/party"
	"github.com/leapfrog-games/leapfrog/internal/allocator/local"
	"github.com/leapfrog-games/leapfrog/internal/gameserver/raceserver"
)

// FastGame is a race that takes well under a second: short hops and
// countdown, a fast tick.
func FastGame() raceserver.GameOptions {
	g := raceserver.DefaultGameOptions()
	g.Rules.HopDuration = 40 * time.Millisecond
	g.Rules.HopPenalty = 5 * time.Millisecond
	g.Rules.Countdown = 30 * time.Millisecond
	g.Rules.ReconnectGrace = time.Second
	g.WaitForPlayers = 10 * time.Second
	g.NoShowTimeout = 10 * time.Second
	g.TickRate = 100
	return g
}

// FastParty is FastGame running Fly Snatch of players frogs and three
// rounds that take well under a second.
func FastParty(players int) raceserver.GameOptions {
	g := FastGame()
	r := party.DefaultRules()
	r.Players, r.Rounds = players, 3
	r.MinWait, r.MaxWait, r.FlyTime, r.Pause, r.Countdown = 20*time.Millisecond, 50*time.Millisecond, time.Second, 20*time.Millisecond, 30*time.Millisecond
	g.Party = &r
	return g
}

// NewFleet starts a local fleet on 127.0.0.1 whose race servers verify
// tokens with tokens, and stops it when the test ends. edit may change the
// configuration first.
func NewFleet(t testing.TB, tokens *token.Issuer, edit func(*local.Config)) *local.Fleet {
	t.Helper()
	cfg := local.Config{
		Host: "127.0.0.1", BufferSize: 2, MinReplicas: 0, MaxReplicas: 8,
		Game: FastGame(), Tokens: tokens, SyncInterval: 20 * time.Millisecond,
	}
	if edit != nil {
		edit(&cfg)
	}
	f, err := local.NewFleet(t.Context(), cfg, prometheus.NewRegistry(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	return f
}

// NewIssuer is a token issuer with a fresh random key.
func NewIssuer(t testing.TB) *token.Issuer {
	t.Helper()
	keys, err := token.GenerateKeyset("test")
	if err != nil {
		t.Fatal(err)
	}
	return token.NewIssuer(keys, nil)
}
