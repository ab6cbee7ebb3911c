package host

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sync/atomic"
	"time"

	"github.com/leapfrog-games/leapfrog/contract/agoneswire"
	"github.com/leapfrog-games/leapfrog/contract/token"
	"github.com/leapfrog-games/leapfrog/gameserver/agonessdk"
	"github.com/leapfrog-games/leapfrog/gameserver/gamelift"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime"
)

// What to do when a session is over.
const (
	AfterShutdown = "shutdown" // tell Agones to shut the server down (the default)
	AfterReady    = "ready"    // return to the Ready pool for another allocation
)

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
	// LoopStall is how long a session's loop may stand still before the
	// watchdog judges it stuck: health pings stop (Agones marks the server
	// Unhealthy and replaces it) and players get CODE_INTERNAL, close 1011.
	// 0 means 5 s.
	LoopStall time.Duration
	// IdleTimeout closes keep-alive HTTP connections idle this long on the
	// player port; 0 means 30 s.
	IdleTimeout time.Duration
	// MatchesPerServer is how many matches the server runs at once. 0 or 1: one
	// match per allocation, its players from the players list. Above 1, high
	// density (docs/high-density.md): the server is Ready at start and each
	// player token names its match; the GameServer needs the list
	// agoneswire.MatchesList with this capacity.
	MatchesPerServer int
	// LeaseTTL is, with high density, how long an Allocated server goes
	// without seeing its lease renewed before the lease lapses (the chart
	// uses 15 s); 0 means leases never lapse (the embedded local fleet).
	LeaseTTL time.Duration
	// MaxMatches and MaxAge recycle a high-density server: once it has
	// started MaxMatches matches, or MaxAge after it became Ready, it takes no
	// new match (as when its lease lapses: labelled closed, players placed
	// before still welcome), lets the running ones finish and shuts down, and
	// the Fleet replaces it. A server of many matches otherwise lives as long
	// as its lease is renewed: it would keep its heap's high-water mark, its
	// node (drains wait for it) and its version through every rollout. 0: no
	// limit. Both need MatchesPerServer above 1.
	MaxMatches int
	MaxAge     time.Duration
	// Clock times leases and MaxAge; nil means the wall clock.
	Clock agonessdk.Clock
	// TLS, when set, makes the player port serve TLS on every path (wss://)
	// and the GameLift Realtime fast channel DTLS 1.2 (RT_OVER_WSS_DTLS_TLS12).
	TLS *TLS
	// Metrics records matches and leases; nil records nothing.
	Metrics *Metrics
	// Logger receives the host's logs; nil means slog.Default().
	Logger *slog.Logger
}

// TLS is the player port's certificate.
type TLS struct {
	// Certificate is served on TCP (TLS) and UDP (DTLS).
	Certificate tls.Certificate
	// CACert is the PEM GameLift Realtime clients get as the login
	// result's caCert: they verify the DTLS server against it.
	CACert []byte
}

