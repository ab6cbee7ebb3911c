package local

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/leapfrog-games/leapfrog/contract/agoneswire"
	"github.com/leapfrog-games/leapfrog/contract/token"
	"github.com/leapfrog-games/leapfrog/gameserver/agonessdk"
	"github.com/leapfrog-games/leapfrog/gameserver/host"
	"github.com/leapfrog-games/leapfrog/gameserver/race"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime"
	"github.com/leapfrog-games/leapfrog/internal/allocator/backend"
	"github.com/leapfrog-games/leapfrog/internal/allocator/connlimit"
	"github.com/leapfrog-games/leapfrog/internal/allocator/placement"
	"github.com/leapfrog-games/leapfrog/internal/gameserver/raceserver"
	"github.com/leapfrog-games/leapfrog/internal/panicguard"
	"github.com/leapfrog-games/leapfrog/internal/tracing"
)

// Config configures a local fleet.
type Config struct {
	// Name prefixes the game server names, like an Agones Fleet's name.
	Name string
	// Host is the address game servers listen on and hand out.
	Host string
	// MatchesPerServer is the most matches one game server hosts at once (N).
	// 0 or 1: one match per server, placed through its players list, the
	// server replaced after its match, as on Agones with one match per
	// GameServer. N > 1: high-density servers, each one listener for N
	// matches, placed on in memory (see docs/high-density.md).
	MatchesPerServer int
	// BufferSize is how many free matches to keep warm: with one match per
	// server, Ready servers (Agones' Buffer policy); with N, matches the
	// servers can still start (Agones' List policy on the matches list).
	BufferSize int
	// MinReplicas and MaxReplicas bound the fleet's size in servers.
	MinReplicas, MaxReplicas int
	// Game is the match rules and session settings.
	Game raceserver.GameOptions
	// Seats is the players of one match, the places the fleet fills before
	// it opens another match: with a script, 1 to its configuration.maxPlayers
	// (raceserver.Seats). 0 means the game's own: the rules' players for the
	// Go match, the script's maxPlayers.
	Seats int
	// Tokens verifies player session tokens: the same keys the allocator signs with.
	Tokens *token.Issuer
	// SyncInterval is how often the fleet checks its size and health; 0 means 1 s.
	SyncInterval time.Duration
	// UnhealthyAfter replaces a server that has not pinged health for this
	// long; 0 means 15 s (Agones: period 5 s, failure threshold 3).
	UnhealthyAfter time.Duration
	// SeatHold gives a match's seat to another player once its own player's
	// token can no longer bring it (the token's lifetime plus the clock
	// leeway) while the match, past the no-show window, waits without it
	// (placement.Config.SeatHold); 0 never does. High density only.
	SeatHold time.Duration
	// ShowGrace gives a match's seat to the next player once its player has
	// not come for this long while another player waits in the match
	// (placement.Config.ShowGrace); 0 leaves it to SeatHold. High density only.
	ShowGrace time.Duration
	// HealthPeriod is each server's health ping period; 0 means 2 s.
	HealthPeriod time.Duration
	// MaxConnsPerIP and MaxConns cap the open connections to all of the
	// fleet's game servers together, from one client address and in all;
	// 0 means DefaultMaxConnsPerIP and DefaultMaxConns.
	MaxConnsPerIP, MaxConns int
	// Now is the clock that judges health (default time.Now).
	Now func() time.Time

	// run runs one game server until it stops; nil means its host's Run.
	// Tests make a server panic with it.
	run func(ctx context.Context, h *host.Host, ln net.Listener) error
}

// MaxMatchesPerServer bounds Config.MatchesPerServer, as for a game server.
// In-memory lists have no bound; Agones' hold at most 1000 values.
const MaxMatchesPerServer = host.MaxMatchesPerServer

// Defaults of the connection caps of the fleet's game servers.
const (
	DefaultMaxConnsPerIP = 256
	DefaultMaxConns      = 4096
)

