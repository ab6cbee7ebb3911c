package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/go-logr/logr"
	"k8s.io/klog/v2"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/leapfrog-games/leapfrog/internal/envflag"
	"github.com/leapfrog-games/leapfrog/internal/logging"
)

// Command is the process around Run that the allocator's two commands share:
// flags with environment overrides, the JSON log, signals, exit codes. The
// production command (allocator) runs on Agones; allocator-local adds the
// embedded fleet of game servers, which links the game servers, so that the
// production binary does not.
type Command struct {
	// Name is the command's name in usage and error lines.
	Name string
	// About says what the command serves, for -help.
	About string
	// Config holds the defaults of the shared flags.
	Config Config
	// Flags registers the command's own flags, some of them into cfg.
	Flags func(fs *flag.FlagSet, cfg *Config)
	// Deps checks the command's own flags once parsed, may adjust cfg, and
	// gives what Run needs besides it.
	Deps func(fs *flag.FlagSet, cfg *Config) (Deps, error)
	// ErrorAttrs adds attributes to the line that logs a failed run.
	ErrorAttrs func(err error) (msg string, attrs []any)
}

// Main runs the command with args (os.Args[1:]) and returns its exit code:
// 0 after a clean stop, 1 when the allocator failed, 2 for bad flags.
func (c Command) Main(args []string, stderr io.Writer) int {
	cfg := c.Config
	fs := flag.NewFlagSet(c.Name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg.RegisterFlags(fs)
	if c.Flags != nil {
		c.Flags(fs, &cfg)
	}
	fs.Usage = func() {
		out := fs.Output()
		fmt.Fprintf(out, "Usage: %s [flags]\n\n%s\nEvery flag can also be set from the environment (a flag on the command line wins).\n\nFlags:\n", c.Name, c.About)
		fs.PrintDefaults()
	}
	if err := envflag.Parse(fs, "LEAPFROG", args, nil); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "%s: %v\n", c.Name, err)
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%s: unexpected arguments %q\n", c.Name, fs.Args())
		return 2
	}
	deps, err := c.Deps(fs, &cfg)
	if err = errors.Join(cfg.Validate(), err); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", c.Name, err)
		return 2
	}

	if _, set := os.LookupEnv("GOGC"); !set && cfg.GCPercent > 0 {
		debug.SetGCPercent(cfg.GCPercent)
	}
	level, _ := logging.ParseLevel(cfg.LogLevel)
	logger := logging.NewJSON(stderr, level)
	// Kubernetes libraries log through klog and controller-runtime's logger:
	// send both to the same JSON log.
	klog.SetLogger(logr.FromSlogHandler(logger.Handler()))
	ctrllog.SetLogger(logr.FromSlogHandler(logger.Handler()))
	deps.Logger = logger

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := Run(ctx, cfg, deps); err != nil {
		msg, attrs := "allocator stopped", []any(nil)
		if c.ErrorAttrs != nil {
			if m, a := c.ErrorAttrs(err); m != "" {
				msg, attrs = m, a
			}
		}
		logger.Error(msg, append([]any{"err", err}, attrs...)...)
		return 1
	}
	logger.Info("allocator stopped cleanly")
	return 0
}
