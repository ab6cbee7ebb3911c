package edge_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	realtimev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/realtime/v1"
	"github.com/leapfrog-games/leapfrog/internal/edge"
	"github.com/leapfrog-games/leapfrog/internal/panicguard/panicguardtest"
)

// A panic while relaying one player's message closes that player's
// connection with 1012 (reconnect: the game server is fine) and tells the
// game server the player left (1001); the edge and its other relays go on.
func TestRelayPanicEndsOnlyThatPlayersConnection(t *testing.T) {
	// A text message from a client is the poison: the game sends binary.
	edge.PanicOnRelay(t, func(toServer bool, kind int) bool { return toServer && kind == websocket.TextMessage })
	logs := panicguardtest.NewLog()
	upstreamClosed := make(chan int, 4)
	up := startUpstream(t, func(ws *websocket.Conn) {
		for {
			kind, b, err := ws.ReadMessage()
			if err != nil {
				if ce, ok := errors.AsType[*websocket.CloseError](err); ok {
					upstreamClosed <- ce.Code
				}
				return
			}
			_ = ws.WriteMessage(kind, append([]byte("echo:"), b...))
		}
	})
	issuer := newKeys(t)
	res := &mapResolver{}
	res.set("race-a", up.addr())
	te := startEdge(t, issuer, res, func(c *edge.Config) { c.Logger = logs.Logger() })
	join := func(player string) *websocket.Conn {
		raw, _, err := issuer.MintPlayerSession(player, "race-a", time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		ws := dial(t, te.url("race-a"))
		sendHello(t, raw)(ws)
		select {
		case <-up.hellos:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s's hello never reached the game server", player)
		}
		return ws
	}
	echoes := func(ws *websocket.Conn, msg string) {
		t.Helper()
		if err := ws.WriteMessage(websocket.BinaryMessage, []byte(msg)); err != nil {
			t.Fatal(err)
		}
		_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, b, err := ws.ReadMessage(); err != nil || !bytes.Equal(b, []byte("echo:"+msg)) {
			t.Fatalf("relayed %q, got %q, %v", msg, b, err)
		}
	}
	alice, bob := join("alice"), join("bob")
	echoes(alice, "before")

	if err := alice.WriteMessage(websocket.TextMessage, []byte("poison")); err != nil {
		t.Fatal(err)
	}
	if _, ce := readToClose(t, alice); ce.Code != websocket.CloseServiceRestart {
		t.Errorf("alice closed with %d %q, want %d (reconnect)", ce.Code, ce.Text, websocket.CloseServiceRestart)
	}
	select {
	case code := <-upstreamClosed:
		if code != websocket.CloseGoingAway {
			t.Errorf("the game server saw alice leave with %d, want %d", code, websocket.CloseGoingAway)
		}
	case <-time.After(10 * time.Second):
		t.Error("the game server never heard that alice left")
	}
	p := logs.Next(t)
	if p.Where != "relay" || !strings.Contains(p.Stack, "edge.(*relay).pump") {
		t.Errorf("logged %q where %q with stack:\n%s", p.Msg, p.Where, p.Stack)
	}
	if n := panicguardtest.Count(t, te.registry, "leapfrog_edge_panics_total", "relay"); n != 1 {
		t.Errorf("leapfrog_edge_panics_total{where=relay} = %v, want 1", n)
	}

	echoes(bob, "after alice's panic")
	echoes(join("carol"), "a new player")
	logs.None(t)
}

// resolverWithABug panics on one name, as a resolver with a bug would on
// an object it did not expect.
type resolverWithABug struct {
	*mapResolver
	bad string
}

func (r resolverWithABug) Resolve(ctx context.Context, name string) (string, error) {
	if name == r.bad {
		panic("unexpected object")
	}
	return r.mapResolver.Resolve(ctx, name)
}

// A panic in one player's handshake answers that player with the match
// server's internal error (CODE_INTERNAL, 1011); the edge goes on.
func TestHandshakePanicRefusesOnlyThatPlayer(t *testing.T) {
	logs := panicguardtest.NewLog()
	up := startUpstream(t, func(ws *websocket.Conn) { _, _, _ = ws.ReadMessage() })
	issuer := newKeys(t)
	res := &mapResolver{}
	res.set("race-a", up.addr())
	te := startEdge(t, issuer, res, func(c *edge.Config) {
		c.Logger = logs.Logger()
		c.Resolver = resolverWithABug{mapResolver: res, bad: "race-b"}
	})
	hello := func(gameServer string) *websocket.Conn {
		raw, _, err := issuer.MintPlayerSession("p1", gameServer, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		ws := dial(t, te.url(gameServer))
		sendHello(t, raw)(ws)
		return ws
	}

	frames, ce := readToClose(t, hello("race-b"))
	if len(frames) != 1 || frames[0].GetError().GetCode() != realtimev1.Error_CODE_INTERNAL || ce.Code != websocket.CloseInternalServerErr {
		t.Errorf("got %v and close %d, want CODE_INTERNAL and %d", frames, ce.Code, websocket.CloseInternalServerErr)
	}
	p := logs.Next(t)
	if p.Where != "handshake" || !strings.Contains(p.Stack, "edge_test.resolverWithABug.Resolve") {
		t.Errorf("logged %q where %q with stack:\n%s", p.Msg, p.Where, p.Stack)
	}
	if n := panicguardtest.Count(t, te.registry, "leapfrog_edge_panics_total", "handshake"); n != 1 {
		t.Errorf("leapfrog_edge_panics_total{where=handshake} = %v, want 1", n)
	}
	hello("race-a")
	select {
	case <-up.hellos:
	case <-time.After(10 * time.Second):
		t.Fatal("after the panic, a player's hello never reached race-a")
	}
}
