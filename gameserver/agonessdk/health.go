package agonessdk

import (
	"context"
	"log/slog"
	"time"
)

// DefaultHealthPeriod is the health ping period HealthLoop uses when given
// none: well inside Agones' default of one ping per 5 s, 3 misses allowed.
const DefaultHealthPeriod = 2 * time.Second

// HealthLoop sends a health ping at once and then every period until ctx is
// done. A failed ping is logged and the loop goes on: Agones, not the game
// server, decides when missing pings make it Unhealthy. Each ping is bounded
// by period, so a sidecar that hangs cannot stall the loop.
func HealthLoop(ctx context.Context, sdk SDK, period time.Duration, logger *slog.Logger) {
	if period <= 0 {
		period = DefaultHealthPeriod
	}
	if logger == nil {
		logger = slog.Default()
	}
	t := time.NewTicker(period)
	defer t.Stop()
	failing := false
	for {
		pctx, cancel := context.WithTimeout(ctx, period)
		err := sdk.Health(pctx)
		cancel()
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			logger.WarnContext(ctx, "agones health ping failed", "error", err)
			failing = true
		case failing:
			logger.InfoContext(ctx, "agones health ping succeeded again")
			failing = false
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
