package edge_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	realtimev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/realtime/v1"
	"github.com/leapfrog-games/leapfrog/contract/token"
	"github.com/leapfrog-games/leapfrog/internal/edge"
)

// Every refusal happens before the edge dials anything, and token failures
// before it even looks the game server up; the client sees the match
// server's own Error frame and close code.
func TestRefusedBeforeAnyDial(t *testing.T) {
	ks, err := token.GenerateKeyset("k1")
	if err != nil {
		t.Fatal(err)
	}
	issuer := token.NewIssuer(ks, nil)
	otherKeys, _ := token.GenerateKeyset("k1")
	forger := token.NewIssuer(otherKeys, nil)
	past := token.NewIssuer(ks, func() time.Time { return time.Now().Add(-time.Hour) })
	mint := func(is *token.Issuer, gs string) string {
		raw, _, err := is.MintPlayerSession("p1", gs, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	up := startUpstream(t, func(*websocket.Conn) { t.Error("the upstream was dialed") })
	res := &mapResolver{}
	res.set("race-a", up.addr())
	// match-b exists but belongs to another Fleet: the resolver does not know it.
	te := startEdge(t, issuer, res, func(c *edge.Config) { c.HandshakeTimeout = 300 * time.Millisecond })

	for _, tc := range []struct {
		name    string
		path    string
		send    func(ws *websocket.Conn)
		code    realtimev1.Error_Code
		close   int
		looksUp bool
		noError bool
	}{
		{name: "forged", path: "race-a", send: sendHello(t, mint(forger, "race-a")), code: realtimev1.Error_CODE_BAD_TOKEN, close: 4001},
		{name: "garbage token", path: "race-a", send: sendHello(t, "not.a.token"), code: realtimev1.Error_CODE_BAD_TOKEN, close: 4001},
		{name: "expired", path: "race-a", send: sendHello(t, mint(past, "race-a")), code: realtimev1.Error_CODE_EXPIRED_TOKEN, close: 4002},
		{name: "wrong server", path: "race-a", send: sendHello(t, mint(issuer, "race-z")), code: realtimev1.Error_CODE_WRONG_SERVER, close: 4003},
		{name: "unknown server", path: "race-z", send: sendHello(t, mint(issuer, "race-z")), code: realtimev1.Error_CODE_REJECTED, close: 4009, looksUp: true},
		{name: "server of another fleet", path: "race-b", send: sendHello(t, mint(issuer, "race-b")), code: realtimev1.Error_CODE_REJECTED, close: 4009, looksUp: true},
		{name: "text frame", path: "race-a", send: func(ws *websocket.Conn) { _ = ws.WriteMessage(websocket.TextMessage, []byte("hi")) }, code: realtimev1.Error_CODE_MALFORMED_FRAME, close: 4006},
		{name: "not hello first", path: "race-a", send: func(ws *websocket.Conn) {
			_ = ws.WriteMessage(websocket.BinaryMessage, []byte{0x1a, 0x00}) // ClientFrame{ping: {}}
		}, code: realtimev1.Error_CODE_MALFORMED_FRAME, close: 4006},
		{name: "oversized hello", path: "race-a", send: func(ws *websocket.Conn) {
			_ = ws.WriteMessage(websocket.BinaryMessage, make([]byte, 13<<10))
		}, code: realtimev1.Error_CODE_OVERSIZED_FRAME, close: 1009},
		{name: "no hello", path: "race-a", send: func(*websocket.Conn) {}, code: realtimev1.Error_CODE_HANDSHAKE_TIMEOUT, close: 4008},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dials, lookups := te.dials.Load(), res.calls.Load()
			ws := dial(t, te.url(tc.path))
			tc.send(ws)
			frames, ce := readToClose(t, ws)
			if ce.Code != tc.close {
				t.Errorf("close %d %q, want %d", ce.Code, ce.Text, tc.close)
			}
			if len(frames) != 1 || frames[0].GetError().GetCode() != tc.code {
				t.Errorf("frames %v, want one Error %s", frames, tc.code)
			}
			if n := te.dials.Load() - dials; n != 0 {
				t.Errorf("%d dials, want none", n)
			}
			if n := res.calls.Load() - lookups; (n != 0) != tc.looksUp {
				t.Errorf("%d lookups, want lookups: %v", n, tc.looksUp)
			}
		})
	}

	t.Run("bad path", func(t *testing.T) {
		_, resp, err := websocket.DefaultDialer.Dial(te.url("Not_A_Name"), nil)
		if err == nil || resp == nil || resp.StatusCode != http.StatusNotFound {
			t.Fatalf("dial a bad name: %v %v, want HTTP 404", err, resp)
		}
	})
}

func TestConnectionsPerIPAreLimited(t *testing.T) {
	issuer := newKeys(t)
	up := startUpstream(t, func(ws *websocket.Conn) { _, _, _ = ws.ReadMessage() })
	res := &mapResolver{}
	res.set("race-a", up.addr())
	te := startEdge(t, issuer, res, func(c *edge.Config) { c.MaxConnsPerIP = 2 })
	raw, _, _ := issuer.MintPlayerSession("p1", "race-a", time.Minute)
	for range 2 {
		ws := dial(t, te.url("race-a"))
		sendHello(t, raw)(ws)
		<-up.hellos // relayed: the place is held
	}
	_, resp, err := websocket.DefaultDialer.Dial(te.url("race-a"), nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("third connection from one address: %v %v, want HTTP 429", err, resp)
	}
}

func sendHello(t testing.TB, tok string) func(ws *websocket.Conn) {
	b := helloFrame(t, tok)
	return func(ws *websocket.Conn) {
		if err := ws.WriteMessage(websocket.BinaryMessage, b); err != nil {
			t.Errorf("send hello: %v", err)
		}
	}
}
