package bot

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/leapfrog-games/leapfrog/client"
)

// Defaults of Config.
const (
	DefaultHopDelay    = 250 * time.Millisecond
	DefaultHopJitter   = 150 * time.Millisecond
	DefaultEarlyPress  = 0.15
	DefaultRaceTimeout = 3 * time.Minute
	DefaultHopTimeout  = time.Second
	// maxRetryWait caps one wait on Retry-After, so that a bot stays
	// responsive to its deadline.
	maxRetryWait = 10 * time.Second
)

// Games the bots can play.
const (
	GameRace  = "race"  // Mega Frog Race: two bots a race
	GameParty = "party" // Fly Snatch: Players bots a match
)

// Config configures a run.
type Config struct {
	// Allocator is the allocator's base URL, e.g. http://127.0.0.1:8080.
	Allocator string
	// Game is what the allocator's servers play: GameRace ("" too) or
	// GameParty. Players is the bots of one match, the game's seats: 0
	// means 2 for the race, 4 for the party game.
	Game    string
	Players int
	// Races is how many races to play; Concurrency how many at once.
	Races, Concurrency int
	// HopDelay is a bot's reaction time after the start and after each
	// landing; each delay is drawn uniformly within ±HopJitter of it.
	HopDelay, HopJitter time.Duration
	// EarlyPress is the chance, per hop, that a bot presses again while its
	// frog is still in the air (and is penalised for it).
	EarlyPress float64
	// RaceTimeout bounds one race, from the first request to the result.
	RaceTimeout time.Duration
	// HopTimeout is how long a bot waits for its hop to show before pressing
	// again (presses before the start are ignored by the server).
	HopTimeout time.Duration
	// HTTPClient talks to the allocator; nil means a default client.
	HTTPClient *http.Client
	// Dial tunes the race server connections.
	Dial client.DialOptions
	// Seed makes the bots' choices repeatable; 0 means random.
	Seed   uint64
	Logger *slog.Logger
}

func (c *Config) defaults() error {
	if c.Races < 1 || c.Concurrency < 1 {
		return fmt.Errorf("bot: races %d and concurrency %d must be at least 1", c.Races, c.Concurrency)
	}
	if c.HopDelay < 0 || c.HopJitter < 0 || c.RaceTimeout < 0 || c.HopTimeout < 0 {
		return errors.New("bot: durations must not be negative")
	}
	if c.EarlyPress < 0 || c.EarlyPress > 1 {
		return fmt.Errorf("bot: early press chance %v must be between 0 and 1", c.EarlyPress)
	}
	switch c.Game {
	case "", GameRace:
		c.Game = GameRace
		c.Players = cmp.Or(c.Players, 2)
	case GameParty:
		c.Players = cmp.Or(c.Players, 4)
	default:
		return fmt.Errorf("bot: game %q: want %s or %s", c.Game, GameRace, GameParty)
	}
	if c.Players < 1 {
		return fmt.Errorf("bot: players %d must be at least 1", c.Players)
	}
	if c.RaceTimeout == 0 {
		c.RaceTimeout = DefaultRaceTimeout
	}
	if c.HopTimeout == 0 {
		c.HopTimeout = DefaultHopTimeout
	}
	if c.Seed == 0 {
		c.Seed = rand.Uint64()
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

// Run plays cfg.Races races (or party matches), cfg.Concurrency at a time,
// each with cfg.Players bots, and stops early when ctx ends (races not finished by then fail). The
// error is only for a bad configuration; failed races are in the Summary.
func Run(ctx context.Context, cfg Config) (Summary, error) {
	if err := cfg.defaults(); err != nil {
		return Summary{}, err
	}
	alloc, err := client.New(cfg.Allocator, cfg.HTTPClient)
	if err != nil {
		return Summary{}, fmt.Errorf("bot: %w", err)
	}
	r := &runner{cfg: cfg, alloc: alloc, sum: Summary{Races: cfg.Races, Failures: map[string]int{}}}
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range min(cfg.Concurrency, cfg.Races) {
		wg.Go(func() {
			for race := range jobs {
				r.race(ctx, race)
			}
		})
	}
	for race := range cfg.Races {
		jobs <- race
	}
	close(jobs)
	wg.Wait()
	return r.sum, nil
}

type runner struct {
	cfg   Config
	alloc *client.Client

	mu  sync.Mutex
	sum Summary
}

// race plays one race (or match) with cfg.Players bots; it fails if any bot does.
func (r *runner) race(ctx context.Context, race int) {
	if ctx.Err() != nil {
		r.record(false, []result{{err: fmt.Errorf("not started: %w", ctx.Err())}})
		return
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	ctx, stop := context.WithTimeoutCause(ctx, r.cfg.RaceTimeout, errRaceTimeout)
	defer stop()
	results := make([]result, r.cfg.Players)
	firstMatched := make(chan struct{})
	var wg sync.WaitGroup
	for i := range results {
		wg.Go(func() {
			b := &bot{
				cfg:   r.cfg,
				alloc: r.alloc,
				rng:   rand.New(rand.NewPCG(r.cfg.Seed, uint64(race*len(results)+i))),
				log:   r.cfg.Logger.With("race", race, "bot", i),
			}
			if i == 0 {
				b.matched = firstMatched
			} else {
				b.after = firstMatched
			}
			results[i] = b.play(ctx)
			if results[i].err != nil {
				// The others cannot finish a match without it: stop them now.
				cancel(errPartnerFailed)
			}
		})
	}
	wg.Wait()
	ok := !slices.ContainsFunc(results, func(res result) bool { return res.err != nil })
	r.record(ok, results)
}

func (r *runner) record(ok bool, results []result) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if ok {
		r.sum.Finished++
	} else {
		r.sum.Failed++
	}
	for _, res := range results {
		// Bots asking at once may be seated across each other's matches:
		// a match is known by its result, which names its players.
		if res.result != "" && !slices.Contains(r.sum.Results, res.result) {
			r.sum.Results = append(r.sum.Results, res.result)
		}
		if res.match > 0 {
			r.sum.Match = append(r.sum.Match, res.match)
		}
		r.sum.Hop = append(r.sum.Hop, res.hops...)
		r.sum.EarlyPresses += res.early
		r.sum.Retries += res.retries
		if res.err != nil && !errors.Is(res.err, errPartnerFailed) {
			r.sum.Failures[res.err.Error()]++
		}
	}
}
