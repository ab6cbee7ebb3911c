package realtime_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"google.golang.org/protobuf/proto"

	"github.com/leapfrog-games/leapfrog/contract/closecode"
	realtimev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/realtime/v1"
	"github.com/leapfrog-games/leapfrog/contract/token"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime"
)

const (
	opEcho  = 1 // the echo game broadcasts it back to everyone
	opFlood = 2 // the echo game broadcasts its payload 20,000 times
	opPanic = 3 // the echo game panics
)

// echoGame broadcasts op 1 and knows no other op code.
type echoGame struct{}

func (echoGame) OnStart(*realtime.Session)                                 {}
func (echoGame) OnPlayerConnect(*realtime.Session, *realtime.Player) error { return nil }
func (echoGame) OnPlayerAccepted(*realtime.Session, *realtime.Player)      {}
func (echoGame) OnPlayerDisconnect(*realtime.Session, *realtime.Player)    {}
func (echoGame) OnTick(*realtime.Session, time.Time)                       {}
func (echoGame) OnEnd(*realtime.Session)                                   {}
func (echoGame) OnMessage(s *realtime.Session, p *realtime.Player, m realtime.Message) error {
	switch m.OpCode {
	case opEcho:
		s.Broadcast(opEcho, m.Payload)
	case opFlood:
		for i := 0; i < 20000 && p.Connected(); i++ {
			s.Send(p, opFlood, m.Payload)
		}
	case opPanic:
		panic("the game has a bug")
	default:
		return realtime.ErrUnknownOpCode
	}
	return nil
}

type tokenAuth struct {
	issuer *token.Issuer
	server string
}

func (a tokenAuth) Authenticate(_ context.Context, raw string) (realtime.Identity, error) {
	ps, err := a.issuer.VerifyPlayerSession(raw, a.server)
	return realtime.Identity{PlayerID: ps.PlayerID, TokenID: ps.ID}, err
}

type rig struct {
	url     string
	keys    *token.Keyset
	issuer  *token.Issuer
	srv     *realtime.Server
	session *realtime.Session
}

func newRig(t testing.TB, cfg realtime.Config) *rig {
	t.Helper()
	return newGameRig(t, cfg, echoGame{})
}

func newGameRig(t testing.TB, cfg realtime.Config, game realtime.Game) *rig {
	t.Helper()
	keys, err := token.GenerateKeyset("test")
	if err != nil {
		t.Fatal(err)
	}
	cfg.GameServer = "gs-1"
	cfg.Logger = slog.New(slog.DiscardHandler)
	issuer := token.NewIssuer(keys, nil)
	srv, err := realtime.NewServer(cfg, tokenAuth{issuer, "gs-1"})
	if err != nil {
		t.Fatal(err)
	}
	s, err := realtime.NewSession("s1", cfg, game)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go s.Run(ctx)
	srv.SetSession(s)
	hs := httptest.NewServer(srv)
	t.Cleanup(func() {
		cancel()
		<-s.Done()
		hs.Close()
	})
	return &rig{url: "ws" + strings.TrimPrefix(hs.URL, "http"), keys: keys, issuer: issuer, srv: srv, session: s}
}

