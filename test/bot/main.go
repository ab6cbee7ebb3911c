// Command bot plays Mega Frog Race against an allocator with pairs of bots
// (or, with -game party, Fly Snatch with -players bots a match) and ends
// with one summary line; it exits 0 only if every race finished.
//
//	go run ./test/bot -allocator http://127.0.0.1:8080 -races 10 -concurrency 4
//	go run ./test/bot -game party -races 2
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/leapfrog-games/leapfrog/client/bot"
	"github.com/leapfrog-games/leapfrog/internal/envflag"
)

func main() {
	os.Exit(run())
}

func run() int {
	cfg := bot.Config{
		Allocator: "http://127.0.0.1:8080", Races: 1, Concurrency: 1,
		HopDelay: bot.DefaultHopDelay, HopJitter: bot.DefaultHopJitter, EarlyPress: bot.DefaultEarlyPress,
		RaceTimeout: bot.DefaultRaceTimeout, HopTimeout: bot.DefaultHopTimeout,
	}
	timeout := 10 * time.Minute
	logLevel := "warn"
	var seed uint64
	fs := flag.NewFlagSet("bot", flag.ContinueOnError)
	fs.StringVar(&cfg.Allocator, "allocator", cfg.Allocator, "allocator base URL")
	fs.StringVar(&cfg.Game, "game", bot.GameRace, "game the servers play: race (two bots a race) or party (Fly Snatch, -players bots a match)")
	fs.IntVar(&cfg.Players, "players", 0, "bots per match: the game's seats (0: 2 for race, 4 for party)")
	fs.IntVar(&cfg.Races, "races", cfg.Races, "races (or party matches) to play")
	fs.IntVar(&cfg.Concurrency, "concurrency", cfg.Concurrency, "races played at once")
	fs.DurationVar(&cfg.HopDelay, "hop-delay", cfg.HopDelay, "a bot's reaction time after the start and after each landing (party: after each fly)")
	fs.DurationVar(&cfg.HopJitter, "hop-jitter", cfg.HopJitter, "each reaction time is drawn within ± this of -hop-delay")
	fs.Float64Var(&cfg.EarlyPress, "early-press", cfg.EarlyPress, "chance per hop of pressing again during it (party: per round, of snapping before the fly); a penalty")
	fs.DurationVar(&cfg.HopTimeout, "hop-timeout", cfg.HopTimeout, "press again when a hop has not shown after this long")
	fs.DurationVar(&cfg.RaceTimeout, "race-timeout", cfg.RaceTimeout, "time limit of one race, from the first request to the result")
	fs.DurationVar(&timeout, "timeout", timeout, "time limit of the whole run; unfinished races fail")
	fs.Uint64Var(&seed, "seed", 0, "seed of the bots' choices; 0 for a random one")
	fs.StringVar(&logLevel, "log-level", logLevel, "log level: debug, info, warn, error")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: bot [flags]\n\nPlays races against an allocator and prints one summary line:")
		fmt.Fprintln(fs.Output(), "  races: N finished, M failed; match p50=.. p90=.. p99=..; hop p50=.. p90=.. p99=..")
		fmt.Fprintln(fs.Output(), "Exits 0 only if every race finished.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := envflag.Parse(fs, "LEAPFROG", os.Args[1:], nil); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(os.Stderr, "bot:", err)
		return 2
	}
	if fs.NArg() > 0 || timeout <= 0 {
		fmt.Fprintf(os.Stderr, "bot: unexpected arguments %q or non-positive -timeout %v\n", fs.Args(), timeout)
		return 2
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(logLevel)); err != nil {
		fmt.Fprintln(os.Stderr, "bot: -log-level:", err)
		return 2
	}
	cfg.Seed = seed
	cfg.Logger = slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	sum, err := bot.Run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	if report := sum.FailureReport(); report != "" {
		fmt.Fprint(os.Stderr, "failures:\n", report)
	}
	for _, res := range sum.Results {
		fmt.Println("match:", res)
	}
	fmt.Println(sum)
	if !sum.OK() {
		return 1
	}
	return 0
}
