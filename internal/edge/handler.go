package edge

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"google.golang.org/protobuf/proto"

	"github.com/leapfrog-games/leapfrog/contract/closecode"
	realtimev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/realtime/v1"
	"github.com/leapfrog-games/leapfrog/contract/token"
	"github.com/leapfrog-games/leapfrog/internal/conncount"
	"github.com/leapfrog-games/leapfrog/internal/panicguard"
)

// maxHelloBytes bounds the first frame: a token is at most 4 KiB and the
// login payload (Hello.payload) 4 KiB by default, as the game server reads it.
const maxHelloBytes = 12 << 10

// closeWait bounds how long a closing side waits for its peer's close frame.
const closeWait = 2 * time.Second

// Handler serves Pattern: it authenticates the player's Hello, dials the
// game server and relays the connection.
type Handler struct {
	cfg      Config
	log      *slog.Logger
	metrics  *metrics
	limits   *conncount.Table // connections per client address and in all
	upgrader websocket.Upgrader
	dialer   websocket.Dialer

	mu         sync.Mutex
	draining   bool
	restarting bool // the drain is over: relays still open are being closed
	relays     map[*relay]struct{}
	wg         sync.WaitGroup
}

var _ http.Handler = (*Handler)(nil)

// NewHandler returns a Handler and registers its metrics on cfg.Registry.
func NewHandler(cfg Config) (*Handler, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	limits, err := conncount.New(c.MaxConnsPerIP, c.MaxConns)
	if err != nil {
		return nil, fmt.Errorf("edge: %w", err)
	}
	m, err := newMetrics(c.Registry)
	if err != nil {
		return nil, fmt.Errorf("edge metrics: %w", err)
	}
	// Both sides share one write buffer pool: an idle relayed connection
	// holds only its two 1 KiB read buffers.
	pool := &sync.Pool{}
	return &Handler{
		cfg: c, log: c.Logger, metrics: m,
		limits: limits,
		upgrader: websocket.Upgrader{
			HandshakeTimeout: c.HandshakeTimeout,
			ReadBufferSize:   1024,
			WriteBufferSize:  1024,
			WriteBufferPool:  pool,
			// The player session token authenticates; no cookies are used,
			// so any origin may connect, as to the game server itself.
			CheckOrigin: func(*http.Request) bool { return true },
		},
		dialer: websocket.Dialer{
			NetDialContext:   c.DialContext,
			HandshakeTimeout: c.HandshakeTimeout,
			ReadBufferSize:   1024,
			WriteBufferSize:  1024,
			WriteBufferPool:  pool,
		},
		relays: make(map[*relay]struct{}),
	}, nil
}

// ServeHTTP serves one player connection.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("gameServer")
	if name == "" {
		name = strings.TrimPrefix(r.URL.Path, PathPrefix)
	}
	if !validName(name) {
		h.metrics.connections.WithLabelValues(outcomeBadPath).Inc()
		http.Error(w, "no such match: the path is "+PathPrefix+"<game server>", http.StatusNotFound)
		return
	}
	ip := clientIP(r, h.cfg.ClientIPHeader)
	if !h.track() {
		h.metrics.connections.WithLabelValues(outcomeDraining).Inc()
		w.Header().Set("Retry-After", "1")
		http.Error(w, "this edge is shutting down: connect again", http.StatusServiceUnavailable)
		return
	}
	defer h.wg.Done()
	count, refused := h.admit(ip)
	if refused != "" {
		h.metrics.connections.WithLabelValues(refused).Inc()
		h.log.Info("connection refused", "reason", refused, "client_ip", ip, "game_server", name)
		w.Header().Set("Retry-After", "1")
		http.Error(w, "too many connections", http.StatusTooManyRequests)
		return
	}
	release := count.Release
	ws, err := h.upgrader.Upgrade(w, r, nil)
	if err != nil {
		release()
		h.metrics.connections.WithLabelValues(outcomeUpgradeFailed).Inc()
		return // the upgrader answered with an HTTP error
	}
	h.metrics.active.Inc()
	log := h.log.With("game_server", name, "client_ip", ip)
	var rl *relay
	if h.guard(log).Run(panicHandshake, "panic in a player's handshake: closing the connection", func() {
		rl = h.handshake(r.Context(), ws, name, ip, log)
	}) {
		h.refuse(ws, realtimev1.Error_CODE_INTERNAL, "edge internal error", outcomeInternalError, log)
	}
	if rl == nil {
		h.metrics.active.Dec()
		release()
		return
	}
	rl.release = release
	h.mu.Lock()
	h.relays[rl] = struct{}{}
	restarting := h.restarting
	h.mu.Unlock()
	h.wg.Add(1)
	// The relay goes on in fresh goroutines: returning frees net/http's
	// per-request state and the stack the handshake grew.
	go rl.run()
	if restarting { // finished its handshake after Shutdown gave up waiting
		rl.restart()
	}
}

