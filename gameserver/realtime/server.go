package realtime

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	realtimev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/realtime/v1"
	"github.com/leapfrog-games/leapfrog/contract/token"
	"github.com/leapfrog-games/leapfrog/internal/panicguard"
)

// Authenticator checks a player session token and returns whom it names.
// Its errors wrap token.ErrInvalid, token.ErrExpired, token.ErrWrongServer,
// ErrNotReserved, ErrSessionFull, ErrClosed or ErrMatchClaim, which decide the
// error code the client gets.
type Authenticator interface {
	Authenticate(ctx context.Context, playerSessionToken string) (Identity, error)
}

// Identity is what a valid player session token says.
type Identity struct {
	PlayerID string
	// TokenID is unique per minted token. A session admits each token id
	// once; coming back on a used one takes the reconnect token of the
	// player's last Welcome, so that whoever else holds the token cannot
	// replace the player's connection.
	TokenID string
	// Match is the match the token seats the player in, on a server that
	// hosts many (see Router); empty on a server of one match at a time.
	Match string
	// IssuedAt and ExpiresAt are when the token was minted and when it
	// expires (whole seconds).
	IssuedAt, ExpiresAt time.Time
	// MatchStartBy is the latest time Match may start (whole seconds); zero
	// when the token sets no deadline (minted before the claim existed).
	MatchStartBy time.Time
}

// Router finds the session an authenticated player joins on a server that
// hosts many sessions at once, one per match, creating the session when the
// match is new. Route is called on the connection's goroutine, concurrently
// for many connections; it must not wait long. Its errors wrap those of an
// Authenticator, or ErrServerFull or ErrNoNewMatch.
type Router interface {
	Route(ctx context.Context, id Identity) (*Session, error)
}

// Errors an Authenticator returns for valid tokens it still refuses.
var (
	// ErrClosed: the game on this server is over and it takes nobody until
	// it is allocated again.
	ErrClosed = errors.New("the game on this game server is over")
	// ErrNotReserved: the player holds no place on this server (its
	// reservation expired or was never made).
	ErrNotReserved = errors.New("player holds no reservation on this game server")
	// ErrSessionFull: the player holds no place and every place is taken.
	ErrSessionFull = errors.New("every place in the session is taken")
	// ErrServerFull: the server already runs as many matches as it may.
	ErrServerFull = errors.New("server full: this game server already runs all the matches it may")
	// ErrNoNewMatch: the server takes no new match (it is draining, or its
	// lease lapsed); the matches it runs go on.
	ErrNoNewMatch = errors.New("closed: this game server takes no new match")
	// ErrMatchClaim: the token's match claim does not fit the server: a token
	// without a match on a server of many matches, or one with a match on a
	// server of one match at a time.
	ErrMatchClaim = errors.New("the player session token's match does not fit this game server")
)

// hardReadLimit bounds what the transport reads of one frame; frames between
// the payload cap and this limit get a typed error, larger ones only close 1009.
const hardReadLimit = 1 << 20

// Server accepts player connections on a WebSocket endpoint and hands them,
// once authenticated, to the current session.
type Server struct {
	cfg      Config
	auth     Authenticator
	log      *slog.Logger
	upgrader websocket.Upgrader

	session    atomic.Pointer[Session]
	router     Router         // nil: every player joins session
	changed    chan struct{}  // closed and replaced when the session changes
	handshakes *handshakePool // a slot per connection between upgrade and Welcome
	mu         sync.Mutex
	draining   bool
	conns      map[*conn]struct{}
	wg         sync.WaitGroup
}

// NewServer returns a Server; cfg supplies the transport settings (payload
// cap, handshake timeout, ping period, queue length) and metrics.
func NewServer(cfg Config, auth Authenticator) (*Server, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Server{
		cfg:  c,
		auth: auth,
		log:  c.Logger,
		upgrader: websocket.Upgrader{
			HandshakeTimeout: c.HandshakeTimeout,
			ReadBufferSize:   1024,
			WriteBufferSize:  1024,
			WriteBufferPool:  &sync.Pool{},
			// Player session tokens authenticate; no cookies are used, so any
			// origin (the allocator's page, a native client) may connect.
			CheckOrigin: func(*http.Request) bool { return true },
		},
		changed:    make(chan struct{}),
		handshakes: newHandshakePool(c.MaxHandshakes, c.Clock),
		conns:      make(map[*conn]struct{}),
	}, nil
}

