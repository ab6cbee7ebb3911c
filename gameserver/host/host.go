package host

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sync/atomic"
	"time"

	"github.com/leapfrog-games/leapfrog/gameserver/agonessdk"
	"github.com/leapfrog-games/leapfrog/gameserver/gamelift"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime"
	"github.com/leapfrog-games/leapfrog/gameserver/token"
)

// What to do when a session is over.
const (
	AfterShutdown = "shutdown" // tell Agones to shut the server down (the default)
	AfterReady    = "ready"    // return to the Ready pool for another allocation
)

// PlayersList is the Agones list that holds one value per reserved player.
const PlayersList = "players"

// Config configures a Host.
type Config struct {
	// Realtime configures sessions and connections; GameServer is filled in
	// from the SDK.
	Realtime realtime.Config
	// NewGame makes the game for each new session.
	NewGame func() (realtime.Game, error)
	// Tokens verifies player session tokens.
	Tokens *token.Issuer
	// AfterSession is AfterShutdown or AfterReady.
	AfterSession string
	// HealthPeriod is the health ping period; 0 means 2 s (Agones' default
	// period is 5 s with 3 failures allowed).
	HealthPeriod time.Duration
	// DrainGrace bounds the shutdown once the process is told to stop; 0 means 10 s.
	DrainGrace time.Duration
	// Logger receives the host's logs; nil means slog.Default().
	Logger *slog.Logger
}

// Host runs one game server.
type Host struct {
	cfg   Config
	sdk   agonessdk.SDK
	log   *slog.Logger
	ready atomic.Bool
	name  atomic.Pointer[string]
	srv   *realtime.Server
}

// New checks cfg and returns a Host that talks to Agones through sdk.
func New(cfg Config, sdk agonessdk.SDK) (*Host, error) {
	if cfg.NewGame == nil || cfg.Tokens == nil {
		return nil, errors.New("host: NewGame and Tokens are required")
	}
	switch cfg.AfterSession {
	case "":
		cfg.AfterSession = AfterShutdown
	case AfterShutdown, AfterReady:
	default:
		return nil, fmt.Errorf("host: after-session %q: want %q or %q", cfg.AfterSession, AfterShutdown, AfterReady)
	}
	if cfg.HealthPeriod == 0 {
		cfg.HealthPeriod = 2 * time.Second
	}
	if cfg.DrainGrace == 0 {
		cfg.DrainGrace = 10 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Host{cfg: cfg, sdk: sdk, log: cfg.Logger}, nil
}

// Ready reports whether the server has told Agones it is Ready and is not draining.
func (h *Host) Ready() bool { return h.ready.Load() }

// Name is the GameServer's name once known.
func (h *Host) Name() string {
	if p := h.name.Load(); p != nil {
		return *p
	}
	return ""
}

// Run serves players on ln until ctx is done, following the Agones
// lifecycle, then drains within the grace period. A clean stop returns nil.
func (h *Host) Run(ctx context.Context, ln net.Listener) error {
	gs, err := h.sdk.GameServer(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil // stopped while waiting for the sidecar
		}
		return fmt.Errorf("get game server from the SDK: %w", err)
	}
	name := gs.ObjectMeta.Name
	h.name.Store(&name)
	h.log = h.log.With("game_server", name)

	hctx, stopHealth := context.WithCancel(context.WithoutCancel(ctx))
	defer stopHealth()
	go agonessdk.HealthLoop(hctx, h.sdk, h.cfg.HealthPeriod, h.log)

	rc := h.cfg.Realtime
	rc.GameServer = name
	rc.Logger = h.log
	srv, err := realtime.NewServer(rc, h)
	if err != nil {
		return fmt.Errorf("realtime server: %w", err)
	}
	h.srv = srv
	mux := http.NewServeMux()
	mux.Handle("/ws", srv)
	mux.Handle(gamelift.Path, srv.Handler(gamelift.NewCodec)) // GameLift Realtime clients
	httpSrv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	serveErr := make(chan error, 1)
	go func() { serveErr <- httpSrv.Serve(ln) }()

	if err := h.sdk.Ready(ctx); err != nil {
		if ctx.Err() != nil { // stopped before Agones answered: a clean stop
			return h.drain(httpSrv)
		}
		return errors.Join(fmt.Errorf("mark game server Ready: %w", err), httpSrv.Close())
	}
	h.ready.Store(true)
	h.log.Info("game server ready", "addr", ln.Addr().String())

	err = h.loop(ctx, serveErr)
	h.ready.Store(false)
	return errors.Join(err, h.drain(httpSrv))
}