// handshake reads Hello, verifies its token, resolves and dials the game
// server and forwards Hello; nil means the client was refused and is closed.
func (h *Handler) handshake(ctx context.Context, ws *websocket.Conn, name, ip string, log *slog.Logger) *relay {
	deadline := time.Now().Add(h.cfg.HandshakeTimeout)
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	ws.SetReadLimit(h.cfg.MaxFrameBytes)
	_ = ws.SetReadDeadline(deadline)
	hello, err := readHello(ws)
	if err != nil {
		h.refuseFrame(ws, err, log)
		return nil
	}
	// The token is checked before anything is dialed or even looked up:
	// the edge opens nothing for a client without a token for this server.
	ps, err := h.cfg.Tokens.VerifyPlayerSession(hello.token, name)
	if err != nil {
		h.refuseToken(ws, err, log)
		return nil
	}
	log = log.With("player", ps.PlayerID)
	addr, err := h.cfg.Resolver.Resolve(ctx, name)
	if err != nil {
		if errors.Is(err, ErrUnknownGameServer) {
			h.refuse(ws, realtimev1.Error_CODE_REJECTED, "no such match on this installation: ask the allocator for a new match", outcomeUnknownServer, log, "err", err)
		} else {
			h.refuse(ws, realtimev1.Error_CODE_REJECTED, "could not find the game server: ask the allocator for a new match", outcomeResolveFailed, log, "err", err)
		}
		return nil
	}
	start := time.Now()
	hdr := http.Header{"X-Forwarded-For": {ip}}
	// The game server counts the player's address, not the edge's, against
	// its caps when a credential signed with the token keys vouches for it.
	// A client address that is no IP (a proxy's odd header) gets none: the
	// game server then counts the edge, as it would count any peer.
	if cred, err := h.cfg.Tokens.MintRelay(ip, name); err == nil {
		hdr.Set(token.RelayHeader, cred)
	} else {
		log.Warn("no relay credential: the game server will count this player against the edge's address", "err", err)
	}
	up, err := h.dialUpstream(ctx, "ws://"+addr+h.cfg.UpstreamPath, hdr)
	if err != nil {
		h.refuse(ws, realtimev1.Error_CODE_SHUTTING_DOWN, "the game server cannot be reached", outcomeDialFailed, log, "address", addr, "err", err)
		return nil
	}
	h.metrics.dial.Observe(time.Since(start).Seconds())
	up.SetReadLimit(h.cfg.MaxFrameBytes)
	_ = up.SetWriteDeadline(time.Now().Add(h.cfg.WriteTimeout))
	if err := up.WriteMessage(websocket.BinaryMessage, hello.raw); err != nil {
		up.Close()
		h.refuse(ws, realtimev1.Error_CODE_SHUTTING_DOWN, "the game server cannot be reached", outcomeDialFailed, log, "address", addr, "err", err)
		return nil
	}
	h.metrics.connections.WithLabelValues(outcomeRelayed).Inc()
	h.metrics.frames[toServer].Inc()
	h.metrics.bytes[toServer].Add(float64(len(hello.raw)))
	log.Debug("relaying", "address", addr)
	return &relay{h: h, client: ws, server: up, log: log, started: start}
}