// SetSession makes s (nil for none) the session new players join.
func (srv *Server) SetSession(s *Session) {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	srv.session.Store(s)
	close(srv.changed)
	srv.changed = make(chan struct{})
}

// SetRouter makes the server route each authenticated player with r (a
// server of many matches) instead of to the session set with SetSession. It
// must be called before the server serves its first connection.
func (srv *Server) SetRouter(r Router) { srv.router = r }

// Session is the session new players join, or nil.
func (srv *Server) Session() *Session { return srv.session.Load() }

// Drain refuses new connections and closes the ones still in their handshake
// with CODE_SHUTTING_DOWN. Sessions close their own players (Session.Shutdown).
func (srv *Server) Drain() {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	srv.draining = true
	for c := range srv.conns {
		if !c.admitted.Load() {
			c.fail(realtimev1.Error_CODE_SHUTTING_DOWN, "server shutting down")
		}
	}
}

// FailAll closes every connection with an Error frame of code and its close
// code. The connections' writers do it, so it works while a session loop is
// stuck (a watchdog's last word to the players).
func (srv *Server) FailAll(code realtimev1.Error_Code, msg string) {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	for c := range srv.conns {
		c.fail(code, msg)
	}
}

// Wait blocks until every connection has closed or ctx is done.
func (srv *Server) Wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() { srv.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ServeHTTP upgrades to WebSocket and serves one player connection.
func (srv *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	srv.serve(w, r, nil)
}

// serve serves one player connection; a nil codec is the Leapfrog protocol.
func (srv *Server) serve(w http.ResponseWriter, r *http.Request, codec Codec) {
	client, vouched := srv.clientAddr(r)
	if !srv.countAs(w, r, client, vouched) {
		return
	}
	slot := srv.handshakes.acquire(client)
	if slot == nil {
		srv.cfg.Metrics.rejected("busy")
		w.Header().Set("Retry-After", "1")
		http.Error(w, fmt.Sprintf("more than %d connections are in their handshake: retry", srv.cfg.MaxHandshakes), http.StatusServiceUnavailable)
		return
	}
	hw := &hijacker{ResponseWriter: w}
	ws, err := srv.upgrader.Upgrade(hw, r, nil)
	if err != nil {
		srv.handshakes.release(slot)
		return // the upgrader already answered with an HTTP error
	}
	c := newConn(ws, hw.wire, &srv.cfg)
	c.codec = codec
	linker, _ := codec.(Linker)
	if linker != nil {
		// Relayed: the edge named a client, vouched for or not; either way
		// the TCP peer is not the client, whom UDP could not reach.
		linker.Link(&Link{srv: srv, c: c, relayed: vouched || r.Header.Get("X-Forwarded-For") != ""})
	}
	unlink := func() {
		if linker != nil {
			linker.Unlink()
		}
	}
	if !srv.track(c) {
		srv.handshakes.release(slot)
		go c.writeLoop()
		srv.refuse(c, realtimev1.Error_CODE_SHUTTING_DOWN, "server shutting down", "shutting_down")
		c.finish()
		unlink()
		return
	}
	go c.writeLoop()
	s := srv.safeHandshake(r.Context(), c, slot)
	srv.handshakes.release(slot)
	if s == nil {
		c.finish()
		unlink()
		srv.untrack(c)
		return
	}
	c.session.Store(s)
	// The player's reads go on in a fresh goroutine: returning frees
	// net/http's per-request state and the stack the handshake grew, which
	// matters with thousands of idle players.
	go func() {
		defer srv.untrack(c)
		srv.safeReadLoop(s, c)
		c.finish()
		unlink()
	}()
}

// clientAddr is whom a connection counts against: the client address a
// trusted relay (the edge) vouches for with a credential (vouched), else
// the TCP peer. X-Forwarded-For alone is never believed: anyone can send it.
func (srv *Server) clientAddr(r *http.Request) (addr string, vouched bool) {
	peer := hostOf(r.RemoteAddr)
	cred := r.Header.Get(token.RelayHeader)
	if cred == "" || srv.cfg.Relays == nil {
		return peer, false
	}
	addr, err := srv.cfg.Relays.VerifyRelay(cred, srv.cfg.GameServer)
	if err != nil {
		srv.cfg.Metrics.rejected("bad_relay_credential")
		srv.log.Debug("relay credential refused: counting the connection against its peer", "remote", r.RemoteAddr, "err", err)
		return peer, false
	}
	return addr, true
}

// safeHandshake is handshake with a panic (in an Authenticator, say) ending
// only this connection.
func (srv *Server) safeHandshake(ctx context.Context, c *conn, slot *handshakeSlot) (s *Session) {
	if srv.guard().Run("handshake", "panic in a connection's handshake", func() { s = srv.handshake(ctx, c, slot) }) {
		c.fail(realtimev1.Error_CODE_INTERNAL, "internal error")
		return nil
	}
	return s
}

// safeReadLoop is readLoop with a panic ending only this connection.
func (srv *Server) safeReadLoop(s *Session, c *conn) {
	if srv.guard().Run("connection", "panic in a connection's reader", func() { srv.readLoop(s, c) }) {
		c.fail(realtimev1.Error_CODE_INTERNAL, "internal error")
	}
}

func (srv *Server) guard() panicguard.Guard {
	return panicguard.Guard{Log: srv.log, Count: srv.cfg.Metrics.recovered}
}

func (srv *Server) track(c *conn) bool {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.draining {
		return false
	}
	srv.conns[c] = struct{}{}
	srv.wg.Add(1)
	return true
}

func (srv *Server) untrack(c *conn) {
	srv.mu.Lock()
	delete(srv.conns, c)
	srv.mu.Unlock()
	srv.wg.Done()
}

func (srv *Server) refuse(c *conn, code realtimev1.Error_Code, msg, reason string) {
	srv.cfg.Metrics.rejected(reason)
	srv.log.Info("connection refused", "reason", reason, "detail", msg, "remote", c.ws.RemoteAddr().String())
	c.fail(code, msg)
}

// handshake reads Hello, authenticates and joins the session; nil means the
// connection was refused and is closing.
func (srv *Server) handshake(ctx context.Context, c *conn, slot *handshakeSlot) *Session {
	ws := c.ws
	ws.SetReadLimit(hardReadLimit)
	deadline := time.Now().Add(srv.cfg.HandshakeTimeout)
	_ = ws.SetReadDeadline(deadline)
	// Attached after the deadline is set: from here a newcomer taking the
	// slot ends the read (and before, attach tells).
	if !srv.handshakes.attach(slot, c) {
		srv.refuseSlotTaken(c)
		return nil
	}
	f, err := srv.readFrame(c, int64(srv.helloLimit()), srv.helloLimit()-frameOverhead)
	if !srv.handshakes.heard(slot) {
		srv.refuseSlotTaken(c)
		return nil
	}
	if err != nil {
		if errors.Is(err, errOversized) {
			err = fmt.Errorf("%w (hello: login payload limit %d bytes)", err, srv.cfg.MaxLoginPayload)
		}
		srv.refuseFrame(c, err)
		return nil
	}
	hello := f.GetHello()
	if hello == nil {
		srv.refuse(c, realtimev1.Error_CODE_MALFORMED_FRAME, "the first frame must be hello", "malformed_frame")
		return nil
	}
	if n := len(hello.Payload); n > srv.cfg.MaxLoginPayload {
		srv.refuse(c, realtimev1.Error_CODE_OVERSIZED_FRAME, fmt.Sprintf("login payload of %d bytes, the limit is %d", n, srv.cfg.MaxLoginPayload), "oversized_frame")
		return nil
	}
	hctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	id, err := srv.auth.Authenticate(hctx, hello.PlayerSessionToken)
	if err != nil {
		srv.refuseAuth(c, err)
		return nil
	}
	var s *Session
	if srv.router != nil {
		if s, err = srv.router.Route(hctx, id); err != nil {
			srv.refuseAuth(c, err)
			return nil
		}
	} else if s = srv.waitSession(hctx); s == nil {
		srv.refuse(c, realtimev1.Error_CODE_REJECTED, "no game session is running on this server", "rejected")
		return nil
	}
	if err := s.join(hctx, c, id, hello.ReconnectToken, hello.Payload); err != nil {
		switch {
		case errors.Is(err, errTokenUsed):
			srv.refuse(c, realtimev1.Error_CODE_TOKEN_USED, tokenUsedReason(c.codec == nil), "token_used")
		case errors.Is(err, errSessionOver):
			srv.refuse(c, realtimev1.Error_CODE_REJECTED, "the game on this server is over: ask the allocator for a new match", "closed")
		case errors.Is(err, errSessionFull):
			srv.refuse(c, realtimev1.Error_CODE_SESSION_FULL, fmt.Sprintf("the session already has %d players", s.cfg.MaxPlayers), "session_full")
		case errors.Is(err, ErrGameFailed):
			srv.refuse(c, realtimev1.Error_CODE_INTERNAL, "the game script failed", "game_failed")
		default:
			srv.refuse(c, realtimev1.Error_CODE_REJECTED, err.Error(), "rejected")
		}
		return nil
	}
	return s
}

// refuseSlotTaken closes a connection whose handshake slot went to a
// newcomer while it sent nothing.
func (srv *Server) refuseSlotTaken(c *conn) {
	srv.refuse(c, realtimev1.Error_CODE_HANDSHAKE_TIMEOUT, "no hello in time: the server is busy with other handshakes", "handshake_slot_taken")
}

func (srv *Server) waitSession(ctx context.Context) *Session {
	for {
		srv.mu.Lock()
		s, changed := srv.session.Load(), srv.changed
		srv.mu.Unlock()
		if s != nil && !s.Closed() {
			return s
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return nil
		}
	}
}

func (srv *Server) readLoop(s *Session, c *conn) {
	ws := c.ws
	_ = ws.SetReadDeadline(time.Now().Add(srv.cfg.PongWait))
	ws.SetPongHandler(func(string) error {
		return ws.SetReadDeadline(time.Now().Add(srv.cfg.PongWait))
	})
	defer s.post(context.Background(), event{kind: evLeave, conn: c})
	// The read deadline moves at most every PongWait/16: each move is a
	// runtime timer update, and a busy player sends many frames a second.
	refreshed := time.Now()
	for {
		f, err := srv.readFrame(c, int64(srv.cfg.MaxPayload+frameOverhead), srv.cfg.MaxPayload)
		if err != nil {
			if errors.Is(err, errMalformed) || errors.Is(err, errOversized) {
				srv.refuseFrame(c, err)
			} else {
				c.abort("read failed")
			}
			return
		}
		if now := time.Now(); now.Sub(refreshed) >= srv.cfg.PongWait/16 {
			_ = ws.SetReadDeadline(now.Add(srv.cfg.PongWait))
			refreshed = now
		}
		if !srv.admitInput(c, f) {
			return
		}
		if p := f.GetPing(); p != nil {
			c.send(EncodeServerFrame(&realtimev1.ServerFrame{Payload: &realtimev1.ServerFrame_Pong{Pong: &realtimev1.Pong{
				ClientTimeMs: p.ClientTimeMs, ServerTimeMs: srv.cfg.Clock.Now().UnixMilli(),
			}}}))
			continue
		}
		select {
		case s.events <- event{kind: evFrame, conn: c, frame: f, at: srv.cfg.Clock.Now()}:
		case <-c.done:
			return
		case <-s.done:
			return
		}
	}
}

// readFrame reads one client message of at most limit bytes and decodes
// it with maxPayload as the payload cap. A message over limit is read to
// its end (so that the error frame is not lost to a reset from closing
// with unread data) and refused whole: a truncated message must never be
// parsed, or the codec would call it malformed instead of oversized.
func (srv *Server) readFrame(c *conn, limit int64, maxPayload int) (*realtimev1.ClientFrame, error) {
	kind, r, err := c.ws.NextReader()
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return nil, errHandshakeTimeout
		}
		if errors.Is(err, websocket.ErrReadLimit) {
			return nil, fmt.Errorf("%w: over %d bytes", errOversized, hardReadLimit)
		}
		return nil, err
	}
	if kind != websocket.BinaryMessage {
		return nil, fmt.Errorf("%w: text frames are not part of the protocol; send binary protobuf frames", errMalformed)
	}
	buf := readBuffers.Get().(*bytes.Buffer)
	defer readBuffers.Put(buf)
	buf.Reset()
	_, err = buf.ReadFrom(io.LimitReader(r, limit+1))
	if err == nil && int64(buf.Len()) > limit {
		n, cerr := io.Copy(io.Discard, r)
		if cerr == nil {
			return nil, fmt.Errorf("%w: a message of %d bytes, the limit is %d", errOversized, int64(buf.Len())+n, limit)
		}
		err = cerr
	}
	if err != nil {
		if errors.Is(err, websocket.ErrReadLimit) {
			return nil, fmt.Errorf("%w: over %d bytes", errOversized, hardReadLimit)
		}
		return nil, err
	}
	return c.decode(buf.Bytes(), maxPayload)
}