func (c *Config) validate() error {
	if c.Name == "" {
		c.Name = "leapfrog-race"
	}
	if c.Host == "" {
		c.Host = "127.0.0.1"
	}
	if c.SyncInterval == 0 {
		c.SyncInterval = time.Second
	}
	if c.UnhealthyAfter == 0 {
		c.UnhealthyAfter = 15 * time.Second
	}
	if c.MaxConnsPerIP == 0 {
		c.MaxConnsPerIP = DefaultMaxConnsPerIP
	}
	if c.MaxConns == 0 {
		c.MaxConns = DefaultMaxConns
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.run == nil {
		c.run = func(ctx context.Context, h *host.Host, ln net.Listener) error { return h.Run(ctx, ln) }
	}
	if c.MatchesPerServer == 0 {
		c.MatchesPerServer = 1
	}
	var errs []error
	if c.MatchesPerServer < 1 || c.MatchesPerServer > MaxMatchesPerServer {
		errs = append(errs, fmt.Errorf("local fleet: matches per server %d: want 1 to %d", c.MatchesPerServer, MaxMatchesPerServer))
	}
	if c.SyncInterval < 0 || c.UnhealthyAfter < 0 || c.HealthPeriod < 0 || c.MaxConnsPerIP < 0 || c.MaxConns < 0 {
		errs = append(errs, fmt.Errorf("local fleet: sync interval %v, unhealthy after %v, health period %v, max conns per IP %d and max conns %d must not be negative",
			c.SyncInterval, c.UnhealthyAfter, c.HealthPeriod, c.MaxConnsPerIP, c.MaxConns))
	}
	if c.Tokens == nil {
		errs = append(errs, errors.New("local fleet: tokens are required"))
	}
	if c.BufferSize < 0 || c.MinReplicas < 0 || c.MaxReplicas < 1 || c.MinReplicas > c.MaxReplicas || c.BufferSize > c.MaxReplicas*max(c.MatchesPerServer, 1) {
		errs = append(errs, fmt.Errorf("local fleet: buffer %d matches, min %d, max %d servers of %d matches: want 0 <= buffer <= max x matches, 0 <= min <= max, max >= 1",
			c.BufferSize, c.MinReplicas, c.MaxReplicas, c.MatchesPerServer))
	}
	if c.Game.Script == nil {
		if err := c.Game.Rules.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	if limit := c.Game.HostConfig(c.Tokens, nil, nil, slog.Default()).Realtime.MaxPlayers; c.Seats < 0 || c.Seats > limit {
		errs = append(errs, fmt.Errorf("local fleet: %d seats per match: want 0 (the game's own) to %d, the players one session takes", c.Seats, limit))
	}
	return errors.Join(errs...)
}

// Fleet is the embedded fleet. It implements backend.Backend.
type Fleet struct {
	cfg     Config
	log     *slog.Logger
	rm      *realtime.Metrics
	gm      *race.Metrics
	hm      *host.Metrics
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	changed chan struct{} // wakes the sync loop
	conns   *connlimit.Limiter
	panics  func(where string)
	// high-density places matches on high-density servers (nil with one match per
	// server); stopping is set once Close begins, read without f.mu.
	highDensity *placement.Engine
	stopping    atomic.Bool

	mu      sync.Mutex
	servers map[string]*server
	// lastCheck is when health was last judged and awake since when the
	// fleet has been judging without a gap: see checkHealth.
	lastCheck, awake time.Time
	order            []*server // the servers sorted by name: allocation scans in a stable order
	closed           bool
}

var _ backend.Backend = (*Fleet)(nil)

// server is one game server of the fleet.
type server struct {
	name   string
	port   int32
	sdk    *agonessdk.Memory
	cancel context.CancelFunc
	done   chan struct{}
	// feed orders what the placement engine learns of a high-density
	// server: once gone, its watch no longer adds it back.
	feed sync.Mutex
	gone bool
}

// NewFleet starts a fleet with its warm buffer and returns once the first
// servers are Ready. The game servers' metrics go to reg.
func NewFleet(ctx context.Context, cfg Config, reg prometheus.Registerer, logger *slog.Logger) (*Fleet, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	fctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	f := &Fleet{
		cfg: cfg, log: logger.With("fleet", cfg.Name), ctx: fctx, cancel: cancel,
		rm: realtime.NewMetrics(reg), gm: race.NewMetrics(reg), hm: host.NewMetrics(reg),
		changed: make(chan struct{}, 1), servers: make(map[string]*server),
	}
	var err error
	if f.conns, err = connlimit.New(connlimit.Config{
		PerIP: cfg.MaxConnsPerIP, Total: cfg.MaxConns, Subsystem: "local_fleet", Registry: reg,
	}); err != nil {
		cancel()
		return nil, err
	}
	if f.panics, err = panicguard.NewCounter(reg, "local_fleet",
		"Panics recovered on a game server's own goroutine (where=server): that server stopped and was replaced, and the fleet's other servers ran on. A game's panics are leapfrog_realtime_panics_total.",
		panicServer); err != nil {
		cancel()
		return nil, err
	}
	if cfg.MatchesPerServer > 1 {
		if f.highDensity, err = placement.New(placement.Config{
			SeatsPerMatch: f.seatsPerMatch(), Pending: cfg.Game.NoShowTimeout, StartLeeway: token.ClockSkewLeeway,
			SeatHold: cfg.SeatHold, ShowGrace: cfg.ShowGrace, MatchPrefix: "race-", Now: cfg.Now,
		}); err != nil {
			cancel()
			return nil, fmt.Errorf("local fleet: %w", err)
		}
	}
	f.registerGauges(reg)
	if err := f.scale(); err != nil {
		cancel()
		return nil, err
	}
	if err := f.waitReady(ctx, min(cfg.BufferSize, cfg.MaxReplicas*cfg.MatchesPerServer)); err != nil {
		f.Close()
		return nil, err
	}
	f.mu.Lock()
	f.lastCheck, f.awake = cfg.Now(), cfg.Now() // a pause before the first tick counts as one
	f.mu.Unlock()
	f.wg.Add(1)
	go f.syncLoop()
	f.log.Info("local fleet up", "races_per_server", cfg.MatchesPerServer, "buffer", cfg.BufferSize,
		"min", cfg.MinReplicas, "max", cfg.MaxReplicas, "host", cfg.Host)
	return f, nil
}

// Allocate places the players in one match: see allocateHighDensity and
// allocateSingle for the two kinds of fleet.
func (f *Fleet) Allocate(ctx context.Context, req backend.AllocationRequest) (backend.Assignment, error) {
	if len(req.PlayerIDs) == 0 {
		return backend.Assignment{}, errors.New("allocate: no players")
	}
	tracing.SetMode(ctx, tracing.ModeLocal)
	if f.highDensity != nil {
		return f.allocateHighDensity(req)
	}
	return f.allocateSingle(req)
}

// scale starts (and with high density, stops) servers to keep the buffer.
func (f *Fleet) scale() error {
	if f.highDensity != nil {
		return f.scaleHighDensity()
	}
	return f.scaleSingle()
}

// seatsPerMatch is the players of one match: Config.Seats, else the game's
// own (a script's is its configuration.maxPlayers). Both kinds of fleet size
// their matches with it: the players list of a server of one match, the
// placement engine's matches on high-density servers.
func (f *Fleet) seatsPerMatch() int {
	if f.cfg.Seats > 0 {
		return f.cfg.Seats
	}
	return f.cfg.Game.HostConfig(f.cfg.Tokens, nil, nil, f.log).Realtime.MaxPlayers
}

func (f *Fleet) wake() {
	select {
	case f.changed <- struct{}{}:
	default:
	}
}

func (f *Fleet) syncLoop() {
	defer f.wg.Done()
	t := time.NewTicker(f.cfg.SyncInterval)
	defer t.Stop()
	for {
		select {
		case <-f.ctx.Done():
			return
		case <-t.C:
			f.checkHealth(f.cfg.Now())
		case <-f.changed:
		}
		if err := f.scale(); err != nil {
			f.log.Error("scale local fleet", "err", err)
		}
	}
}

func (f *Fleet) startServer() error {
	name := f.cfg.Name + "-" + suffix()
	for f.servers[name] != nil {
		name = f.cfg.Name + "-" + suffix()
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(f.cfg.Host, "0"))
	if err != nil {
		return fmt.Errorf("listen for game server %s: %w", name, err)
	}
	port := int32(ln.Addr().(*net.TCPAddr).Port)
	// Every game server of the fleet lives in this process: the caps are
	// shared, so that no client can take all of its file descriptors.
	ln = f.conns.Listener(ln)
	lists := map[string]agonessdk.List{agoneswire.PlayersList: {Capacity: agonessdk.Int64(f.seatsPerMatch())}}
	if f.highDensity != nil {
		lists = map[string]agonessdk.List{agoneswire.MatchesList: {Capacity: agonessdk.Int64(f.cfg.MatchesPerServer)}}
	}
	mem := agonessdk.NewMemory(agonessdk.MemoryConfig{
		Name: name, Namespace: "local", Address: f.cfg.Host,
		Ports: []agonessdk.Port{{Name: "default", Port: port}},
		Lists: lists,
	})
	hc := f.cfg.Game.HostConfig(f.cfg.Tokens, f.rm, f.gm, f.log) // the host names the server in its logs
	hc.HealthPeriod, hc.Metrics = f.cfg.HealthPeriod, f.hm
	// The fleet holds its servers' leases for as long as it runs: they never lapse.
	hc.MatchesPerServer, hc.LeaseTTL = f.cfg.MatchesPerServer, 0
	if f.highDensity != nil {
		// One server holds the matches of many players who may share an
		// address (a NAT, the local edge): the fleet's own caps, shared by
		// all its servers, are the ones that bound them.
		hc.Realtime.MaxConnections, hc.Realtime.MaxConnectionsPerIP = f.cfg.MaxConns, f.cfg.MaxConnsPerIP
	}
	h, err := host.New(hc, mem)
	if err != nil {
		ln.Close()
		return err
	}
	ctx, cancel := context.WithCancel(f.ctx)
	s := &server{name: name, port: port, sdk: mem, cancel: cancel, done: make(chan struct{})}
	f.servers[name] = s
	i, _ := slices.BinarySearchFunc(f.order, name, func(x *server, n string) int { return strings.Compare(x.name, n) })
	f.order = slices.Insert(f.order, i, s)
	f.wg.Add(2)
	go func() {
		defer f.wg.Done()
		defer close(s.done)
		f.runServer(ctx, name, h, ln)
	}()
	go func() {
		defer f.wg.Done()
		f.follow(ctx, s)
	}()
	return nil
}

// panicServer is the where of a panic on a game server's own goroutine.
const panicServer = "server"

// runServer runs one game server. Every server of the fleet lives in this
// process: a panic that escapes one (its game's are caught in its session)
// stops that server alone, as a crashed pod would be, and the fleet
// replaces it once done is closed.
func (f *Fleet) runServer(ctx context.Context, name string, h *host.Host, ln net.Listener) {
	log := f.log.With("game_server", name)
	g := panicguard.Guard{Log: log, Count: f.panics}
	if g.Run(panicServer, "panic in a game server: replacing it", func() {
		if err := f.cfg.run(ctx, h, ln); err != nil {
			log.Error("game server stopped", "err", err)
		}
	}) {
		ln.Close() // stop taking players; what ran of it has unwound
	}
}

// follow plays the Agones controller for one server: a server that asked to
// shut down is stopped and removed, and the fleet refills its buffer. With
// high density it also leases the server once Ready and feeds what the
// server reports (its matches, whether it is closed) to the placement engine.
func (f *Fleet) follow(ctx context.Context, s *server) {
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	shutdown := make(chan struct{})
	var once sync.Once
	go func() {
		_ = s.sdk.WatchGameServer(wctx, func(gs *agonessdk.GameServer) {
			if f.highDensity != nil {
				f.observe(s, gs)
			}
			f.wake()
			if gs.Status.State == agoneswire.StateShutdown {
				once.Do(func() { close(shutdown) })
			}
		})
	}()
	select {
	case <-shutdown:
	case <-s.done:
	case <-ctx.Done():
	}
	f.forget(s)
	s.cancel() // SIGTERM
	<-s.done
	f.mu.Lock()
	delete(f.servers, s.name)
	f.order = slices.DeleteFunc(f.order, func(x *server) bool { return x == s })
	f.mu.Unlock()
	f.wake()
}

// checkHealth replaces the servers that have not pinged health for
// UnhealthyAfter while the fleet was watching. If the fleet's own checks
// stopped for a while (the whole process was paused: SIGSTOP, a frozen VM,
// a debugger), the servers could not ping either: silence during that gap
// says nothing about them, so it does not count.
func (f *Fleet) checkHealth(now time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if now.Sub(f.lastCheck) > 2*f.cfg.SyncInterval {
		f.log.Warn("local fleet resumed after a pause: health silence during the pause is not held against game servers",
			"paused_for", now.Sub(f.lastCheck).Round(time.Millisecond))
		f.awake = now
	}
	f.lastCheck = now
	for _, s := range f.servers {
		last := s.sdk.LastHealth()
		if last.IsZero() || now.Sub(maxTime(last, f.awake)) < f.cfg.UnhealthyAfter {
			continue
		}
		f.log.Warn("game server unhealthy: replacing it", "game_server", s.name, "last_health", last)
		f.forget(s)
		s.cancel()
	}
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// waitReady waits until the fleet holds n free matches.
func (f *Fleet) waitReady(ctx context.Context, n int) error {
	deadline := time.NewTimer(30 * time.Second)
	defer deadline.Stop()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if f.warm() >= n {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline.C:
			return fmt.Errorf("local fleet: %d free matches not Ready after 30 s", n)
		case <-tick.C:
		}
	}
}

// warm is the number of matches the fleet can start now: its Ready servers,
// or with high density the free matches of its leased servers.
func (f *Fleet) warm() int {
	if f.highDensity != nil {
		return f.highDensity.FreeMatches()
	}
	return f.count(agoneswire.StateReady)
}

func (f *Fleet) count(state agoneswire.GameServerState) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, s := range f.order {
		if s.state() == state {
			n++
		}
	}
	return n
}

// serverDone is closed when the named server has stopped (or if it is gone).
func (f *Fleet) serverDone(name string) <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	if s := f.servers[name]; s != nil {
		return s.done
	}
	done := make(chan struct{})
	close(done)
	return done
}