// dialRetries are the waits before dialing a game server again: a match
// server turns a connection away on accept while it still counts it against
// the edge's address (the first dials of a burst, before the server has
// seen the edge's credential) or while its handshake slots are full, and a
// moment later lets it in.
var dialRetries = []time.Duration{25 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond}

// dialUpstream dials the game server, again after a refusal that may pass
// (a connection closed before any answer, 429, 503), until ctx ends.
func (h *Handler) dialUpstream(ctx context.Context, url string, hdr http.Header) (*websocket.Conn, error) {
	for attempt := 0; ; attempt++ {
		up, resp, err := h.dialer.DialContext(ctx, url, hdr)
		status := 0
		if resp != nil {
			status = resp.StatusCode
			if resp.Body != nil {
				resp.Body.Close()
			}
		}
		if err == nil {
			return up, nil
		}
		passing := status == 0 || status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable
		if !passing || attempt == len(dialRetries) || ctx.Err() != nil {
			return nil, err
		}
		h.metrics.dialRetries.Inc()
		t := time.NewTimer(dialRetries[attempt])
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, err
		}
	}
}

// hello is the first client frame: its bytes, forwarded as they came, and
// the one field the edge reads.
type hello struct {
	raw   []byte
	token string
}

var (
	errMalformed = errors.New("malformed frame")
	errOversized = errors.New("oversized frame")
	errTimeout   = errors.New("no hello before the deadline")
)

func readHello(ws *websocket.Conn) (hello, error) {
	kind, r, err := ws.NextReader()
	if err != nil {
		if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
			return hello{}, errTimeout
		}
		if errors.Is(err, websocket.ErrReadLimit) {
			return hello{}, fmt.Errorf("%w: over the read limit", errOversized)
		}
		return hello{}, err
	}
	if kind != websocket.BinaryMessage {
		return hello{}, fmt.Errorf("%w: text frames are not part of the protocol; send binary protobuf frames", errMalformed)
	}
	b, err := io.ReadAll(io.LimitReader(r, maxHelloBytes+1))
	if err == nil && len(b) > maxHelloBytes {
		_, err = io.Copy(io.Discard, r) // read the rest, so that the error frame is not lost to a reset
		if err == nil {
			err = fmt.Errorf("%w: hello of more than %d bytes", errOversized, maxHelloBytes)
		}
	}
	if err != nil {
		if errors.Is(err, websocket.ErrReadLimit) {
			return hello{}, fmt.Errorf("%w: over the read limit", errOversized)
		}
		return hello{}, err
	}
	// Only the token is read: fields other clients or versions add to
	// Hello pass through untouched, in the forwarded bytes.
	var f realtimev1.ClientFrame
	if err := (proto.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(b, &f); err != nil {
		return hello{}, fmt.Errorf("%w: %v", errMalformed, err)
	}
	hl := f.GetHello()
	if hl == nil {
		return hello{}, fmt.Errorf("%w: the first frame must be hello", errMalformed)
	}
	return hello{raw: b, token: hl.PlayerSessionToken}, nil
}

func (h *Handler) refuseFrame(ws *websocket.Conn, err error, log *slog.Logger) {
	switch {
	case errors.Is(err, errOversized):
		h.refuse(ws, realtimev1.Error_CODE_OVERSIZED_FRAME, err.Error(), outcomeOversizedFrame, log)
	case errors.Is(err, errMalformed):
		h.refuse(ws, realtimev1.Error_CODE_MALFORMED_FRAME, err.Error(), outcomeMalformedFrame, log)
	case errors.Is(err, errTimeout):
		h.refuse(ws, realtimev1.Error_CODE_HANDSHAKE_TIMEOUT, fmt.Sprintf("no hello within %s", h.cfg.HandshakeTimeout), outcomeHandshakeTimeout, log)
	default:
		h.metrics.connections.WithLabelValues(outcomeClientGone).Inc()
		ws.Close()
	}
}

