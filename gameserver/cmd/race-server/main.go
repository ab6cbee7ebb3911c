// Command race-server is one Mega Frog Race game server, run as an Agones
// GameServer next to the SDK sidecar.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/leapfrog-games/leapfrog/internal/envflag"
	"github.com/leapfrog-games/leapfrog/internal/gameserver/raceserver"
	"github.com/leapfrog-games/leapfrog/internal/logging"
)

func main() {
	opts := raceserver.DefaultOptions()
	fs := flag.NewFlagSet("race-server", flag.ContinueOnError)
	opts.RegisterFlags(fs)
	if err := envflag.Parse(fs, "LEAPFROG", os.Args[1:], nil); err != nil {
		if err == flag.ErrHelp {
			os.Exit(0)
		}
		os.Exit(2)
	}
	if err := opts.Validate(); err != nil {
		fmt.Fprintln(os.Stderr, "race-server:", err)
		os.Exit(2)
	}
	level, _ := logging.ParseLevel(opts.LogLevel)
	logger := logging.NewJSON(os.Stderr, level)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := raceserver.Run(ctx, opts, logger); err != nil {
		// A script that did not load says where (file:line) and its stack.
		logger.Error("race server stopped", append([]any{"err", err}, raceserver.ScriptErrorAttrs(err)...)...)
		os.Exit(1)
	}
	logger.Info("race server stopped cleanly")
}