// Host runs one game server.
type Host struct {
	cfg   Config
	sdk   agonessdk.SDK
	log   *slog.Logger
	ready atomic.Bool
	name  atomic.Pointer[string]
	srv   *realtime.Server
	// closed is set while no game takes players: from the end of a session
	// until the next allocation (after-race=ready: until the server is
	// back in the Ready pool with an empty list).
	closed atomic.Bool
	// fatal holds why the server stopped pinging health; it never clears.
	fatal atomic.Pointer[string]
	// matches is the high-density server's matches; nil with one match at a time.
	matches *matchSet
	// matchDone wakes the high-density loop when a match ends.
	matchDone chan struct{}
	// lobbyScans counts the lobby report's finished scans: a test waits
	// for one to pass before it asserts that a scan reported nothing.
	lobbyScans atomic.Int64
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
	if cfg.HealthPeriod < 0 || cfg.DrainGrace < 0 || cfg.LoopStall < 0 || cfg.IdleTimeout < 0 || cfg.LeaseTTL < 0 {
		return nil, fmt.Errorf("host: health period %v, drain grace %v, loop stall %v, idle timeout %v and lease TTL %v must not be negative",
			cfg.HealthPeriod, cfg.DrainGrace, cfg.LoopStall, cfg.IdleTimeout, cfg.LeaseTTL)
	}
	if cfg.MatchesPerServer < 0 || cfg.MatchesPerServer > MaxMatchesPerServer {
		return nil, fmt.Errorf("host: matches per server %d must be between 1 and %d", cfg.MatchesPerServer, MaxMatchesPerServer)
	}
	if cfg.MatchesPerServer == 0 {
		cfg.MatchesPerServer = 1
	}
	if cfg.MaxMatches < 0 || cfg.MaxAge < 0 {
		return nil, fmt.Errorf("host: max matches %d and max age %v must not be negative", cfg.MaxMatches, cfg.MaxAge)
	}
	if (cfg.MaxMatches > 0 || cfg.MaxAge > 0) && cfg.MatchesPerServer == 1 {
		return nil, fmt.Errorf("host: max matches %d and max age %v recycle a server of many matches: with one match per server, "+
			"after-race=shutdown already gives each match a fresh server", cfg.MaxMatches, cfg.MaxAge)
	}
	if cfg.MatchesPerServer > 1 && cfg.Realtime.MaxConnections == 0 {
		cfg.Realtime.MaxConnections = matchesConnections(cfg.MatchesPerServer, cfg.Realtime.MaxPlayers)
	}
	if cfg.MatchesPerServer > 1 && cfg.Realtime.MaxHandshakes == 0 {
		// Players of many matches arrive together: an eighth of them may be
		// in their handshake at once (the one-race default is 16).
		cfg.Realtime.MaxHandshakes = max(16, matchesConnections(cfg.MatchesPerServer, cfg.Realtime.MaxPlayers)/8)
	}
	if cfg.Clock == nil {
		cfg.Clock = agonessdk.SystemClock{}
	}
	if cfg.HealthPeriod == 0 {
		cfg.HealthPeriod = 2 * time.Second
	}
	if cfg.DrainGrace == 0 {
		cfg.DrainGrace = 10 * time.Second
	}
	if cfg.LoopStall == 0 {
		cfg.LoopStall = 5 * time.Second
	}
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = 30 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Host{cfg: cfg, sdk: sdk, log: cfg.Logger, matchDone: make(chan struct{}, 1)}, nil
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

	rc := h.cfg.Realtime
	rc.GameServer = name
	rc.Logger = h.log
	// The edge signs the player's address with the token keys: whoever
	// holds them could mint any player's token anyway.
	rc.Relays = h.cfg.Tokens
	srv, err := realtime.NewServer(rc, h)
	if err != nil {
		return fmt.Errorf("realtime server: %w", err)
	}
	h.srv = srv
	var stopMatches func()
	if h.highDensity() {
		if err := h.checkMatchesList(ctx); err != nil {
			ln.Close()
			if ctx.Err() != nil {
				return nil // stopped while waiting for the sidecar
			}
			return err
		}
		stopMatches = h.prepareMatches(ctx)
		defer stopMatches()
	}
	hctx, stopHealth := context.WithCancel(context.WithoutCancel(ctx))
	defer stopHealth()
	go h.keep(hctx, panicHealth, func(ctx context.Context) {
		// A fresh watchdog after a panic: the old one's memory may be half
		// updated, and forgetting it only gives each loop LoopStall again.
		agonessdk.HealthLoopWhile(ctx, h.sdk, h.cfg.HealthPeriod, h.log, newWatchdog(h).sound)
	})

	newCodec := gamelift.NewCodec
	fast, err := h.openFast(ln)
	if err != nil {
		ln.Close()
		return err
	}
	if fast != nil {
		fctx, stopFast := context.WithCancel(context.WithoutCancel(ctx))
		defer stopFast()
		go h.keep(fctx, panicFast, fast.Serve)
		newCodec = fast.NewCodec
	}
	mux := http.NewServeMux()
	mux.Handle("/ws", srv)
	// GameLift Realtime clients: the SDK's URL ends in /websocket,
	// third-party clients' have no path at all.
	mux.Handle(gamelift.Path, srv.Handler(newCodec))
	mux.Handle("/{$}", srv.Handler(newCodec))
	httpSrv := &http.Server{
		Handler: mux, ConnContext: srv.ConnContext, ReadHeaderTimeout: 5 * time.Second, IdleTimeout: h.cfg.IdleTimeout,
		MaxHeaderBytes: 16 << 10, ErrorLog: slog.NewLogLogger(h.log.Handler(), slog.LevelDebug),
	}
	players := srv.LimitListener(ln)
	if h.cfg.TLS != nil {
		// HTTP/1.1 only: a WebSocket upgrade needs it.
		players = tls.NewListener(players, &tls.Config{
			Certificates: []tls.Certificate{h.cfg.TLS.Certificate}, NextProtos: []string{"http/1.1"}, MinVersion: tls.VersionTLS12,
		})
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- httpSrv.Serve(players) }()

	if err := h.sdk.Ready(ctx); err != nil {
		if ctx.Err() != nil {
			// Stopped before Agones answered: a clean stop. The sidecar may
			// have taken the call, and players come, so drain as ever.
			if h.highDensity() {
				return h.drainMatches(ctx, httpSrv, stopMatches)
			}
			return h.drain(httpSrv)
		}
		return errors.Join(fmt.Errorf("mark game server Ready: %w", err), httpSrv.Close())
	}
	h.ready.Store(true)
	h.log.Info("game server ready", "addr", ln.Addr().String())

	if h.highDensity() {
		return h.runMatches(ctx, serveErr, httpSrv, stopMatches)
	}
	err = h.loop(ctx, serveErr)
	h.ready.Store(false)
	return errors.Join(err, h.drain(httpSrv))
}

