package realtime

import (
	"errors"
	"net"

	realtimev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/realtime/v1"
)

// Linker is a Codec whose player may also send input over a second
// transport the codec runs itself (GameLift Realtime's UDP fast channel).
// The server hands it the connection's Link before the handshake and
// calls Unlink once the connection is over, so that the codec can forget
// what it keeps about the player.
type Linker interface {
	Codec
	Link(l *Link)
	Unlink()
}

// Link is a connection's door for input that did not come over its
// WebSocket. Input goes through the same input budget and the same
// session queue as the WebSocket's, so the session's goroutine stays the
// only owner of its state.
type Link struct {
	srv     *Server
	c       *conn
	relayed bool
}

// RemoteAddr is the address the connection's WebSocket comes from.
func (l *Link) RemoteAddr() net.Addr { return l.c.ws.RemoteAddr() }

// Relayed reports whether the WebSocket came through a relay (the edge,
// which names the client in X-Forwarded-For): RemoteAddr is then the
// relay's, and the client cannot be reached by another transport.
func (l *Link) Relayed() bool { return l.relayed }

// MaxPayload is the server's game message payload cap (Config.MaxPayload).
func (l *Link) MaxPayload() int { return l.srv.cfg.MaxPayload }

// Errors of Link.Input.
var (
	// ErrNotAdmitted: the connection has no session (before Welcome, or closing).
	ErrNotAdmitted = errors.New("the connection is not in a session")
	// ErrInputRefused: the frame broke the connection's input budget,
	// which closed the connection (CODE_RATE_LIMITED).
	ErrInputRefused = errors.New("input refused: over the input budget")
	// ErrInputQueueFull: the session's queue was full and the frame was
	// dropped; a datagram reader must not wait for one session.
	ErrInputQueueFull = errors.New("the session's input queue is full")
)

// Input hands a client frame to the connection's session as if it had
// come over the WebSocket, without waiting: a full session queue drops it.
// Pings are not accepted here. Safe for any goroutine.
func (l *Link) Input(f *realtimev1.ClientFrame) error {
	c := l.c
	s := c.session.Load()
	if s == nil || !c.admitted.Load() || f.GetPing() != nil || f.GetHello() != nil {
		return ErrNotAdmitted
	}
	select {
	case <-c.done:
		return ErrNotAdmitted
	default:
	}
	if !l.srv.admitInput(c, f) {
		return ErrInputRefused
	}
	select {
	case s.events <- event{kind: evFrame, conn: c, frame: f, at: l.srv.cfg.Clock.Now()}:
		return nil
	default:
		return ErrInputQueueFull
	}
}

// admitInput takes f out of the connection's input budget, shared by every
// transport of the connection; over the budget it closes the connection
// with CODE_RATE_LIMITED and reports false.
func (srv *Server) admitInput(c *conn, f *realtimev1.ClientFrame) bool {
	c.inputMu.Lock()
	if c.budget == nil {
		c.budget = newInputBudget(srv.cfg.InputRate, srv.cfg.InputBurst)
	}
	err := c.budget.allow(f, srv.cfg.Clock.Now())
	c.inputMu.Unlock()
	if err != nil {
		srv.refuse(c, realtimev1.Error_CODE_RATE_LIMITED, "too many frames: "+err.Error(), "rate_limited")
		return false
	}
	return true
}

// tokenUsedReason is the refusal of a player session token used before.
// Only Leapfrog's own clients can send a reconnect token; a GameLift
// Realtime client (the SDK never sends one) is told to log in with a
// fresh player session id, which keeps its place and peer id.
func tokenUsedReason(leapfrogClient bool) string {
	if leapfrogClient {
		return "this player session token was already used: reconnect with the reconnect token of the last Welcome, or ask the allocator for a new match"
	}
	return "player session id already used: log in with a fresh one from POST /v1/match (same place, same peer id)"
}