// loop follows the GameServer through the watch and runs a session per allocation.
func (h *Host) loop(ctx context.Context, serveErr <-chan error) error {
	updates := make(chan *agonessdk.GameServer, 1)
	wctx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	go func() {
		_ = h.sdk.WatchGameServer(wctx, func(gs *agonessdk.GameServer) {
			select { // keep only the latest: Agones batches changes too
			case <-updates:
			default:
			}
			updates <- gs
		})
	}()

	var (
		session     *realtime.Session
		sessionDone <-chan struct{}
		// After Ready() for reuse, a stale Allocated state may still arrive.
		// An allocation is new when Agones' last-allocated annotation moved
		// (watch updates are batched, so the Ready in between may never show);
		// without the annotation, when a Ready state was seen since.
		lastAllocation string
		awaitReady     bool
		over           bool // Shutdown requested: wait to be stopped
		sessions       int
	)
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-serveErr:
			return fmt.Errorf("serve players: %w", err)
		case gs := <-updates:
			state := gs.Status.State
			players := gs.Status.Lists[PlayersList].Values
			if awaitReady && state == agonessdk.StateReady {
				awaitReady = false
			}
			allocation := gs.ObjectMeta.Annotations[agonessdk.LastAllocatedAnnotation]
			fresh := allocation != lastAllocation || (allocation == "" && !awaitReady)
			if session == nil && !over && fresh && state == agonessdk.StateAllocated {
				lastAllocation, awaitReady = allocation, false
				sessions++
				s, err := h.startSession(ctx, fmt.Sprintf("%s-%d", h.Name(), sessions))
				if err != nil {
					return err
				}
				session, sessionDone = s, s.Done()
			}
			if session != nil {
				session.SetReservations(ctx, players)
			}
		case <-sessionDone:
			outcome := session.Outcome()
			h.log.Info("session over", "outcome", outcome, "after", h.cfg.AfterSession)
			h.srv.SetSession(nil)
			session, sessionDone = nil, nil
			if h.cfg.AfterSession == AfterReady {
				if err := h.recycle(ctx); err == nil {
					awaitReady = true
					continue
				}
			}
			over = true
			h.ready.Store(false)
			if err := h.sdk.Shutdown(ctx); err != nil && ctx.Err() == nil {
				h.log.Error("ask Agones to shut down", "err", err)
			}
		}
	}
}

func (h *Host) startSession(ctx context.Context, id string) (*realtime.Session, error) {
	game, err := h.cfg.NewGame()
	if err != nil {
		return nil, fmt.Errorf("new game: %w", err)
	}
	rc := h.cfg.Realtime
	rc.GameServer = h.Name()
	rc.Logger = h.log
	s, err := realtime.NewSession(id, rc, game)
	if err != nil {
		return nil, err
	}
	s.OnNoShow(func(playerID string) {
		if err := h.sdk.RemoveListValue(ctx, PlayersList, playerID); err != nil && !errors.Is(err, agonessdk.ErrNotFound) {
			h.log.Error("free a no-show's place", "player", playerID, "err", err)
		}
	})
	h.srv.SetSession(s)
	go s.Run(ctx)
	return s, nil
}

// recycle empties the players list and returns to the Ready pool.
func (h *Host) recycle(ctx context.Context) error {
	list, err := h.sdk.GetList(ctx, PlayersList)
	if err != nil {
		h.log.Error("read players list for reuse", "err", err)
		return err
	}
	for _, v := range list.Values {
		if err := h.sdk.RemoveListValue(ctx, PlayersList, v); err != nil && !errors.Is(err, agonessdk.ErrNotFound) {
			h.log.Error("clear players list for reuse", "player", v, "err", err)
			return err
		}
	}
	if err := h.sdk.Ready(ctx); err != nil {
		h.log.Error("return to the Ready pool", "err", err)
		return err
	}
	return nil
}

// drain tells every player the server is going away and waits, at most the
// drain grace, for their connections to close.
func (h *Host) drain(httpSrv *http.Server) error {
	ctx, cancel := context.WithTimeout(context.Background(), h.cfg.DrainGrace)
	defer cancel()
	h.log.Info("draining", "grace", h.cfg.DrainGrace)
	h.srv.Drain()
	if s := h.srv.Session(); s != nil {
		s.Shutdown(ctx, "server stopping")
		select {
		case <-s.Done():
		case <-ctx.Done():
		}
	}
	// Shutdown does not wait for hijacked (WebSocket) connections: Wait does.
	err := httpSrv.Shutdown(ctx)
	if werr := h.srv.Wait(ctx); werr != nil {
		err = errors.Join(err, fmt.Errorf("connections still open after the drain grace: %w", werr))
		_ = httpSrv.Close()
	}
	return err
}

// Authenticate implements realtime.Authenticator: a valid token for this
// server whose player holds a place in the players list.
func (h *Host) Authenticate(ctx context.Context, raw string) (string, error) {
	ps, err := h.cfg.Tokens.VerifyPlayerSession(raw, h.Name())
	if err != nil {
		return "", err
	}
	if s := h.srv.Session(); s != nil && s.Reserved(ps.PlayerID) {
		return ps.PlayerID, nil
	}
	// The watch may not have shown the allocation yet: ask the sidecar.
	list, err := h.sdk.GetList(ctx, PlayersList)
	if err != nil {
		return "", fmt.Errorf("read players list: %w", err)
	}
	if !slices.Contains(list.Values, ps.PlayerID) {
		if int64(len(list.Values)) >= int64(list.Capacity) {
			return "", realtime.ErrSessionFull
		}
		return "", realtime.ErrNotReserved
	}
	return ps.PlayerID, nil
}

var _ realtime.Authenticator = (*Host)(nil)