// maxTokenBytes is room for a player session token in Hello: tokens are
// at most 4 KiB (the edge reads Hello with the same bound).
const maxTokenBytes = 4 << 10

// helloLimit bounds the first frame: a token, the login payload and the envelope.
func (srv *Server) helloLimit() int { return maxTokenBytes + srv.cfg.MaxLoginPayload + frameOverhead }

// readBuffers hold a frame while it is decoded (decoding copies what it
// keeps): a buffer per frame read was a large part of a busy server's garbage.
var readBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

var errHandshakeTimeout = errors.New("no frame before the deadline")

func (srv *Server) refuseFrame(c *conn, err error) {
	switch {
	case errors.Is(err, errOversized):
		srv.refuse(c, realtimev1.Error_CODE_OVERSIZED_FRAME, err.Error(), "oversized_frame")
	case errors.Is(err, errMalformed):
		srv.refuse(c, realtimev1.Error_CODE_MALFORMED_FRAME, err.Error(), "malformed_frame")
	case errors.Is(err, errHandshakeTimeout):
		srv.refuse(c, realtimev1.Error_CODE_HANDSHAKE_TIMEOUT, fmt.Sprintf("no hello within %s", srv.cfg.HandshakeTimeout), "handshake_timeout")
	default:
		c.abort("read failed")
	}
}