// Servers lists the fleet's servers by state, for tests and status pages.
func (f *Fleet) Servers() map[string]agonessdk.GameServer {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[string]agonessdk.GameServer, len(f.servers))
	for name, s := range f.servers {
		out[name] = s.sdk.Snapshot()
	}
	return out
}

// Close stops every game server (players are told the server is shutting
// down) and waits for them.
func (f *Fleet) Close() {
	f.stopping.Store(true)
	f.mu.Lock()
	f.closed = true
	f.mu.Unlock()
	f.cancel()
	f.wg.Wait()
}

func (f *Fleet) registerGauges(reg prometheus.Registerer) {
	gauge := func(name, help string, fn func() float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, fn)
	}
	reg.MustRegister(
		gauge("leapfrog_local_fleet_ready_servers", "Local fleet game servers in the Ready state.", func() float64 { return float64(f.count(agoneswire.StateReady)) }),
		gauge("leapfrog_local_fleet_allocated_servers", "Local fleet game servers in the Allocated state.", func() float64 { return float64(f.count(agoneswire.StateAllocated)) }),
		gauge("leapfrog_local_fleet_free_races", "Matches the local fleet can start now: Ready servers, or free matches on high-density servers.", func() float64 {
			return float64(f.warm())
		}),
		gauge("leapfrog_local_fleet_players", "Places reserved on the local fleet's players lists, or placed in matches on high-density servers.", func() float64 {
			if f.highDensity != nil {
				return float64(f.highDensity.Stats().Players)
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			n := 0
			for _, s := range f.order {
				s.sdk.Peek(func(gs *agonessdk.GameServer) { n += len(gs.Status.Lists[agoneswire.PlayersList].Values) })
			}
			return float64(n)
		}),
	)
	if f.highDensity != nil {
		reg.MustRegister(gauge("leapfrog_local_fleet_races", "Matches on the local fleet's high-density servers: placed and not yet started, or running.", func() float64 {
			return float64(f.highDensity.Stats().Matches)
		}))
	}
}

// suffix is five random lower-case letters and digits, like Agones' names.
func suffix() string {
	const alphabet = "bcdfghjklmnpqrstvwxz2456789"
	b := make([]byte, 5)
	for i := range b {
		b[i] = alphabet[rand.IntN(len(alphabet))]
	}
	return string(b)
}

// state is the server's current state.
func (s *server) state() agoneswire.GameServerState {
	var st agoneswire.GameServerState
	s.sdk.Peek(func(gs *agonessdk.GameServer) { st = gs.Status.State })
	return st
}
