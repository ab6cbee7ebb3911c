package edge_test

import (
	"bytes"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"google.golang.org/protobuf/proto"

	realtimev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/realtime/v1"
	"github.com/leapfrog-games/leapfrog/internal/edge"
)

// relayTo starts an edge in front of one scripted upstream game server and
// returns a client connected through it, Hello sent and relayed.
func relayTo(t *testing.T, script func(ws *websocket.Conn), edit func(*edge.Config)) (*websocket.Conn, *upstream, *testEdge) {
	t.Helper()
	issuer := newKeys(t)
	up := startUpstream(t, script)
	res := &mapResolver{}
	res.set("race-a", up.addr())
	te := startEdge(t, issuer, res, edit)
	raw, _, err := issuer.MintPlayerSession("p1", "race-a", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	ws := dial(t, te.url("race-a"))
	sendHello(t, raw)(ws)
	select {
	case got := <-up.hellos:
		if !bytes.Equal(got, helloFrame(t, raw)) {
			t.Fatal("the upstream got another Hello than the client sent")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("hello never reached the upstream")
	}
	return ws, up, te
}

// The game server's close code and reason, and the Error frame before it,
// reach the browser exactly.
func TestServerCloseCodesPassThrough(t *testing.T) {
	for _, tc := range []struct {
		code  realtimev1.Error_Code
		close int
	}{
		{realtimev1.Error_CODE_BAD_TOKEN, 4001}, {realtimev1.Error_CODE_EXPIRED_TOKEN, 4002},
		{realtimev1.Error_CODE_WRONG_SERVER, 4003}, {realtimev1.Error_CODE_SESSION_FULL, 4004},
		{realtimev1.Error_CODE_MALFORMED_FRAME, 4006}, {realtimev1.Error_CODE_HANDSHAKE_TIMEOUT, 4008},
		{realtimev1.Error_CODE_REJECTED, 4009}, {realtimev1.Error_CODE_SLOW_CONSUMER, 4010},
		{realtimev1.Error_CODE_REPLACED, 4011}, {realtimev1.Error_CODE_SHUTTING_DOWN, 1001},
		{realtimev1.Error_CODE_OVERSIZED_FRAME, 1009}, {realtimev1.Error_CODE_SESSION_ENDED, 1000},
	} {
		t.Run(fmt.Sprint(tc.close), func(t *testing.T) {
			reason := "because " + tc.code.String()
			closed := make(chan error, 1)
			ws, _, _ := relayTo(t, func(ws *websocket.Conn) {
				_ = ws.WriteMessage(websocket.BinaryMessage, errorFrame(tc.code, reason))
				_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(tc.close, reason), time.Now().Add(time.Second))
				_, _, err := ws.ReadMessage() // the close answered through the edge
				closed <- err
			}, nil)
			frames, ce := readToClose(t, ws)
			if ce.Code != tc.close || ce.Text != reason {
				t.Errorf("client saw close %d %q, want %d %q", ce.Code, ce.Text, tc.close, reason)
			}
			if len(frames) != 1 || frames[0].GetError().GetCode() != tc.code || frames[0].GetError().GetMessage() != reason {
				t.Errorf("client saw frames %v, want the Error frame", frames)
			}
			if err := <-closed; !websocket.IsCloseError(err, tc.close) {
				t.Errorf("upstream saw %v, want its own close answered", err)
			}
		})
	}
}

// The browser's close reaches the game server with its code and reason.
func TestClientCloseCodesPassThrough(t *testing.T) {
	for _, code := range []int{websocket.CloseNormalClosure, websocket.CloseGoingAway, 4000} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			got := make(chan error, 1)
			ws, _, _ := relayTo(t, func(ws *websocket.Conn) {
				_, _, err := ws.ReadMessage()
				got <- err
			}, nil)
			_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, "bye"), time.Now().Add(time.Second))
			if _, ce := readToClose(t, ws); ce.Code != code {
				t.Errorf("client's close answered with %d, want %d", ce.Code, code)
			}
			err := <-got
			var ce *websocket.CloseError
			if !errors.As(err, &ce) || ce.Code != code || ce.Text != "bye" {
				t.Fatalf("upstream saw %v, want close %d \"bye\"", err, code)
			}
		})
	}
}

// Frames go both ways unchanged, binary as binary.
func TestFramesRelayedUnchanged(t *testing.T) {
	ws, _, te := relayTo(t, func(ws *websocket.Conn) {
		for {
			kind, b, err := ws.ReadMessage()
			if err != nil {
				return
			}
			_ = ws.WriteMessage(kind, append([]byte("echo:"), b...))
		}
	}, nil)
	for i, msg := range [][]byte{{}, []byte("x"), bytes.Repeat([]byte{7}, 100_000)} {
		if err := ws.WriteMessage(websocket.BinaryMessage, msg); err != nil {
			t.Fatal(err)
		}
		kind, b, err := ws.ReadMessage()
		if err != nil || kind != websocket.BinaryMessage || !bytes.Equal(b, append([]byte("echo:"), msg...)) {
			t.Fatalf("message %d: kind %d, %d bytes, %v", i, kind, len(b), err)
		}
	}
	_ = te
}

