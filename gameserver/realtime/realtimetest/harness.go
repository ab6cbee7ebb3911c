package realtimetest

import (
	"fmt"
	"log/slog"
	"time"

	"google.golang.org/protobuf/proto"

	realtimev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/realtime/v1"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime"
)

// Harness drives a session on the caller's goroutine with a fake clock and
// in-memory connections: no network, no sleeps.
type Harness struct {
	Session *realtime.Session
	Clock   *FakeClock
	d       *realtime.Driver
	tokens  int
}

// NewHarness starts a session for game at start; cfg.Clock is replaced, and
// an empty GameServer or Logger is filled in.
func NewHarness(cfg realtime.Config, game realtime.Game, start time.Time) (*Harness, error) {
	clock := NewFakeClock(start)
	cfg.Clock = clock
	if cfg.GameServer == "" {
		cfg.GameServer = "harness"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s, err := realtime.NewSession("harness", cfg, game)
	if err != nil {
		return nil, err
	}
	return &Harness{Session: s, Clock: clock, d: realtime.Drive(s)}, nil
}

// Connect admits playerID on a new in-memory connection, as a real
// connection with a fresh token from the allocator would be.
func (h *Harness) Connect(playerID string) (*TestClient, error) {
	h.tokens++
	return h.ConnectWith(realtime.Identity{PlayerID: playerID, TokenID: fmt.Sprintf("token-%d", h.tokens)}, "")
}

// ConnectWith admits a connection whose token says id and whose Hello
// carried reconnectToken.
func (h *Harness) ConnectWith(id realtime.Identity, reconnectToken string) (*TestClient, error) {
	c, err := h.d.Connect(id, reconnectToken)
	if err != nil {
		return nil, err
	}
	return &TestClient{c: c}, nil
}

// SetReservations applies a players list, as the Agones watch would.
func (h *Harness) SetReservations(ids ...string) { h.d.SetReservations(ids...) }

// Advance moves the clock by d and runs one tick.
func (h *Harness) Advance(d time.Duration) {
	h.Clock.Add(d)
	h.d.Tick()
}

// NextWake is when a real session would next tick (see realtime.Sleeper).
func (h *Harness) NextWake() time.Time { return h.d.NextWake() }

// Ended reports whether the session ended, and how.
func (h *Harness) Ended() (bool, string) { return h.d.Ended() }

// TestClient is an in-memory player connection.
type TestClient struct {
	c *realtime.LocalConn
}

// Send delivers a game message from this client to the session now.
func (c *TestClient) Send(opCode int32, payload []byte) {
	c.SendFrame(&realtimev1.ClientFrame{Payload: &realtimev1.ClientFrame_Message{Message: &realtimev1.GameMessage{OpCode: opCode, Payload: payload}}})
}

// SendFrame delivers any client frame to the session now.
func (c *TestClient) SendFrame(f *realtimev1.ClientFrame) { c.c.Send(f) }

// Drop loses the connection, as a network failure would.
func (c *TestClient) Drop() { c.c.Drop() }

// Closed reports whether the server closed this connection, with the code.
func (c *TestClient) Closed() (bool, int) { return c.c.Closed() }

// Frames returns and forgets every frame queued for this client.
func (c *TestClient) Frames() []*realtimev1.ServerFrame {
	var fs []*realtimev1.ServerFrame
	for {
		b, ok := c.c.Next()
		if !ok {
			return fs
		}
		f := &realtimev1.ServerFrame{}
		if err := proto.Unmarshal(b, f); err != nil {
			panic(fmt.Sprintf("the server queued an undecodable frame: %v", err))
		}
		fs = append(fs, f)
	}
}

// Messages returns the game messages among Frames.
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
		if _, ok := c.c.Next(); !ok {
			return
		}
	}
}
