// Usage:
//
//	go run ./test/soak -slots 2000 -concurrency 8 -pauses 5
//
// builds the allocator, starts it in local mode on 127.0.0.1, plays the
// scenarios (races, living-room races, disconnects and reconnects, no-shows,
// hostile clients with bad frames, SIGSTOP/SIGCONT of the whole allocator, a
// no-show who asks again late and then comes, a token asked for mid-race and
// used after the end, an attacker holding idle sockets against the race
// servers; hop floods and lobby leavers with -faults all), waits for the
// fleet to come back, and prints one summary line. It exits 0 only if every
// player's visit ended with a result or a documented outcome, no seat was
// given twice, no ended race started again, no player was refused while the
// attacker held sockets, no place is stuck, the fleet is back to its buffer,
// goroutines and file descriptors are back to their baseline and every ERROR
// line of the allocator is explained.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/leapfrog-games/leapfrog/internal/buildtest"
	"github.com/leapfrog-games/leapfrog/internal/envflag"
)

func main() {
	os.Exit(mainCode())
}

func mainCode() int {
	cfg := config{slots: 200, concurrency: 4, racesPerServer: 512, pauses: 2, pauseFor: unhealthyAfter + time.Second, settle: 60 * time.Second, lobbyLimit: 20 * time.Second}
	var extra string
	faults := strings.Join(defaultFaults, ",")
	timeout := 30 * time.Minute
	fs := flag.NewFlagSet("soak", flag.ContinueOnError)
	fs.StringVar(&cfg.bin, "allocator-bin", "", "allocator binary; empty builds ./allocator/cmd/allocator-local")
	fs.IntVar(&cfg.slots, "slots", cfg.slots, "scenarios to play (most are one race of two players)")
	fs.IntVar(&cfg.concurrency, "concurrency", cfg.concurrency, "scenarios played at once")
	fs.IntVar(&cfg.racesPerServer, "races-per-server", cfg.racesPerServer, "the local fleet's races per race server (1: one race per server, replaced after it)")
	fs.Uint64Var(&cfg.seed, "seed", 1, "seed of the scenario mix")
	fs.StringVar(&faults, "faults", faults, "comma-separated faults, or all: "+strings.Join(allFaults, ","))
	fs.IntVar(&cfg.pauses, "pauses", cfg.pauses, "SIGSTOP/SIGCONT pauses of the allocator (with the pause fault)")
	fs.DurationVar(&cfg.pauseFor, "pause-for", cfg.pauseFor, "length of one pause (longer than the fleet's health window)")
	fs.DurationVar(&cfg.settle, "settle", cfg.settle, "time the fleet may take to come back after the last scenario")
	fs.DurationVar(&cfg.lobbyLimit, "lobby-limit", cfg.lobbyLimit, "how long a player waits alone in a lobby before leaving (nobody_came)")
	fs.BoolVar(&cfg.requireLobbyDeadline, "require-lobby-deadline", false, "fail on nobody_came: the race server ends lone lobbies before -lobby-limit")
	fs.StringVar(&extra, "allocator-args", "", "more allocator flags, space-separated (e.g. race server deadlines)")
	fs.DurationVar(&timeout, "timeout", timeout, "time limit of the whole run")
	if err := envflag.Parse(fs, "LEAPFROG_SOAK", os.Args[1:], nil); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(os.Stderr, "soak:", err)
		return 2
	}
	var err error
	if cfg.faults, err = parseFaults(faults); err != nil || cfg.slots < 1 || cfg.concurrency < 1 || cfg.racesPerServer < 1 || cfg.pauses < 0 ||
		cfg.pauseFor < 0 || cfg.settle <= 0 || cfg.lobbyLimit <= 0 || timeout <= 0 || fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "soak: bad flags (%v): slots, concurrency and races-per-server must be at least 1, durations positive\n", err)
		return 2
	}
	cfg.extraArgs = strings.Fields(extra)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if cfg.bin == "" {
		dir, err := os.MkdirTemp("", "leapfrog-soak-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "soak:", err)
			return 2
		}
		defer os.RemoveAll(dir)
		if cfg.bin, err = buildAllocator(dir); err != nil {
			fmt.Fprintln(os.Stderr, "soak:", err)
			return 2
		}
	}
	rep, err := run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		return 1
	}
	if d := rep.details(); d != "" {
		fmt.Fprint(os.Stderr, "problems:\n", d)
	}
	fmt.Println(rep)
	if !rep.ok() {
		return 1
	}
	return 0
}

func parseFaults(s string) ([]string, error) {
	if s == "all" {
		return allFaults, nil
	}
	var out []string
	for f := range strings.SplitSeq(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		if !slices.Contains(allFaults, f) {
			return nil, fmt.Errorf("unknown fault %q", f)
		}
		out = append(out, f)
	}
	return out, nil
}

// buildAllocator builds the allocator of this module into dir.
func buildAllocator(dir string) (string, error) {
	root, err := buildtest.ModuleRoot()
	if err != nil {
		return "", err
	}
	if err := buildtest.Commands(root, dir, "./allocator/cmd/allocator-local"); err != nil {
		return "", err
	}
	return filepath.Join(dir, "allocator-local"), nil
}
