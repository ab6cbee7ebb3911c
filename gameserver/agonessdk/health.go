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
	HealthLoopWhile(ctx, sdk, period, logger, nil)
}

// HealthLoopWhile is HealthLoop that asks sound (nil: always sound) before
// each ping and skips the ping when it reports false: a game server that
// knows it is broken lets Agones find out, mark it Unhealthy and replace it.
func HealthLoopWhile(ctx context.Context, sdk SDK, period time.Duration, logger *slog.Logger, sound func() bool) {
	if period <= 0 {
		period = DefaultHealthPeriod
	}
	if logger == nil {
		logger = slog.Default()
	}
	t := time.NewTicker(period)
	defer t.Stop()
	failing, silent := false, false
	for {
		switch {
		case sound != nil && !sound():
			if !silent {
				logger.WarnContext(ctx, "agones health pings stopped: the game server is not sound")
				silent = true
			}
		default:
			silent = false
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
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