func (r *rig) token(t testing.TB, player string) string {
	t.Helper()
	raw, _, err := r.issuer.MintPlayerSession(player, "gs-1", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

type client struct {
	t  *testing.T
	ws *websocket.Conn
}

func (r *rig) dial(t *testing.T) *client {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial(r.url, nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { ws.Close() })
	_ = ws.SetReadDeadline(time.Now().Add(20 * time.Second))
	return &client{t: t, ws: ws}
}

// join dials and says hello with a valid token, expecting Welcome.
func (r *rig) join(t *testing.T, player string) *client {
	c := r.dial(t)
	c.send(&realtimev1.ClientFrame{Payload: &realtimev1.ClientFrame_Hello{Hello: &realtimev1.Hello{PlayerSessionToken: r.token(t, player)}}})
	if w := c.next().GetWelcome(); w == nil || w.PlayerId != player || w.MaxPayloadBytes != 4096 {
		t.Fatalf("no welcome for %s: %v", player, w)
	}
	return c
}

func (c *client) send(f *realtimev1.ClientFrame) {
	b, err := proto.Marshal(f)
	if err != nil {
		c.t.Fatal(err)
	}
	c.raw(websocket.BinaryMessage, b)
}

func (c *client) raw(kind int, b []byte) {
	if err := c.ws.WriteMessage(kind, b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

func (c *client) game(op int32, payload []byte) {
	c.send(&realtimev1.ClientFrame{Payload: &realtimev1.ClientFrame_Message{Message: &realtimev1.GameMessage{OpCode: op, Payload: payload}}})
}

// next reads the next frame that is not a peer event.
func (c *client) next() *realtimev1.ServerFrame {
	c.t.Helper()
	for {
		_, b, err := c.ws.ReadMessage()
		if err != nil {
			c.t.Fatalf("read: %v", err)
		}
		f := &realtimev1.ServerFrame{}
		if err := proto.Unmarshal(b, f); err != nil {
			c.t.Fatalf("decode: %v", err)
		}
		if f.GetPeerEvent() == nil {
			return f
		}
	}
}

// closeCode is the close code of the error that ended a read.
func (c *client) closeCode(err error) int {
	c.t.Helper()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) {
		c.t.Fatalf("connection ended without a close frame: %v", err)
	}
	return ce.Code
}

// expectClose reads until the server closes, returning the last error frame
// and the close code.
func (c *client) expectClose() (*realtimev1.Error, int) {
	c.t.Helper()
	var last *realtimev1.Error
	for {
		_, b, err := c.ws.ReadMessage()
		if err != nil {
			return last, c.closeCode(err)
		}
		f := &realtimev1.ServerFrame{}
		if proto.Unmarshal(b, f) == nil && f.GetError() != nil {
			last = f.GetError()
		}
	}
}

func TestConnectionRefusals(t *testing.T) {
	r := newRig(t, realtime.Config{HandshakeTimeout: 300 * time.Millisecond})
	expired := func(t *testing.T) string {
		past := token.NewIssuer(r.keys, func() time.Time { return time.Now().Add(-time.Hour) })
		raw, _, _ := past.MintPlayerSession("p", "gs-1", time.Minute)
		return raw
	}
	other := func(t *testing.T) string {
		raw, _, _ := r.issuer.MintPlayerSession("p", "gs-2", time.Minute)
		return raw
	}
	forged := func(t *testing.T) string {
		keys, _ := token.GenerateKeyset("test")
		raw, _, _ := token.NewIssuer(keys, nil).MintPlayerSession("p", "gs-1", time.Minute)
		return raw
	}
	hello := func(tok string) []byte {
		b, _ := proto.Marshal(&realtimev1.ClientFrame{Payload: &realtimev1.ClientFrame_Hello{Hello: &realtimev1.Hello{PlayerSessionToken: tok}}})
		return b
	}
	ping, _ := proto.Marshal(&realtimev1.ClientFrame{Payload: &realtimev1.ClientFrame_Ping{Ping: &realtimev1.Ping{}}})
	tests := []struct {
		name      string
		kind      int
		frame     func(t *testing.T) []byte // nil: send nothing
		wantCode  realtimev1.Error_Code
		wantClose int
	}{
		{"garbage token", websocket.BinaryMessage, func(*testing.T) []byte { return hello("not.a.jwt") }, realtimev1.Error_CODE_BAD_TOKEN, int(closecode.BadToken)},
		{"forged token", websocket.BinaryMessage, func(t *testing.T) []byte { return hello(forged(t)) }, realtimev1.Error_CODE_BAD_TOKEN, int(closecode.BadToken)},
		{"expired token", websocket.BinaryMessage, func(t *testing.T) []byte { return hello(expired(t)) }, realtimev1.Error_CODE_EXPIRED_TOKEN, int(closecode.ExpiredToken)},
		{"token for another server", websocket.BinaryMessage, func(t *testing.T) []byte { return hello(other(t)) }, realtimev1.Error_CODE_WRONG_SERVER, int(closecode.WrongServer)},
		{"malformed frame", websocket.BinaryMessage, func(*testing.T) []byte { return []byte{0xff, 0xff, 0xff} }, realtimev1.Error_CODE_MALFORMED_FRAME, int(closecode.MalformedFrame)},
		{"empty frame", websocket.BinaryMessage, func(*testing.T) []byte { return nil }, realtimev1.Error_CODE_MALFORMED_FRAME, int(closecode.MalformedFrame)},
		{"text frame", websocket.TextMessage, func(*testing.T) []byte { return []byte(`{"hello":{}}`) }, realtimev1.Error_CODE_MALFORMED_FRAME, int(closecode.MalformedFrame)},
		{"first frame not hello", websocket.BinaryMessage, func(*testing.T) []byte { return ping }, realtimev1.Error_CODE_MALFORMED_FRAME, int(closecode.MalformedFrame)},
		{"oversized frame", websocket.BinaryMessage, func(*testing.T) []byte { return make([]byte, 64<<10) }, realtimev1.Error_CODE_OVERSIZED_FRAME, int(closecode.MessageTooBig)},
		{"no hello", 0, nil, realtimev1.Error_CODE_HANDSHAKE_TIMEOUT, int(closecode.HandshakeTimeout)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := r.dial(t)
			if tt.frame != nil {
				c.raw(tt.kind, tt.frame(t))
			}
			e, code := c.expectClose()
			if e.GetCode() != tt.wantCode || code != tt.wantClose {
				t.Errorf("got error %v and close %d, want %v and %d", e, code, tt.wantCode, tt.wantClose)
			}
			if e.GetMessage() == "" {
				t.Error("error frame has no message")
			}
		})
	}
}

func TestBadInputDuringTheGame(t *testing.T) {
	r := newRig(t, realtime.Config{})
	a, b := r.join(t, "alice"), r.join(t, "bob")

	t.Run("unknown op code keeps the connection", func(t *testing.T) {
		a.game(77, nil)
		e := a.next().GetError()
		if e.GetCode() != realtimev1.Error_CODE_UNKNOWN_OP_CODE || e.GetOpCode() != 77 {
			t.Fatalf("error = %v", e)
		}
		a.game(0, nil) // reserved for the framework
		if e := a.next().GetError(); e.GetCode() != realtimev1.Error_CODE_UNKNOWN_OP_CODE {
			t.Fatalf("reserved op code: %v", e)
		}
		a.game(opEcho, []byte("still here"))
		for _, c := range []*client{a, b} {
			if m := c.next().GetMessage(); string(m.GetPayload()) != "still here" || m.GetSender() != realtime.ServerPeerID {
				t.Fatalf("echo = %v", m)
			}
		}
	})
	t.Run("oversized payload closes only that player", func(t *testing.T) {
		a.game(opEcho, make([]byte, 4097))
		if e, code := a.expectClose(); e.GetCode() != realtimev1.Error_CODE_OVERSIZED_FRAME || code != int(closecode.MessageTooBig) {
			t.Fatalf("got %v %d", e, code)
		}
		b.game(opEcho, []byte("match goes on"))
		if m := b.next().GetMessage(); string(m.GetPayload()) != "match goes on" {
			t.Fatalf("echo = %v", m)
		}
	})
	t.Run("reconnect keeps the peer id", func(t *testing.T) {
		a2 := r.join(t, "alice")
		a2.game(opEcho, []byte("back"))
		if m := a2.next().GetMessage(); string(m.GetPayload()) != "back" {
			t.Fatalf("echo = %v", m)
		}
	})
	t.Run("session full", func(t *testing.T) {
		c := r.dial(t)
		c.send(&realtimev1.ClientFrame{Payload: &realtimev1.ClientFrame_Hello{Hello: &realtimev1.Hello{PlayerSessionToken: r.token(t, "carol")}}})
		if e, code := c.expectClose(); e.GetCode() != realtimev1.Error_CODE_SESSION_FULL || code != int(closecode.SessionFull) {
			t.Fatalf("got %v %d", e, code)
		}
	})
	t.Run("a second connection replaces the first", func(t *testing.T) {
		b2 := r.join(t, "bob")
		if e, code := b.expectClose(); e.GetCode() != realtimev1.Error_CODE_REPLACED || code != int(closecode.Replaced) {
			t.Fatalf("got %v %d", e, code)
		}
		b2.send(&realtimev1.ClientFrame{Payload: &realtimev1.ClientFrame_Ping{Ping: &realtimev1.Ping{ClientTimeMs: 42}}})
		if p := b2.next().GetPong(); p.GetClientTimeMs() != 42 || p.GetServerTimeMs() == 0 {
			t.Fatalf("pong = %v", p)
		}
	})
}

func TestSlowConsumerIsClosed(t *testing.T) {
	r := newRig(t, realtime.Config{SendQueue: 8})
	c := r.join(t, "slow")
	c.game(opFlood, make([]byte, 4000)) // ~80 MB: more than socket buffers hold
	// The client reads nothing until the server has given up on it.
	e, code := c.expectClose()
	if code != int(closecode.SlowConsumer) {
		t.Fatalf("close %d (%v), want %d", code, e, int(closecode.SlowConsumer))
	}
}

func TestShutdownTellsPlayers(t *testing.T) {
	r := newRig(t, realtime.Config{})
	a := r.join(t, "alice")
	r.srv.Drain()
	r.session.Shutdown(context.Background(), "test")
	if e, code := a.expectClose(); e.GetCode() != realtimev1.Error_CODE_SHUTTING_DOWN || code != int(closecode.GoingAway) {
		t.Fatalf("got %v %d", e, code)
	}
	c := r.dial(t)
	if e, code := c.expectClose(); e.GetCode() != realtimev1.Error_CODE_SHUTTING_DOWN || code != int(closecode.GoingAway) {
		t.Fatalf("new connection while draining: %v %d", e, code)
	}
	<-r.session.Done()
	if got := r.session.Outcome(); got != realtime.OutcomeShutdown {
		t.Errorf("outcome = %q", got)
	}
}
