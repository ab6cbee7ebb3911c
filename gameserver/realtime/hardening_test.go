package realtime_test

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/protobuf/proto"

	"github.com/leapfrog-games/leapfrog/contract/closecode"
	realtimev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/realtime/v1"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime"
	"github.com/leapfrog-games/leapfrog/internal/panicguard/panicguardtest"
)

// hello says hello with raw and the reconnect token, returning the answer:
// the Welcome, or the Error and close code.
func (c *client) hello(raw, reconnect string) (*realtimev1.Welcome, *realtimev1.Error, int) {
	c.t.Helper()
	c.send(&realtimev1.ClientFrame{Payload: &realtimev1.ClientFrame_Hello{Hello: &realtimev1.Hello{PlayerSessionToken: raw, ReconnectToken: reconnect}}})
	for {
		_, b, err := c.ws.ReadMessage()
		if err != nil {
			return nil, nil, c.closeCode(err)
		}
		f := decodeServerFrame(c.t, b)
		if w := f.GetWelcome(); w != nil {
			return w, nil, 0
		}
		if e := f.GetError(); e != nil {
			_, code := c.expectClose()
			return nil, e, code
		}
	}
}

func TestTokenAdmitsOncePerConnectionEpoch(t *testing.T) {
	r := newRig(t, realtime.Config{})
	raw := r.token(t, "alice")
	a := r.dial(t)
	w, _, _ := a.hello(raw, "")
	if w == nil || w.ReconnectToken == "" {
		t.Fatalf("welcome without a reconnect token: %v", w)
	}

	// A replay of the token cannot kick its owner.
	{
		thief := r.dial(t)
		if _, e, code := thief.hello(raw, ""); e.GetCode() != realtimev1.Error_CODE_TOKEN_USED || code != int(closecode.TokenUsed) {
			t.Fatalf("replay: %v %d, want token used and %d", e, code, int(closecode.TokenUsed))
		}
		if _, e, code := r.dial(t).hello(raw, "guessed"); code != int(closecode.TokenUsed) {
			t.Fatalf("replay with a wrong reconnect token: %v %d", e, code)
		}
		a.game(opEcho, []byte("still here"))
		if m := a.next().GetMessage(); string(m.GetPayload()) != "still here" {
			t.Fatalf("the owner lost its connection: %v", m)
		}
	}
	// The owner comes back on the same token with its reconnect token.
	{
		a.ws.Close()
		a2 := r.dial(t)
		w2, e, code := a2.hello(raw, w.ReconnectToken)
		if w2 == nil || !w2.Reconnected || w2.PeerId != w.PeerId {
			t.Fatalf("reconnect refused: %v %v %d", w2, e, code)
		}
		if w2.ReconnectToken == w.ReconnectToken {
			t.Fatal("the reconnect token did not change with the epoch")
		}
		if _, _, code := r.dial(t).hello(raw, w.ReconnectToken); code != int(closecode.TokenUsed) {
			t.Fatalf("the previous epoch's reconnect token still admits: close %d", code)
		}
		a = a2
	}
	// A fresh token from the allocator replaces the connection.
	{
		a3 := r.dial(t)
		if w3, e, code := a3.hello(r.token(t, "alice"), ""); w3 == nil {
			t.Fatalf("fresh token refused: %v %d", e, code)
		}
		if e, code := a.expectClose(); e.GetCode() != realtimev1.Error_CODE_REPLACED || code != int(closecode.Replaced) {
			t.Fatalf("old connection: %v %d", e, code)
		}
	}
}

func TestGamePanicEndsOnlyItsSession(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := realtime.NewMetrics(reg)
	crashing := newRig(t, realtime.Config{Metrics: m})
	healthy := newRig(t, realtime.Config{Metrics: m})
	a, b := crashing.join(t, "alice"), crashing.join(t, "bob")
	c := healthy.join(t, "carol")

	a.game(opPanic, nil)
	for _, p := range []*client{a, b} {
		if e, code := p.expectClose(); e.GetCode() != realtimev1.Error_CODE_INTERNAL || code != int(closecode.Internal) {
			t.Fatalf("after the panic: %v %d, want internal error and %d", e, code, int(closecode.Internal))
		}
	}
	<-crashing.session.Done()
	if got := crashing.session.Outcome(); got != realtime.OutcomeCrashed {
		t.Errorf("outcome = %q, want %q", got, realtime.OutcomeCrashed)
	}
	c.game(opEcho, []byte("unaffected"))
	if msg := c.next().GetMessage(); string(msg.GetPayload()) != "unaffected" {
		t.Fatalf("the other session: %v", msg)
	}
	if n := panics(t, reg, "session"); n != 1 {
		t.Errorf("leapfrog_realtime_panics_total{where=session} = %v, want 1", n)
	}
}