// openFast opens the GameLift Realtime fast channel: UDP on the port number
// of the player listener (Agones gives both one number with protocol
// TCPUDP). Without it (the port is taken, or ln is not TCP) GameLift
// clients are told fastPort 0 and send everything over the WebSocket.
// With TLS it is DTLS, and required: a secure client without it fails.
func (h *Host) openFast(ln net.Listener) (*gamelift.Fast, error) {
	ta, ok := ln.Addr().(*net.TCPAddr)
	if !ok {
		if h.cfg.TLS != nil {
			return nil, fmt.Errorf("DTLS fast channel: the player listener %v is not TCP", ln.Addr())
		}
		return nil, nil
	}
	addr := &net.UDPAddr{IP: ta.IP, Port: ta.Port, Zone: ta.Zone}
	if h.cfg.TLS != nil {
		fast, err := gamelift.ListenSecure(addr, gamelift.SecureConfig{Certificate: h.cfg.TLS.Certificate, CACert: h.cfg.TLS.CACert}, h.log, h.cfg.Realtime.Metrics)
		if err != nil {
			return nil, fmt.Errorf("DTLS fast channel on UDP port %d: %w", ta.Port, err)
		}
		return fast, nil
	}
	pc, err := net.ListenUDP("udp", addr)
	if err != nil {
		h.log.Warn("no UDP fast channel for GameLift Realtime clients: they will send fast messages over the WebSocket", "port", ta.Port, "err", err)
		return nil, nil
	}
	return gamelift.NewFast(pc, h.log, h.cfg.Realtime.Metrics), nil
}