func (srv *Server) refuseAuth(c *conn, err error) {
	switch {
	case errors.Is(err, token.ErrExpired):
		srv.refuse(c, realtimev1.Error_CODE_EXPIRED_TOKEN, "player session token expired: ask the allocator for a new one", "expired_token")
	case errors.Is(err, token.ErrWrongServer):
		srv.refuse(c, realtimev1.Error_CODE_WRONG_SERVER, "player session token is for another game server", "wrong_server")
	case errors.Is(err, ErrSessionFull):
		srv.refuse(c, realtimev1.Error_CODE_SESSION_FULL, "the session is full", "session_full")
	case errors.Is(err, ErrServerFull):
		srv.refuse(c, realtimev1.Error_CODE_SESSION_FULL, err.Error()+": ask the allocator for a new match", "server_full")
	case errors.Is(err, ErrNoNewMatch):
		srv.refuse(c, realtimev1.Error_CODE_REJECTED, err.Error()+": ask the allocator for a new match", "server_closed")
	case errors.Is(err, ErrMatchClaim):
		srv.refuse(c, realtimev1.Error_CODE_REJECTED, err.Error(), "race_claim")
	case errors.Is(err, ErrClosed):
		srv.refuse(c, realtimev1.Error_CODE_REJECTED, "the game on this server is over: ask the allocator for a new match", "closed")
	case errors.Is(err, ErrNotReserved):
		srv.refuse(c, realtimev1.Error_CODE_REJECTED, "no reservation for this player: ask the allocator for a new match", "not_reserved")
	case errors.Is(err, token.ErrInvalid):
		srv.refuse(c, realtimev1.Error_CODE_BAD_TOKEN, "player session token is invalid", "bad_token")
	default:
		srv.log.Error("authenticate player", "err", err)
		srv.refuse(c, realtimev1.Error_CODE_REJECTED, "could not check the player session", "rejected")
	}
}
