package hdload

import (
	"bytes"
	"encoding/binary"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

func startRelay(t *testing.T) (*Relay, string) {
	return startFanOutRelay(t, 0)
}

func startFanOutRelay(t *testing.T, fanOut time.Duration) (*Relay, string) {
	t.Helper()
	r := NewRelay(slog.New(slog.DiscardHandler))
	r.pairWait = 200 * time.Millisecond
	r.FanOut = fanOut
	srv := httptest.NewServer(r)
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
		r.Wait()
	})
	return r, "ws" + strings.TrimPrefix(srv.URL, "http")
}

func dialRelay(t *testing.T, url string, first []byte, kind int) *websocket.Conn {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	if err := ws.WriteMessage(kind, first); err != nil {
		t.Fatal(err)
	}
	_ = ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	return ws
}

func read(t *testing.T, ws *websocket.Conn) []byte {
	t.Helper()
	_, b, err := ws.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRelayPairsAndRelays(t *testing.T) {
	_, url := startRelay(t)
	a := dialRelay(t, url, []byte("race-1"), websocket.BinaryMessage)
	other := dialRelay(t, url, []byte("race-2"), websocket.BinaryMessage)
	b := dialRelay(t, url, []byte("race-1"), websocket.BinaryMessage)
	for _, ws := range []*websocket.Conn{a, b} {
		if got := read(t, ws); !bytes.Equal(got, []byte{relayPaired}) {
			t.Fatalf("first frame %x, want the paired notice", got)
		}
	}
	var target RelayTarget
	for i, pair := range [][2]*websocket.Conn{{a, b}, {b, a}} {
		hop := target.AppendHop(nil, i, int64(10+i))
		if err := pair[0].WriteMessage(websocket.BinaryMessage, hop); err != nil {
			t.Fatal(err)
		}
		e, err := target.Parse(read(t, pair[1]))
		if err != nil || e.Kind != EventHop || e.Lane != i || e.Seq != int64(10+i) {
			t.Fatalf("relayed %+v %v, want lane %d hop %d", e, err, i, 10+i)
		}
	}
	// race-2 never got a partner: the relay gives up on it.
	if _, _, err := other.ReadMessage(); err == nil {
		t.Fatal("a socket without a partner got a frame")
	}
	// One socket of a pair leaving closes the other.
	a.Close()
	if _, _, err := b.ReadMessage(); err == nil {
		t.Fatal("the partner of a closed socket stays open")
	}
}

func TestRelayRefusesBadPairKeys(t *testing.T) {
	_, url := startRelay(t)
	for name, first := range map[string]struct {
		kind int
		b    []byte
	}{
		"text":     {websocket.TextMessage, []byte("race")},
		"empty":    {websocket.BinaryMessage, nil},
		"too long": {websocket.BinaryMessage, bytes.Repeat([]byte("x"), maxPairKey+1)},
	} {
		t.Run(name, func(t *testing.T) {
			ws := dialRelay(t, url, first.b, first.kind)
			if _, _, err := ws.ReadMessage(); !websocket.IsCloseError(err, websocket.CloseNormalClosure) {
				t.Fatalf("read after a bad pair key: %v, want the relay to close", err)
			}
		})
	}
}

func TestRelayTargetRejectsOtherFrames(t *testing.T) {
	var target RelayTarget
	for _, b := range [][]byte{nil, {0x01}, make([]byte, HopFrameBytes-1), append([]byte{2}, make([]byte, HopFrameBytes-1)...)} {
		if e, err := target.Parse(b); err == nil {
			t.Errorf("frame %x parsed as %+v", b, e)
		}
	}
	if _, err := target.Hello(strings.Repeat("r", maxPairKey+1), 0); err == nil {
		t.Error("a pair key over the limit was accepted")
	}
}

// The fan-out relay writes what the race server writes for a hop: the hop
// to both players at once, its landing to both at the next tick; a hop
// whose lane still has a landing due sends that landing first.
func TestFanOutRelayWritesTheRaceServersFrames(t *testing.T) {
	const tick = 300 * time.Millisecond
	_, url := startFanOutRelay(t, tick)
	a := dialRelay(t, url, []byte("race-1"), websocket.BinaryMessage)
	b := dialRelay(t, url, []byte("race-1"), websocket.BinaryMessage)
	for _, ws := range []*websocket.Conn{a, b} {
		read(t, ws) // the paired notice
	}
	target := RelayTarget{fanOut: true}
	next := func(ws *websocket.Conn) (byte, int64) {
		t.Helper()
		f := read(t, ws)
		e, err := target.Parse(f)
		if err != nil {
			t.Fatalf("frame %x: %v", f, err)
		}
		if e.Kind != EventHop && e.Kind != EventNone {
			t.Fatalf("frame %x means %+v", f, e)
		}
		return f[0], int64(binary.BigEndian.Uint64(f[1:9]))
	}
	send := func(seq int64) time.Time {
		t.Helper()
		if err := a.WriteMessage(websocket.BinaryMessage, target.AppendHop(nil, 0, seq)); err != nil {
			t.Fatal(err)
		}
		return time.Now()
	}
	sent := send(1)
	for _, ws := range []*websocket.Conn{a, b} {
		if kind, seq := next(ws); kind != 0 || seq != 1 {
			t.Fatalf("first frame: kind %d hop %d, want lane 0's hop 1 (to both)", kind, seq)
		}
	}
	for _, ws := range []*websocket.Conn{a, b} {
		if kind, seq := next(ws); kind != relayLanded || seq != 1 {
			t.Fatalf("second frame: kind %d hop %d, want lane 0's landing of hop 1", kind, seq)
		}
	}
	if waited := time.Since(sent); waited > tick+time.Second {
		t.Errorf("landing after %v, want within the tick (%v)", waited, tick)
	}
	// Two hops within one tick: the first lands as the second is relayed.
	send(2)
	send(3)
	for _, ws := range []*websocket.Conn{a, b} {
		for _, want := range [][2]int64{{0, 2}, {relayLanded, 2}, {0, 3}, {relayLanded, 3}} {
			if kind, seq := next(ws); int64(kind) != want[0] || seq != want[1] {
				t.Fatalf("got kind %d hop %d, want kind %d hop %d", kind, seq, want[0], want[1])
			}
		}
	}
}