// A game server that dies mid-race (no close frame) looks the same through
// the edge as directly: the browser sees 1006 and reconnects.
func TestServerDeathIsAbnormalClosure(t *testing.T) {
	die := func(ws *websocket.Conn) {
		_ = ws.WriteMessage(websocket.BinaryMessage, []byte{0x22, 0x00}) // a Pong frame
		ws.NetConn().Close()
	}
	ws, up, _ := relayTo(t, die, nil)
	frames, ce := readToClose(t, ws)
	if ce.Code != websocket.CloseAbnormalClosure || len(frames) != 1 {
		t.Errorf("through the edge: close %d, %d frames; want 1006 after 1 frame", ce.Code, len(frames))
	}
	direct := dial(t, "ws://"+up.addr()+"/ws")
	_ = direct.WriteMessage(websocket.BinaryMessage, []byte{0x0a, 0x00})
	<-up.hellos
	if _, dce := readToClose(t, direct); dce.Code != ce.Code {
		t.Errorf("directly: close %d, through the edge %d", dce.Code, ce.Code)
	}
}

// A client that reads slowly holds the game server back through TCP
// backpressure: the edge buffers nothing of its own, so the game server's
// slow-client rule still decides, and its Error frame and close 4010 arrive
// after every frame before them, as they would directly.
func TestSlowClientBackpressure(t *testing.T) {
	frame, _ := proto.Marshal(&realtimev1.ServerFrame{Payload: &realtimev1.ServerFrame_Message{
		Message: &realtimev1.GameMessage{OpCode: 104, Payload: bytes.Repeat([]byte{1}, 4000)},
	}})
	stalled := make(chan int64, 1)
	ws, _, _ := relayTo(t, func(ws *websocket.Conn) {
		var written atomic.Int64
		var slow atomic.Bool
		go func() { // the game server's queue: no progress for 200 ms means a slow client
			last := int64(-1)
			for range 500 { // bounded
				time.Sleep(200 * time.Millisecond)
				if n := written.Load(); n == last {
					slow.Store(true)
					stalled <- n
					return
				} else {
					last = n
				}
			}
		}()
		for !slow.Load() && written.Load() < 100_000 {
			if err := ws.WriteMessage(websocket.BinaryMessage, frame); err != nil {
				return
			}
			written.Add(1)
		}
		_ = ws.WriteMessage(websocket.BinaryMessage, errorFrame(realtimev1.Error_CODE_SLOW_CONSUMER, "outbound queue full"))
		_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(4010, "outbound queue full"), time.Now().Add(5*time.Second))
		_, _, _ = ws.ReadMessage()
	}, func(c *edge.Config) { c.WriteTimeout = 10 * time.Second })
	var n int64
	select {
	case n = <-stalled:
	case <-time.After(60 * time.Second):
		t.Fatal("the upstream never blocked: the edge buffers without bound")
	}
	frames, ce := readToClose(t, ws)
	if ce.Code != 4010 {
		t.Errorf("close %d %q, want 4010", ce.Code, ce.Text)
	}
	if int64(len(frames)) < n+1 || frames[len(frames)-1].GetError().GetCode() != realtimev1.Error_CODE_SLOW_CONSUMER {
		t.Fatalf("client read %d frames, want the %d written before the stall and then the Error", len(frames), n)
	}
	t.Logf("upstream blocked after %d frames of 4 KiB (kernel buffers on two hops)", n)
}

// A game server that stops reading: the edge's write times out, and both
// sides are dropped; nothing piles up in the edge.
func TestSlowServerIsDropped(t *testing.T) {
	stop := make(chan struct{})
	ws, _, _ := relayTo(t, func(ws *websocket.Conn) { <-stop }, func(c *edge.Config) { c.WriteTimeout = 300 * time.Millisecond })
	defer close(stop)
	frame := bytes.Repeat([]byte{2}, 64<<10)
	var err error
	for i := 0; i < 2000 && err == nil; i++ { // bounded: 128 MiB at most
		_ = ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
		err = ws.WriteMessage(websocket.BinaryMessage, frame)
	}
	_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, _, rerr := ws.ReadMessage()
	if ce, ok := errors.AsType[*websocket.CloseError](rerr); !ok || ce.Code != websocket.CloseAbnormalClosure {
		t.Fatalf("client read ended with %v (last write: %v), want the edge to drop it (1006)", rerr, err)
	}
}

// A game server that ends the game (its last frame, then close 1000) while
// the player is still sending: the edge's write of a late frame to the
// server fails (the close was already answered), and that must not cut the
// player off before the last frame and the close code reach it. Before, it
// did, with 1006, now and then under load: a player saw its match end
// without the result.
func TestLastFramesSurviveALateClientWrite(t *testing.T) {
	const rounds = 40
	for i := range rounds {
		ws, _, _ := relayTo(t, func(ws *websocket.Conn) {
			_ = ws.WriteMessage(websocket.BinaryMessage, errorFrame(realtimev1.Error_CODE_SESSION_ENDED, "result"))
			_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, "match over"), time.Now().Add(time.Second))
			for { // read on, as the game server does until the close is answered
				if _, _, err := ws.ReadMessage(); err != nil {
					return
				}
			}
		}, nil)
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() { // the player goes on pressing hop
			defer close(done)
			for {
				select {
				case <-stop:
					return
				default:
				}
				if ws.WriteMessage(websocket.BinaryMessage, []byte{0x12, 0x00}) != nil {
					return
				}
				time.Sleep(100 * time.Microsecond)
			}
		}()
		frames, ce := readToClose(t, ws)
		close(stop)
		<-done
		if ce.Code != websocket.CloseNormalClosure || len(frames) != 1 {
			t.Fatalf("round %d of %d: close %d after %d frames, want 1000 after the last frame", i+1, rounds, ce.Code, len(frames))
		}
	}
}
