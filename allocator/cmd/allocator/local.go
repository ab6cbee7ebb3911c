package main

import (
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/leapfrog-games/leapfrog/allocator/app"
	"github.com/leapfrog-games/leapfrog/gameserver/race"
)

// localFlags configure the embedded fleet of --backend=local: its size and
// the race servers' game settings (the race server's flags of the same names).
type localFlags struct {
	Buffer, Min, Max int
	Host             string
	Rules            race.Rules
	WaitForPlayers   time.Duration
	NoShowTimeout    time.Duration
	TickRate         int
	MaxPayload       int
}

func defaultLocalFlags() localFlags {
	return localFlags{
		Buffer: 2, Min: 2, Max: 8, Host: "127.0.0.1",
		Rules:          race.DefaultRules(),
		WaitForPlayers: 60 * time.Second, NoShowTimeout: 60 * time.Second,
		TickRate: 10, MaxPayload: 4096,
	}
}

func (l *localFlags) register(fs *flag.FlagSet) {
	fs.IntVar(&l.Buffer, "local-buffer", l.Buffer, "local: Ready race servers kept warm")
	fs.IntVar(&l.Min, "local-min", l.Min, "local: fewest race servers")
	fs.IntVar(&l.Max, "local-max", l.Max, "local: most race servers")
	fs.StringVar(&l.Host, "local-host", l.Host, "local: address the race servers listen on and hand out")
	r := &l.Rules
	fs.Float64Var(&r.HopDistance, "hop-distance", r.HopDistance, "local: fraction of the track one hop covers")
	fs.DurationVar(&r.HopDuration, "hop-duration", r.HopDuration, "local: time one hop takes")
	fs.DurationVar(&r.HopPenalty, "hop-penalty", r.HopPenalty, "local: time added to a hop by each press during it")
	fs.Float64Var(&r.FinishLine, "finish-line", r.FinishLine, "local: track position that wins")
	fs.IntVar(&r.Players, "players", r.Players, "local: players per race")
	fs.DurationVar(&r.Countdown, "countdown", r.Countdown, "local: countdown before the start")
	fs.DurationVar(&r.ReconnectGrace, "reconnect-grace", r.ReconnectGrace, "local: time a dropped player has to come back before forfeiting")
	fs.DurationVar(&l.WaitForPlayers, "wait-for-players", l.WaitForPlayers, "local: end a session that has had no connected player for this long")
	fs.DurationVar(&l.NoShowTimeout, "no-show-timeout", l.NoShowTimeout, "local: free a reserved place whose player has not connected within this time")
	fs.IntVar(&l.TickRate, "tick-rate", l.TickRate, "local: game loop ticks per second")
	fs.IntVar(&l.MaxPayload, "max-payload", l.MaxPayload, "local: largest game message payload in bytes")
}

// validate checks the local settings when the local backend is chosen.
func (l localFlags) validate(backend string) error {
	if backend != app.BackendLocal {
		return nil
	}
	var errs []error
	if l.Max < 1 || l.Min < 0 || l.Buffer < 0 || l.Min > l.Max || l.Buffer > l.Max {
		errs = append(errs, fmt.Errorf("local-buffer %d, local-min %d, local-max %d: want 0 <= buffer <= max, 0 <= min <= max, max >= 1", l.Buffer, l.Min, l.Max))
	}
	if l.Host == "" {
		errs = append(errs, errors.New("local-host is required"))
	}
	if l.WaitForPlayers <= 0 || l.NoShowTimeout <= 0 || l.TickRate < 1 || l.MaxPayload < 1 {
		errs = append(errs, errors.New("wait-for-players, no-show-timeout, tick-rate and max-payload must be positive"))
	}
	if err := l.Rules.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// fleet returns the embedded fleet's constructor, nil while this build has
// none (then --backend=local fails with app.ErrNoLocalFleet).
//
// Package allocator/local provides it as
//
//	local.NewFleet(ctx, local.Config{...}, reg, logger) (*local.Fleet, error)
//
// and wiring it in is this function's body:
//
//	return func(ctx context.Context, tokens *token.Issuer, reg prometheus.Registerer, logger *slog.Logger) (backend.Backend, func(), error) {
//		f, err := local.NewFleet(ctx, local.Config{
//			Host: l.Host, BufferSize: l.Buffer, MinReplicas: l.Min, MaxReplicas: l.Max, Tokens: tokens,
//			Game: raceserver.GameOptions{Rules: l.Rules, WaitForPlayers: l.WaitForPlayers,
//				NoShowTimeout: l.NoShowTimeout, TickRate: l.TickRate, MaxPayload: l.MaxPayload},
//		}, reg, logger)
//		if err != nil {
//			return nil, nil, err
//		}
//		return f, f.Close, nil
//	}
func (l localFlags) fleet() app.LocalFleet {
	return nil
}
