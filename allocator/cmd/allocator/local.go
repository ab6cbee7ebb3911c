package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/leapfrog-games/leapfrog/allocator/app"
	"github.com/leapfrog-games/leapfrog/allocator/backend"
	"github.com/leapfrog-games/leapfrog/allocator/local"
	"github.com/leapfrog-games/leapfrog/gameserver/raceserver"
	"github.com/leapfrog-games/leapfrog/gameserver/token"
)

// localFlags configure the embedded fleet of --backend=local: its size and
// the race servers' game settings (the race server's flags of the same names).
type localFlags struct {
	RacesPerServer   int
	Buffer, Min, Max int
	Host             string
	UnhealthyAfter   time.Duration
	Game             raceserver.GameOptions
}

func defaultLocalFlags() localFlags {
	return localFlags{RacesPerServer: 512, Buffer: 2, Min: 2, Max: 8, Host: "127.0.0.1", UnhealthyAfter: 15 * time.Second, Game: raceserver.DefaultGameOptions()}
}

func (l *localFlags) register(fs *flag.FlagSet) {
	fs.IntVar(&l.RacesPerServer, "local-races-per-server", l.RacesPerServer, "local: races one race server hosts at once; 1 is one race per server, replaced after it")
	fs.IntVar(&l.Buffer, "local-buffer", l.Buffer, "local: free races kept warm (with one race per server: Ready race servers)")
	fs.IntVar(&l.Min, "local-min", l.Min, "local: fewest race servers")
	fs.IntVar(&l.Max, "local-max", l.Max, "local: most race servers")
	fs.StringVar(&l.Host, "local-host", l.Host, "local: address the race servers listen on and hand out")
	fs.DurationVar(&l.UnhealthyAfter, "local-unhealthy-after", l.UnhealthyAfter, "local: replace a race server silent on health this long while the allocator runs")
	l.Game.RegisterFlags(fs)
}

// validate checks the local settings when the local backend is chosen.
func (l localFlags) validate(backend string) error {
	if backend != app.BackendLocal {
		return nil
	}
	var errs []error
	if l.RacesPerServer < 1 || l.RacesPerServer > local.MaxRacesPerServer {
		errs = append(errs, fmt.Errorf("local-races-per-server %d: want 1 to %d", l.RacesPerServer, local.MaxRacesPerServer))
	} else if l.Max < 1 || l.Min < 0 || l.Buffer < 0 || l.Min > l.Max || l.Buffer > l.Max*l.RacesPerServer {
		errs = append(errs, fmt.Errorf("local-buffer %d, local-min %d, local-max %d, local-races-per-server %d: want 0 <= buffer <= max x races per server, 0 <= min <= max, max >= 1",
			l.Buffer, l.Min, l.Max, l.RacesPerServer))
	}
	if l.UnhealthyAfter <= 0 {
		errs = append(errs, fmt.Errorf("local-unhealthy-after %v must be positive", l.UnhealthyAfter))
	}
	if l.Host == "" {
		errs = append(errs, errors.New("local-host is required"))
	}
	if err := l.Game.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// fleet starts the embedded fleet of package allocator/local.
func (l localFlags) fleet(cfg app.Config) app.LocalFleet {
	return func(ctx context.Context, tokens *token.Issuer, reg prometheus.Registerer, logger *slog.Logger) (backend.Backend, func(), error) {
		f, err := local.NewFleet(ctx, local.Config{
			Host: l.Host, RacesPerServer: l.RacesPerServer, BufferSize: l.Buffer, MinReplicas: l.Min, MaxReplicas: l.Max,
			Game: l.Game, Tokens: tokens, UnhealthyAfter: l.UnhealthyAfter, SeatHold: token.AcceptedFor(cfg.SessionTTL),
			MaxConnsPerIP: cfg.MaxConnsPerIP, MaxConns: cfg.MaxConns,
		}, reg, logger)
		if err != nil {
			return nil, nil, err
		}
		return f, f.Close, nil
	}
}
