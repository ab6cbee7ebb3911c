// Command edge is Leapfrog's WebSocket edge: one public wss:// name for
// every match, relaying token-checked players to their game servers.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/go-logr/logr"
	"k8s.io/klog/v2"
	"sigs.k8s.io/controller-runtime/pkg/client/config"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/leapfrog-games/leapfrog/internal/edge/app"
	"github.com/leapfrog-games/leapfrog/internal/envflag"
	"github.com/leapfrog-games/leapfrog/internal/logging"
)

func main() {
	os.Exit(run())
}

func run() int {
	cfg := app.DefaultConfig()
	fs := flag.NewFlagSet("edge", flag.ContinueOnError)
	cfg.RegisterFlags(fs)
	config.RegisterFlags(fs) // --kubeconfig, for running outside a cluster
	fs.Usage = func() {
		out := fs.Output()
		fmt.Fprintln(out, "Usage: edge [flags]")
		fmt.Fprintln(out, "\nLeapfrog's WebSocket edge: players connect to /race/<game server>; the edge checks the")
		fmt.Fprintln(out, "player session token of the first frame, finds the game server among the Fleets'")
		fmt.Fprintln(out, "Allocated GameServers and relays. Every flag can also be set from the environment")
		fmt.Fprintln(out, "(a flag on the command line wins).")
		fmt.Fprintln(out, "\nFlags:")
		fs.PrintDefaults()
	}
	if err := envflag.Parse(fs, "LEAPFROG", os.Args[1:], nil); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(os.Stderr, "edge:", err)
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "edge: unexpected arguments %q\n", fs.Args())
		return 2
	}
	if err := cfg.Validate(); err != nil {
		fmt.Fprintln(os.Stderr, "edge:", err)
		return 2
	}
	level, _ := logging.ParseLevel(cfg.LogLevel)
	logger := logging.NewJSON(os.Stderr, level)
	klog.SetLogger(logr.FromSlogHandler(logger.Handler()))
	ctrllog.SetLogger(logr.FromSlogHandler(logger.Handler()))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := app.Run(ctx, cfg, app.Deps{Logger: logger}); err != nil {
		logger.Error("edge stopped", "err", err)
		return 1
	}
	logger.Info("edge stopped cleanly")
	return 0
}