func (h *Handler) refuseToken(ws *websocket.Conn, err error, log *slog.Logger) {
	switch {
	case errors.Is(err, token.ErrExpired):
		h.refuse(ws, realtimev1.Error_CODE_EXPIRED_TOKEN, "player session token expired: ask the allocator for a new one", outcomeExpiredToken, log)
	case errors.Is(err, token.ErrWrongServer):
		h.refuse(ws, realtimev1.Error_CODE_WRONG_SERVER, "player session token is for another game server", outcomeWrongServer, log)
	default:
		h.refuse(ws, realtimev1.Error_CODE_BAD_TOKEN, "player session token is invalid", outcomeBadToken, log, "err", err)
	}
}

// refuse sends a typed Error frame and the close code that goes with it,
// as the game server does (msg is short enough for a close frame), waits briefly for the client's close and closes.
func (h *Handler) refuse(ws *websocket.Conn, code realtimev1.Error_Code, msg, outcome string, log *slog.Logger, attrs ...any) {
	h.metrics.connections.WithLabelValues(outcome).Inc()
	log.Info("connection refused", append([]any{"reason", outcome, "detail", msg}, attrs...)...)
	frame, _ := proto.Marshal(&realtimev1.ServerFrame{Payload: &realtimev1.ServerFrame_Error{
		Error: &realtimev1.Error{Code: code, Message: msg},
	}})
	deadline := time.Now().Add(h.cfg.WriteTimeout)
	_ = ws.SetWriteDeadline(deadline)
	if ws.WriteMessage(websocket.BinaryMessage, frame) == nil &&
		ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(int(closecode.For(code)), msg), deadline) == nil {
		_ = ws.SetReadDeadline(time.Now().Add(closeWait))
		for {
			if _, _, err := ws.NextReader(); err != nil {
				break
			}
		}
	}
	ws.Close()
}

// guard recovers the panics of a goroutine serving one player, so that a
// bad message (or an edge bug it meets) ends that player's connection only.
func (h *Handler) guard(log *slog.Logger) panicguard.Guard {
	return panicguard.Guard{Log: log, Count: h.metrics.panics}
}

func (h *Handler) track() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.draining {
		return false
	}
	h.wg.Add(1)
	return true
}

func (h *Handler) untrack(rl *relay) {
	h.mu.Lock()
	delete(h.relays, rl)
	h.mu.Unlock()
	h.metrics.active.Dec()
	rl.release()
	h.wg.Done()
}

// Shutdown refuses new connections and waits for the relayed ones to end
// until ctx does; then it closes those left with 1012 (service restart), so
// that clients reconnect, through another replica, within the match's grace.
// The game servers see their players leave with 1001.
func (h *Handler) Shutdown(ctx context.Context) error {
	h.mu.Lock()
	h.draining = true
	h.mu.Unlock()
	done := make(chan struct{})
	go func() { h.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	h.mu.Lock()
	h.restarting = true
	left := make([]*relay, 0, len(h.relays))
	for rl := range h.relays {
		left = append(left, rl)
	}
	h.mu.Unlock()
	for _, rl := range left {
		rl.restart()
	}
	<-done
	return ctx.Err()
}

// validName accepts a Kubernetes object name (DNS-1123 subdomain).
func validName(s string) bool {
	if len(s) == 0 || len(s) > 253 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
		if !alnum && ((c != '-' && c != '.') || i == 0 || i == len(s)-1) {
			return false
		}
	}
	return true
}