// loop follows the GameServer through the watch and runs a session per
// allocation: it drives the allocation lifecycle (allocation_lifecycle.go).
func (h *Host) loop(ctx context.Context, serveErr <-chan error) error {
	wctx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	updates := h.watch(wctx)

	var (
		st           = newAllocationState(h.cfg.AfterSession)
		session      *realtime.Session
		sessionEnded <-chan string
	)
	do := func(a allocationAction) (allocationEvent, bool) {
		switch a.kind {
		case allocationStartSession:
			s, ended, err := h.startSession(ctx, h.Name())
			if err == nil {
				session, sessionEnded = s, ended
			}
			return allocationEvent{kind: allocationStarted, err: err}, true
		case allocationReserve:
			session.SetReservations(ctx, a.players)
		case allocationOpen:
			h.closed.Store(false)
			h.cfg.Metrics.matchStarted()
		case allocationReopen:
			h.closed.Store(false)
			h.markClosed(ctx, false)
		case allocationClose:
			h.closed.Store(true)
			h.markClosed(ctx, true)
		case allocationEndSession:
			h.cfg.Metrics.matchEnded(a.outcome)
			h.log.Info("session over", "outcome", a.outcome, "after", h.cfg.AfterSession)
			h.srv.SetSession(nil)
			session, sessionEnded = nil, nil
		case allocationFail:
			h.setFatal(a.reason)
		case allocationAskReady:
			return allocationEvent{kind: allocationReadyAnswered, ok: h.returnToPool(ctx)}, true
		case allocationClearPlayers:
			return allocationEvent{kind: allocationCleared, ok: h.clearPlayers(ctx) == nil}, true
		case allocationShutdown:
			h.shutdown(ctx)
		}
		return allocationEvent{}, false
	}
	for st.phase != allocationStopped {
		var e allocationEvent
		select {
		case <-ctx.Done():
			e.kind = allocationStop
		case err := <-serveErr:
			e.kind, e.err = allocationServeFailed, fmt.Errorf("serve players: %w", err)
		case gs := <-updates:
			e.kind, e.state = allocationWatched, gs.Status.State
			e.allocation = gs.ObjectMeta.Annotations[agoneswire.LastAllocatedAnnotation]
			e.players = gs.Status.Lists[agoneswire.PlayersList].Values
		case outcome := <-sessionEnded:
			e.kind, e.outcome, e.healthy = allocationSessionEnded, outcome, h.Healthy()
		}
		st = drive(st, e, allocationState.next, do)
	}
	return st.err
}

// markClosed tells the allocator, through the GameServer's labels, whether
// this server's match is over: a closed server takes no new players even while
// its players list has room.
func (h *Host) markClosed(ctx context.Context, closed bool) {
	value := "false"
	if closed {
		value = agoneswire.ClosedValue
	}
	if err := h.sdk.SetLabel(ctx, agoneswire.ClosedLabelKey, value); err != nil && ctx.Err() == nil {
		h.log.Warn("label the match closed", "closed", closed, "err", err)
	}
}

// returnToPool asks Agones to put the server back in the Ready pool; a
// refusal is logged unless the host is stopping.
func (h *Host) returnToPool(ctx context.Context) bool {
	err := h.sdk.Ready(ctx)
	if err != nil && ctx.Err() == nil {
		h.log.Error("return to the Ready pool", "err", err)
	}
	return err == nil
}

// shutdown asks Agones to shut the server down.
func (h *Host) shutdown(ctx context.Context) {
	h.ready.Store(false)
	if err := h.sdk.Shutdown(ctx); err != nil && ctx.Err() == nil {
		h.log.Error("ask Agones to shut down", "err", err)
	}
}

// newSession builds a session id with a new game.
func (h *Host) newSession(id string) (*realtime.Session, error) {
	game, err := h.newGame()
	if err != nil {
		return nil, fmt.Errorf("new game: %w", err)
	}
	rc := h.cfg.Realtime
	rc.GameServer = h.Name()
	rc.Logger = h.log
	return realtime.NewSession(id, rc, game)
}

