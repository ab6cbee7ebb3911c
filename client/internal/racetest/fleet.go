package racetest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/leapfrog-games/leapfrog/allocator/backend"
	"github.com/leapfrog-games/leapfrog/gameserver/race"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime"
	"github.com/leapfrog-games/leapfrog/gameserver/token"
)

// FastRules are race rules for tests: a race takes well under a second.
func FastRules() race.Rules {
	r := race.DefaultRules()
	r.HopDuration = 40 * time.Millisecond
	r.HopPenalty = 5 * time.Millisecond
	r.Countdown = 30 * time.Millisecond
	r.ReconnectGrace = time.Second
	return r
}

// Config configures a Fleet.
type Config struct {
	Rules race.Rules
	// TickRate is the sessions' ticks per second (default 100).
	TickRate int
	// MaxServers bounds the game servers running at once (default 8).
	MaxServers int
	// Issuer verifies player session tokens.
	Issuer *token.Issuer
	Logger *slog.Logger
}

// Fleet is a set of race servers, each on its own 127.0.0.1 port, that come
// up on demand and go away when their race ends. It implements
// backend.Backend with the allocator's semantics: a player asking again gets
// its own place back, waiting races fill before new ones start.
type Fleet struct {
	cfg Config

	mu      sync.Mutex
	servers []*server
	started int
	closed  bool
	wg      sync.WaitGroup
}

var _ backend.Backend = (*Fleet)(nil)

type server struct {
	name    string
	port    int32
	http    *http.Server
	session *realtime.Session
	stop    context.CancelFunc
	players []string
}

// NewFleet returns an empty fleet; Close stops every server.
func NewFleet(cfg Config) (*Fleet, error) {
	if cfg.Issuer == nil {
		return nil, errors.New("racetest: an issuer is required")
	}
	if err := cfg.Rules.Validate(); err != nil {
		return nil, err
	}
	if cfg.TickRate == 0 {
		cfg.TickRate = 100
	}
	if cfg.MaxServers == 0 {
		cfg.MaxServers = 8
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Fleet{cfg: cfg}, nil
}

// Allocate implements backend.Backend.
func (f *Fleet) Allocate(ctx context.Context, req backend.AllocationRequest) (backend.Assignment, error) {
	if len(req.PlayerIDs) == 0 {
		return backend.Assignment{}, errors.New("racetest: no players")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return backend.Assignment{}, errors.New("racetest: fleet closed")
	}
	for _, s := range f.servers {
		if s.live() && slices.Contains(s.players, req.PlayerIDs[0]) {
			return s.assignment(true), nil
		}
	}
	for _, s := range f.servers {
		if s.live() && len(s.players) > 0 && len(s.players)+len(req.PlayerIDs) <= f.cfg.Rules.Players {
			s.players = append(s.players, req.PlayerIDs...)
			s.session.SetReservations(ctx, slices.Clone(s.players))
			return s.assignment(true), nil
		}
	}
	if len(f.servers) >= f.cfg.MaxServers || len(req.PlayerIDs) > f.cfg.Rules.Players {
		return backend.Assignment{}, fmt.Errorf("racetest: %d servers busy: %w", len(f.servers), backend.ErrNoCapacity)
	}
	s, err := f.start()
	if err != nil {
		return backend.Assignment{}, err
	}
	s.players = slices.Clone(req.PlayerIDs)
	s.session.SetReservations(ctx, slices.Clone(s.players))
	return s.assignment(false), nil
}

func (s *server) live() bool {
	select {
	case <-s.session.Done():
		return false
	default:
		return true
	}
}

func (s *server) assignment(joined bool) backend.Assignment {
	return backend.Assignment{GameServer: s.name, Address: "127.0.0.1", Port: s.port, Joined: joined}
}

// start runs a new race server. Callers hold f.mu.
func (f *Fleet) start() (*server, error) {
	f.started++
	name := fmt.Sprintf("race-%d", f.started)
	rcfg := realtime.Config{
		GameServer:    name,
		MaxPlayers:    f.cfg.Rules.Players,
		TickRate:      f.cfg.TickRate,
		NoShowTimeout: 10 * time.Second,
		EmptyTimeout:  10 * time.Second,
		Logger:        f.cfg.Logger,
	}
	game, err := race.NewGame(f.cfg.Rules, nil)
	if err != nil {
		return nil, err
	}
	session, err := realtime.NewSession(name, rcfg, game)
	if err != nil {
		return nil, err
	}
	s := &server{name: name, session: session}
	rt, err := realtime.NewServer(rcfg, authenticator{issuer: f.cfg.Issuer, server: s})
	if err != nil {
		return nil, err
	}
	rt.SetSession(session)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s.port = int32(ln.Addr().(*net.TCPAddr).Port)
	mux := http.NewServeMux()
	mux.Handle("/ws", rt)
	s.http = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	ctx, stop := context.WithCancel(context.Background())
	s.stop = stop
	f.servers = append(f.servers, s)

	f.wg.Add(2)
	go func() {
		defer f.wg.Done()
		_ = s.http.Serve(ln)
	}()
	go func() {
		defer f.wg.Done()
		session.Run(ctx)
		f.retire(s)
	}()
	return s, nil
}

// retire removes a server whose session ended.
func (f *Fleet) retire(s *server) {
	f.mu.Lock()
	f.servers = slices.DeleteFunc(f.servers, func(x *server) bool { return x == s })
	f.mu.Unlock()
	s.stop()
	_ = s.http.Close()
}

// Close ends every race and waits for the servers to stop.
func (f *Fleet) Close() {
	f.mu.Lock()
	f.closed = true
	servers := slices.Clone(f.servers)
	f.mu.Unlock()
	for _, s := range servers {
		s.stop()
	}
	f.wg.Wait()
}

// Started reports how many servers the fleet has started.
func (f *Fleet) Started() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.started
}

type authenticator struct {
	issuer *token.Issuer
	server *server
}

func (a authenticator) Authenticate(_ context.Context, raw string) (string, error) {
	ps, err := a.issuer.VerifyPlayerSession(raw, a.server.name)
	if err != nil {
		return "", err
	}
	if !a.server.session.Reserved(ps.PlayerID) {
		return "", realtime.ErrNotReserved
	}
	return ps.PlayerID, nil
}
