package realtime

import (
	"log/slog"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"

	realtimev1 "github.com/leapfrog-games/leapfrog/gameserver/proto/leapfrog/realtime/v1"
)

// Harness drives a session on the caller's goroutine with a fake clock and
// in-memory connections: no network, no sleeps. It is for testing games.
type Harness struct {
	Session *Session
	Clock   *FakeClock
}

// FakeClock is a Clock that moves only when told.
type FakeClock struct {
	mu  sync.Mutex
	now time.Time
}

// NewFakeClock starts a fake clock at t.
func NewFakeClock(t time.Time) *FakeClock { return &FakeClock{now: t} }

// Now returns the fake time.
func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Add moves the clock forward.
func (c *FakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// NewHarness starts a session for game at start; cfg.Clock is replaced.
func NewHarness(cfg Config, game Game, start time.Time) (*Harness, error) {
	clock := NewFakeClock(start)
	cfg.Clock = clock
	if cfg.GameServer == "" {
		cfg.GameServer = "harness"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s, err := NewSession("harness", cfg, game)
	if err != nil {
		return nil, err
	}
	s.now = clock.Now()
	s.lastActive = s.now
	game.OnStart(s)
	return &Harness{Session: s, Clock: clock}, nil
}

// TestClient is an in-memory player connection.
type TestClient struct {
	h *Harness
	c *conn
}

// Connect admits playerID on a new in-memory connection, as a real
// connection with a valid token would be.
func (h *Harness) Connect(playerID string) (*TestClient, error) {
	c := &conn{out: make(chan []byte, h.Session.cfg.SendQueue), done: make(chan struct{}), closed: make(chan struct{}), cfg: &h.Session.cfg}
	h.Session.now = h.Clock.Now()
	if err := h.Session.admit(c, playerID); err != nil {
		return nil, err
	}
	return &TestClient{h: h, c: c}, nil
}

// SetReservations applies a players list, as the Agones watch would.
func (h *Harness) SetReservations(ids ...string) {
	h.Session.updateReservations(ids)
	h.Session.mu.Lock()
	h.Session.reserved = map[string]bool{}
	for _, id := range ids {
		h.Session.reserved[id] = true
	}
	h.Session.mu.Unlock()
}

// Advance moves the clock by d and runs one tick.
func (h *Harness) Advance(d time.Duration) {
	h.Clock.Add(d)
	h.Session.Tick()
}

// Ended reports whether the session ended, and how.
func (h *Harness) Ended() (bool, string) { return h.Session.ended, h.Session.outcome }

// Send delivers a game message from this client to the session now.
func (c *TestClient) Send(opCode int32, payload []byte) {
	c.h.Session.now = c.h.Clock.Now()
	c.h.Session.dispatch(c.c, &realtimev1.ClientFrame{Payload: &realtimev1.ClientFrame_Message{Message: &realtimev1.GameMessage{OpCode: opCode, Payload: payload}}}, c.h.Session.now)
}

// Drop loses the connection, as a network failure would.
func (c *TestClient) Drop() {
	c.h.Session.now = c.h.Clock.Now()
	c.h.Session.disconnect(c.c)
	c.c.closeWith(CloseNormal, "dropped", nil)
}

// Closed reports whether the server closed this connection, with the code.
func (c *TestClient) Closed() (bool, int) {
	select {
	case <-c.c.done:
		return true, c.c.closeCode
	default:
		return false, 0
	}
}

// Frames returns and forgets every frame queued for this client.
func (c *TestClient) Frames() []*realtimev1.ServerFrame {
	var fs []*realtimev1.ServerFrame
	for {
		select {
		case b := <-c.c.out:
			f := &realtimev1.ServerFrame{}
			if err := proto.Unmarshal(b, f); err != nil {
				panic(err)
			}
			fs = append(fs, f)
		default:
			return fs
		}
	}
}

// Messages returns the game messages among Frames, by op code.
func (c *TestClient) Messages() []*realtimev1.GameMessage {
	var ms []*realtimev1.GameMessage
	for _, f := range c.Frames() {
		if m := f.GetMessage(); m != nil {
			ms = append(ms, m)
		}
	}
	return ms
}

// Discard drops queued frames without decoding them.
func (c *TestClient) Discard() {
	for {
		select {
		case <-c.c.out:
		default:
			return
		}
	}
}
