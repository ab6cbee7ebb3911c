package script

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"google.golang.org/protobuf/proto"

	realtimev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/realtime/v1"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime"
)

// testClock is a realtime.Clock that moves only when told.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// idAuth takes the token as the player id: these tests are about scripts,
// not tokens (the host's tests cover those).
type idAuth struct{}

func (idAuth) Authenticate(_ context.Context, tok string) (realtime.Identity, error) {
	return realtime.Identity{PlayerID: tok, TokenID: tok}, nil
}

// syncBuffer collects logs written from the session's goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// rig runs one scripted session behind a real WebSocket server on 127.0.0.1.
type rig struct {
	t     testing.TB
	sess  *realtime.Session
	clock *testClock
	url   string
	logs  *syncBuffer
}

func load(t testing.TB, dir string, cfg Config) *Program {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	src, err := Load(dir, "index.js")
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewProgram(src, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func newRig(t testing.TB, dir string, cfg Config) *rig {
	t.Helper()
	logs := &syncBuffer{}
	clock := &testClock{now: time.Date(2026, 11, 29, 8, 0, 0, 0, time.UTC)}
	cfg.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg.Clock = clock
	prog := load(t, dir, cfg)
	game, err := prog.NewGame()
	if err != nil {
		t.Fatal(err)
	}
	rc := prog.Realtime(realtime.Config{GameServer: "gs-1", Clock: clock, Logger: cfg.Logger})
	return startRig(t, game, rc, clock, logs)
}

// startRig serves game's session on 127.0.0.1 with rc, whose Clock is clock.
func startRig(t testing.TB, game realtime.Game, rc realtime.Config, clock *testClock, logs *syncBuffer) *rig {
	t.Helper()
	srv, err := realtime.NewServer(rc, idAuth{})
	if err != nil {
		t.Fatal(err)
	}
	s, err := realtime.NewSession("s1", rc, game)
	if err != nil {
		t.Fatal(err)
	}
	srv.SetSession(s)
	hs := httptest.NewServer(srv)
	ctx, cancel := context.WithCancel(context.Background())
	go s.Run(ctx)
	t.Cleanup(func() {
		cancel()
		<-s.Done()
		srv.Drain()
		hs.Close()
		// The server's side of each connection holds the session (and the
		// script's heap) until it is done: wait, so no test sees another's.
		wctx, stop := context.WithTimeout(context.Background(), 10*time.Second)
		defer stop()
		if err := srv.Wait(wctx); err != nil {
			t.Errorf("connections still open: %v", err)
		}
	})
	return &rig{t: t, sess: s, clock: clock, url: "ws" + strings.TrimPrefix(hs.URL, "http"), logs: logs}
}

// advance moves the clock and runs one tick on the session's goroutine.
func (r *rig) advance(d time.Duration) {
	r.clock.Add(d)
	r.sess.Do(context.Background(), r.sess.Tick)
}

// outcome waits for the session to end and returns its outcome.
func (r *rig) outcome() string {
	r.t.Helper()
	select {
	case <-r.sess.Done():
		return r.sess.Outcome()
	case <-time.After(10 * time.Second):
		r.t.Fatal("the session did not end")
		return ""
	}
}

// peer is a raw Leapfrog-protocol client.
type peer struct {
	t  testing.TB
	ws *websocket.Conn
	id int32
}

func (r *rig) join(playerID string) *peer {
	r.t.Helper()
	p := r.dial(playerID)
	w := p.frame(func(f *realtimev1.ServerFrame) bool { return f.GetWelcome() != nil || f.GetError() != nil })
	if w.GetWelcome() == nil {
		r.t.Fatalf("%s refused: %v", playerID, w.GetError())
	}
	p.id = w.GetWelcome().PeerId
	return p
}

func (r *rig) dial(playerID string) *peer {
	r.t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial(r.url, nil)
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() { ws.Close() })
	p := &peer{t: r.t, ws: ws}
	p.send(&realtimev1.ClientFrame{Payload: &realtimev1.ClientFrame_Hello{Hello: &realtimev1.Hello{PlayerSessionToken: playerID}}})
	return p
}

func (p *peer) send(f *realtimev1.ClientFrame) {
	p.t.Helper()
	b, err := proto.Marshal(f)
	if err != nil {
		p.t.Fatal(err)
	}
	if err := p.ws.WriteMessage(websocket.BinaryMessage, b); err != nil {
		p.t.Fatal(err)
	}
}

func (p *peer) message(op int32, payload string, targetPeer, targetGroup int32) {
	p.send(&realtimev1.ClientFrame{Payload: &realtimev1.ClientFrame_Message{Message: &realtimev1.GameMessage{
		OpCode: op, Payload: []byte(payload), TargetPeer: targetPeer, TargetGroup: targetGroup,
	}}})
}

var errClosed = errors.New("connection closed")

// read returns the next frame, or errClosed with the close code.
func (p *peer) read() (*realtimev1.ServerFrame, int, error) {
	_ = p.ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, b, err := p.ws.ReadMessage()
	if err != nil {
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return nil, ce.Code, errClosed
		}
		return nil, 0, err
	}
	f := &realtimev1.ServerFrame{}
	return f, 0, proto.Unmarshal(b, f)
}

// frame skips frames until match.
func (p *peer) frame(match func(*realtimev1.ServerFrame) bool) *realtimev1.ServerFrame {
	p.t.Helper()
	for {
		f, code, err := p.read()
		if err != nil {
			p.t.Fatalf("waiting for a frame: %v (close %d)", err, code)
		}
		if match(f) {
			return f
		}
	}
}

// game waits for a game message with op code op.
func (p *peer) game(op int32) *realtimev1.GameMessage {
	p.t.Helper()
	return p.frame(func(f *realtimev1.ServerFrame) bool { return f.GetMessage().GetOpCode() == op }).GetMessage()
}

// closed waits for the close and returns its code; frames before it are skipped.
func (p *peer) closed() int {
	p.t.Helper()
	for {
		_, code, err := p.read()
		if errors.Is(err, errClosed) {
			return code
		}
		if err != nil {
			p.t.Fatalf("waiting for the close: %v", err)
		}
	}
}
