// Command allocator is Leapfrog's client service: guest identities, matches
// into game servers with player session tokens, and the browser client.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/go-logr/logr"
	"k8s.io/klog/v2"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/leapfrog-games/leapfrog/gameserver/raceserver"
	"github.com/leapfrog-games/leapfrog/internal/allocator/app"
	"github.com/leapfrog-games/leapfrog/internal/allocator/webui"
	"github.com/leapfrog-games/leapfrog/internal/envflag"
	"github.com/leapfrog-games/leapfrog/internal/logging"
)

func main() {
	os.Exit(run())
}

func run() int {
	cfg := app.DefaultConfig()
	local := defaultLocalFlags()
	fs := flag.NewFlagSet("allocator", flag.ContinueOnError)
	cfg.RegisterFlags(fs)
	local.register(fs)
	fs.Usage = func() {
		out := fs.Output()
		fmt.Fprintln(out, "Usage: allocator [flags]")
		fmt.Fprintln(out, "\nLeapfrog's client service: POST /v1/guest, POST /v1/match, the browser client at /,")
		fmt.Fprintln(out, "/metrics, /healthz and /readyz. Every flag can also be set from the environment")
		fmt.Fprintln(out, "(a flag on the command line wins).")
		fmt.Fprintln(out, "\nFlags:")
		fs.PrintDefaults()
	}
	if err := envflag.Parse(fs, "LEAPFROG", os.Args[1:], nil); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(os.Stderr, "allocator:", err)
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "allocator: unexpected arguments %q\n", fs.Args())
		return 2
	}
	local.parsed(fs)
	// --players is a game rule, registered with the local fleet's flags; the
	// lease mode seats that many players per match too.
	cfg.Players = local.players()
	if err := errors.Join(cfg.Validate(), local.validate(cfg.Backend)); err != nil {
		fmt.Fprintln(os.Stderr, "allocator:", err)
		return 2
	}

	if _, set := os.LookupEnv("GOGC"); !set && cfg.GCPercent > 0 {
		debug.SetGCPercent(cfg.GCPercent)
	}
	level, _ := logging.ParseLevel(cfg.LogLevel)
	logger := logging.NewJSON(os.Stderr, level)
	// Kubernetes libraries log through klog and controller-runtime's logger:
	// send both to the same JSON log.
	klog.SetLogger(logr.FromSlogHandler(logger.Handler()))
	ctrllog.SetLogger(logr.FromSlogHandler(logger.Handler()))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := app.Run(ctx, cfg, app.Deps{
		Logger:     logger,
		LocalFleet: local.fleet(cfg),
		Web:        webui.Handler(),
		Script:     local.scriptName(),
	})
	if err != nil {
		msg := "allocator stopped"
		attrs := raceserver.ScriptErrorAttrs(err) // where a script that did not load failed: file:line, stack
		if attrs != nil {
			msg = "allocator stopped: the script did not load"
		}
		logger.Error(msg, append([]any{"err", err}, attrs...)...)
		return 1
	}
	logger.Info("allocator stopped cleanly")
	return 0
}