// startSession builds session id and runs it; ended gets its outcome.
func (h *Host) startSession(ctx context.Context, id string) (s *realtime.Session, ended <-chan string, err error) {
	s, err = h.newSession(id)
	if err != nil {
		return nil, nil, err
	}
	s.OnPlaceFreed(func(playerID string) {
		err := h.sdk.RemoveListValue(ctx, agoneswire.PlayersList, playerID)
		switch {
		case err == nil, errors.Is(err, agonessdk.ErrNotFound):
		case ctx.Err() != nil:
			// Stopping: the whole GameServer goes, and its list with it.
			h.log.Debug("place not freed: stopping", "player", playerID, "err", err)
		default:
			h.log.Error("free a player's place", "player", playerID, "err", err)
		}
	})
	h.srv.SetSession(s)
	outcome := make(chan string, 1)
	h.goSession(ctx, s, func(o string) { outcome <- o })
	return s, outcome, nil
}

// clearPlayers empties the players list of a server back in the Ready
// pool. It runs only once Ready shows: emptied while still Allocated, the
// list would let the allocator place players on a finished match.
func (h *Host) clearPlayers(ctx context.Context) error {
	list, err := h.sdk.GetList(ctx, agoneswire.PlayersList)
	if err != nil {
		h.log.Error("read players list for reuse", "err", err)
		return err
	}
	for _, v := range list.Values {
		if err := h.sdk.RemoveListValue(ctx, agoneswire.PlayersList, v); err != nil && !errors.Is(err, agonessdk.ErrNotFound) {
			h.log.Error("clear players list for reuse", "player", v, "err", err)
			return err
		}
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
	if s := h.srv.Session(); s != nil && h.Healthy() { // a stuck loop would not answer
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
func (h *Host) Authenticate(ctx context.Context, raw string) (realtime.Identity, error) {
	ps, err := h.cfg.Tokens.VerifyPlayerSession(raw, h.Name())
	if err != nil {
		return realtime.Identity{}, err
	}
	id := realtime.Identity{PlayerID: ps.PlayerID, TokenID: ps.ID, Match: ps.Match, IssuedAt: ps.IssuedAt, ExpiresAt: ps.ExpiresAt,
		MatchStartBy: ps.MatchStartBy}
	if h.highDensity() {
		return h.authenticateMatch(id)
	}
	if ps.Match != "" {
		h.cfg.Metrics.refused(refusedClaim)
		return realtime.Identity{}, fmt.Errorf("%w: this server hosts one match at a time and the token names match %q", realtime.ErrMatchClaim, ps.Match)
	}
	if h.closed.Load() || h.fatal.Load() != nil {
		return realtime.Identity{}, realtime.ErrClosed
	}
	// The watch may not have shown the allocation yet: ask the sidecar. Its
	// own view comes from a watch of the GameServer too, so a player who
	// connects right after the match may be ahead of both: a token minted
	// moments ago gets up to reservationWait for its place to show.
	var until time.Time
	if h.cfg.Clock.Now().Sub(ps.IssuedAt) < freshToken {
		until = time.Now().Add(reservationWait)
	}
	for {
		if s := h.srv.Session(); s != nil && s.Reserved(ps.PlayerID) {
			return id, nil
		}
		list, err := h.sdk.GetList(ctx, agoneswire.PlayersList)
		if err != nil {
			return realtime.Identity{}, fmt.Errorf("read players list: %w", err)
		}
		if slices.Contains(list.Values, ps.PlayerID) {
			return id, nil
		}
		if !time.Now().Before(until) {
			if int64(len(list.Values)) >= int64(list.Capacity) {
				return realtime.Identity{}, realtime.ErrSessionFull
			}
			return realtime.Identity{}, realtime.ErrNotReserved
		}
		t := time.NewTimer(reservationPoll)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return realtime.Identity{}, realtime.ErrNotReserved
		}
	}
}

// A player session token issued less than freshToken ago (issue times are
// whole seconds) may be ahead of Agones: its player's place is awaited for
// up to reservationWait, looked for every reservationPoll.
const (
	freshToken      = 10 * time.Second
	reservationWait = 2 * time.Second
	reservationPoll = 100 * time.Millisecond
)

var _ realtime.Authenticator = (*Host)(nil)