func panics(t *testing.T, reg *prometheus.Registry, where string) float64 {
	t.Helper()
	return panicguardtest.Count(t, reg, "leapfrog_realtime_panics_total", where)
}

// panicAuth is an Authenticator with a bug.
type panicAuth struct{}

func (panicAuth) Authenticate(context.Context, string) (realtime.Identity, error) {
	panic("authenticator bug")
}

func TestHandshakePanicEndsOnlyThatConnection(t *testing.T) {
	srv, err := realtime.NewServer(realtime.Config{GameServer: "gs-1", Logger: discard()}, panicAuth{})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	for range 2 { // the server survives the first
		ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(hs.URL, "http"), nil)
		if err != nil {
			t.Fatal(err)
		}
		c := &client{t: t, ws: ws}
		_ = ws.SetReadDeadline(time.Now().Add(20 * time.Second))
		if _, e, code := c.hello("anything", ""); e.GetCode() != realtimev1.Error_CODE_INTERNAL || code != int(closecode.Internal) {
			t.Fatalf("got %v %d", e, code)
		}
		ws.Close()
	}
}

func TestInputFloodIsRateLimited(t *testing.T) {
	tests := []struct {
		name  string
		frame *realtimev1.ClientFrame
	}{
		{"game messages", &realtimev1.ClientFrame{Payload: &realtimev1.ClientFrame_Message{Message: &realtimev1.GameMessage{OpCode: 99}}}},
		{"join group", &realtimev1.ClientFrame{Payload: &realtimev1.ClientFrame_JoinGroup{JoinGroup: &realtimev1.JoinGroup{GroupId: 1}}}},
		{"leave group", &realtimev1.ClientFrame{Payload: &realtimev1.ClientFrame_LeaveGroup{LeaveGroup: &realtimev1.LeaveGroup{GroupId: 7}}}},
		{"pings", &realtimev1.ClientFrame{Payload: &realtimev1.ClientFrame_Ping{Ping: &realtimev1.Ping{}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, realtime.Config{InputRate: 5, InputBurst: 10, SendQueue: 4096})
			flooder, other := r.join(t, "flooder"), r.join(t, "other")
			b := encodeClientFrame(t, tt.frame)
			go func() { // the flooder writes while the test reads its answers
				for range 2000 {
					if flooder.ws.WriteMessage(websocket.BinaryMessage, b) != nil {
						return
					}
				}
			}()
			if e, code := flooder.expectClose(); e.GetCode() != realtimev1.Error_CODE_RATE_LIMITED || code != int(closecode.RateLimited) {
				t.Fatalf("flooder: %v %d, want rate limited and %d", e, code, int(closecode.RateLimited))
			}
			other.game(opEcho, []byte("fine"))
			for {
				f := other.next()
				if m := f.GetMessage(); m != nil {
					if string(m.GetPayload()) != "fine" {
						t.Fatalf("other player got %v", m)
					}
					break
				}
			}
		})
	}
}

func TestGroupsAreBounded(t *testing.T) {
	r := newRig(t, realtime.Config{MaxGroupsPerPlayer: 2})
	a := r.join(t, "alice")
	join := func(g int32) *realtimev1.ServerFrame {
		a.send(&realtimev1.ClientFrame{Payload: &realtimev1.ClientFrame_JoinGroup{JoinGroup: &realtimev1.JoinGroup{GroupId: g}}})
		return a.next()
	}
	join(1)
	join(2)
	if e := join(3).GetError(); e.GetCode() != realtimev1.Error_CODE_INVALID_TARGET || !strings.Contains(e.GetMessage(), "at most 2 groups") {
		t.Fatalf("third group: %v, want an invalid target error", e)
	}
	a.send(&realtimev1.ClientFrame{Payload: &realtimev1.ClientFrame_GroupMembershipRequest{GroupMembershipRequest: &realtimev1.GroupMembershipRequest{GroupId: 3}}})
	if m := a.next().GetGroupMembership(); m.GetGroupId() != 3 || len(m.GetPeerIds()) != 0 {
		t.Fatalf("group 3 membership: %v, want empty", m)
	}
}

