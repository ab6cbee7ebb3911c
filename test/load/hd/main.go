// Command hd loads one high-density race server, and a bare gorilla
// WebSocket relay driven the same way, over loopback, and prints what it
// measured: hop to opponent, races held, errors, the server's memory per race
// and its hop throughput at saturation against the relay's.
//
//	go run ./test/load/hd race -races 2000 -duration 30s -saturate 15s
//	go run ./test/load/hd relay -races 2000 -duration 30s
//
// Subcommands:
//
//   - race: start a race server (--races-per-server) beside a fake Agones
//     SDK sidecar process, and measure it (see hdload.Suite for the runs).
//   - relay: start the relay alone and play the same races against it.
//   - serve-relay: the relay process itself (the two above start it).
//   - serve-sidecar: the race server's Agones SDK sidecar, an in-memory
//     GameServer that also leases the server as an allocator would (race
//     starts it).
//
// See test/load/README.md for what the numbers mean.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"github.com/leapfrog-games/leapfrog/test/load/hdload"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usage = `Usage: hd race|relay|serve-relay|serve-sidecar [flags]

  race           load a high-density race server and the relay; print the figures
  relay          load the relay alone
  serve-relay    serve the relay (started by the two above)
  serve-sidecar  serve the race server's Agones SDK sidecar and lease it (started by race)

Run "hd <subcommand> -h" for its flags.`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "race", "relay":
		err = load(ctx, args[0], args[1:], stdout, stderr)
	case "serve-relay":
		err = serveRelay(ctx, args[1:], stdout, stderr)
	case "serve-sidecar":
		err = serveSidecar(ctx, args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprintln(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "hd: unknown subcommand %q\n\n%s\n", args[0], usage)
		return 2
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintln(stderr, "hd:", err)
		return 2
	default:
		fmt.Fprintln(stderr, "hd:", err)
		return 1
	}
}

var errUsage = errors.New("usage")

func load(ctx context.Context, which string, args []string, stdout, stderr io.Writer) error {
	s := hdload.DefaultSuite()
	fs := flag.NewFlagSet("hd "+which, flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := &s.Steady
	fs.IntVar(&c.Races, "races", c.Races, "races played at once (two sockets each)")
	fs.DurationVar(&s.Ramp, "ramp", 0, "races join at random times within this; 0 = 5 ms per race, at least 2 s, and at least a race's length (hops x pace + countdown)")
	fs.DurationVar(&c.Duration, "duration", c.Duration, "measured window of each run")
	fs.DurationVar(&c.Settle, "settle", c.Settle, "wait after the ramp and the countdown before measuring")
	fs.DurationVar(&c.HopEvery, "hop-every", c.HopEvery, "steady pace: each player hops this often")
	fs.IntVar(&c.HopsPerRace, "hops-per-race", c.HopsPerRace, "a race ends when a frog has hopped this many times, and a new one starts in its place; 0 = races last the run")
	fs.DurationVar(&c.RestartWithin, "restart-within", c.RestartWithin, "a new race starts at a random time within this after the last one ended")
	fs.DurationVar(&c.Countdown, "countdown", c.Countdown, "countdown from both players ready to the start (the race server's --countdown)")
	fs.Float64Var(&c.MaxHopRate, "max-hop-rate", c.MaxHopRate, "saturation: most hops per second per player (the server's input budget is 20)")
	fs.IntVar(&c.DialConcurrency, "dial-concurrency", c.DialConcurrency, "races whose two players are connecting at once (the server takes 16 handshakes at a time)")
	fs.IntVar(&c.SocketsPerIP, "sockets-per-ip", c.SocketsPerIP, "sockets per loopback source address (127.1.x.y)")
	fs.DurationVar(&c.Timeout, "timeout", c.Timeout, "bound of every wait: join, start, hop delivery at saturation, end of a race")
	fs.Uint64Var(&c.Seed, "seed", 0, "seed of start times and phases; 0 = random")
	fs.DurationVar(&s.Saturate, "saturate", s.Saturate, "measured window of the saturation runs (relay, then race server); 0 = none")
	fs.IntVar(&s.SaturateRaces, "saturate-races", 0, "races in the saturation runs; 0 = -races")
	fs.BoolVar(&s.Idle, "idle", s.Idle, "race: measure the relay with idle joined sockets, the socket cost subtracted from the race server's memory")
	fs.StringVar(&s.Server.Binary, "race-server", "", "race: race server binary; empty = go build ./gameserver/cmd/race-server into a temporary directory")
	fs.IntVar(&s.Server.RacesPerServer, "races-per-server", 0, "race: the server's --races-per-server; 0 = races + 1/8 for the restarts")
	fs.IntVar(&s.Server.TickRate, "tick-rate", s.Server.TickRate, "race: the server's --tick-rate")
	fs.BoolVar(&s.Server.Verbose, "server-logs", false, "race: let the server log at info (default warn)")
	cpuProfile := fs.String("cpuprofile", "", "write this tool's CPU profile (the players' side) to this file")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: hd %s [flags]\n\n", which)
		if which == "race" {
			fmt.Fprintln(stderr, "Runs, each on fresh server processes: the relay with idle joined sockets (-idle), the race server")
			fmt.Fprintln(stderr, "at a steady pace, then (with -saturate) the relay and the race server at saturation; prints one")
			fmt.Fprintln(stderr, "line per run and the figures. Exits 1 if any player failed.")
		} else {
			fmt.Fprintln(stderr, "Plays the races against the relay at a steady pace (and at saturation with -saturate).")
		}
		fmt.Fprintln(stderr, "\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	s.RelayOnly = which == "relay"
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find this tool's executable (to start the relay): %w", err)
	}
	s.Self = self
	s.Log = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if err := s.Validate(); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	rep, err := hdload.RunSuite(ctx, s, stdout)
	if err != nil {
		return err
	}
	if n := rep.Errors(); n > 0 {
		return fmt.Errorf("%d player failures (see errors= above)", n)
	}
	return nil
}

func serveRelay(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("hd serve-relay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:0", "listen address (loopback)")
	fanOut := fs.Duration("fan-out", 0, "write each hop to both players and its landing to both at the next tick, this far apart (0: to the opponent only)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	if _, err := hdload.RaiseFileLimit(1 << 20); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, "relay listening on", ln.Addr())
	go func() {
		<-ctx.Done()
		ln.Close()
	}()
	if *fanOut < 0 {
		return fmt.Errorf("%w: -fan-out %v: want 0 or more", errUsage, *fanOut)
	}
	return hdload.ServeRelay(ln, *fanOut, slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
}

func serveSidecar(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("hd serve-sidecar", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:0", "listen address of the SDK REST API (loopback)")
	var opts hdload.SidecarOptions
	fs.StringVar(&opts.Name, "name", "hd-load-0", "the GameServer's name")
	fs.IntVar(&opts.Port, "port", 0, "the race server's player port")
	fs.IntVar(&opts.Races, "races", 0, "capacity of the races list (the server's --races-per-server)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	return hdload.ServeSidecar(ctx, ln, opts, stdout, slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
}