func TestHandshakesAreBounded(t *testing.T) {
	r := newRig(t, realtime.Config{MaxHandshakes: 1, HandshakeTimeout: 10 * time.Second})
	r.dial(t) // holds the only handshake place: no Hello yet
	_, resp, err := websocket.DefaultDialer.Dial(r.url, nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("second handshake: %v %v, want 503 with Retry-After", err, resp)
	}
}

func TestLimitListenerCapsConnectionsPerIP(t *testing.T) {
	srv, err := realtime.NewServer(realtime.Config{GameServer: "gs-1", Logger: discard(), MaxConnections: 3, MaxConnectionsPerIP: 2}, panicAuth{})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: time.Second}
	go func() { _ = hs.Serve(srv.LimitListener(ln)) }()
	t.Cleanup(func() { hs.Close() })

	open := func() net.Conn {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	// A keep-alive request proves the connection was accepted and kept.
	alive := func(c net.Conn) bool {
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := c.Write([]byte("GET /ws HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
			return false
		}
		buf := make([]byte, 12)
		n, err := c.Read(buf)
		return err == nil && strings.HasPrefix(string(buf[:n]), "HTTP/1.1")
	}
	first, second := open(), open()
	if !alive(first) || !alive(second) {
		t.Fatal("connections within the cap were not served")
	}
	third := open()
	if alive(third) {
		t.Fatal("a third connection from one address was served, the cap is 2")
	}
	first.Close()
	// The place comes back once the first is closed (the server notices the
	// close on its next read, so try until it does, bounded).
	deadline := time.Now().Add(10 * time.Second)
	for !alive(open()) {
		if time.Now().After(deadline) {
			t.Fatal("the place of a closed connection never came back")
		}
	}
}

// endGame records what its OnEnd saw.
type endGame struct {
	echoGame
	seen chan string
}

func (g endGame) OnEnd(s *realtime.Session) { g.seen <- s.Outcome() }

func TestOnEndSeesTheOutcome(t *testing.T) {
	g := endGame{seen: make(chan string, 1)}
	r := newGameRig(t, realtime.Config{}, g)
	r.session.Shutdown(context.Background(), "test")
	if got := <-g.seen; got != realtime.OutcomeShutdown {
		t.Fatalf("OnEnd saw outcome %q, want %q", got, realtime.OutcomeShutdown)
	}
}

func TestConfigRefusesNegatives(t *testing.T) {
	tests := []struct {
		name string
		cfg  realtime.Config
	}{
		{"handshake timeout", realtime.Config{HandshakeTimeout: -time.Second}},
		{"pong wait", realtime.Config{PongWait: -time.Second}},
		{"write timeout", realtime.Config{WriteTimeout: -1}},
		{"no-show timeout", realtime.Config{NoShowTimeout: -time.Minute}},
		{"empty timeout", realtime.Config{EmptyTimeout: -time.Minute}},
		{"send queue", realtime.Config{SendQueue: -1}},
		{"input rate", realtime.Config{InputRate: -1}},
		{"input burst", realtime.Config{InputBurst: -1}},
		{"max connections", realtime.Config{MaxConnections: -1}},
		{"max connections per IP", realtime.Config{MaxConnectionsPerIP: -1}},
		{"max handshakes", realtime.Config{MaxHandshakes: -1}},
		{"max groups per player", realtime.Config{MaxGroupsPerPlayer: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.GameServer = "gs"
			_, err := realtime.NewSession("s", tt.cfg, echoGame{})
			if err == nil || !strings.Contains(err.Error(), tt.name) {
				t.Fatalf("NewSession = %v, want an error naming %q", err, tt.name)
			}
		})
	}
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

func decodeServerFrame(t *testing.T, b []byte) *realtimev1.ServerFrame {
	t.Helper()
	f := &realtimev1.ServerFrame{}
	if err := proto.Unmarshal(b, f); err != nil {
		t.Fatalf("decode: %v", err)
	}
	return f
}

func encodeClientFrame(t *testing.T, f *realtimev1.ClientFrame) []byte {
	t.Helper()
	b, err := proto.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
