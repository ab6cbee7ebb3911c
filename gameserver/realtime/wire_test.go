package realtime

import (
	"bytes"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/leapfrog-games/leapfrog/contract/closecode"
)

// The writer frames data itself and batches what is queued; a real gorilla
// client must read every frame whole and in order, at every length class of
// the frame header, with gorilla's own control frames (pongs answered by the
// reader, pings from the writer) written on the same socket meanwhile.
func TestWriterFramesAndBatchesForARealClient(t *testing.T) {
	sizes := []int{0, 1, 125, 126, 127, 4096, 65535, 65536, 70000, 3}
	var frames [][]byte
	for i := range 300 {
		n := sizes[i%len(sizes)]
		frames = append(frames, bytes.Repeat([]byte{byte(i)}, n))
	}
	base := Config{GameServer: "gs", Logger: slog.New(slog.DiscardHandler), SendQueue: len(frames), PongWait: 20 * time.Millisecond}
	cfg, err := base.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	up := websocket.Upgrader{ReadBufferSize: 1024, WriteBufferSize: 1024}
	served := make(chan *conn, 1)
	var writes atomic.Int64 // to the socket: frames, pings and pongs
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hw := &hijacker{ResponseWriter: w}
		ws, err := up.Upgrade(hw, r, nil)
		if err != nil {
			return
		}
		if hw.wire == nil {
			t.Error("the upgrade did not go through the wire")
			return
		}
		hw.wire.Conn = &countingConn{Conn: hw.wire.Conn, writes: &writes}
		c := newConn(ws, hw.wire, &cfg)
		for _, f := range frames { // queued before the writer runs: batches
			if !c.send(f) {
				t.Error("queue refused a frame")
			}
		}
		go c.writeLoop()
		served <- c
		for { // the reader answers the client's pings through gorilla
			if _, _, err := ws.NextReader(); err != nil {
				break
			}
		}
		c.closeWith(closecode.Normal, "done", nil)
		<-c.closed
		ws.Close()
	}))
	defer hs.Close()
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(hs.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	var pongs, pings atomic.Int64
	ws.SetPongHandler(func(string) error { pongs.Add(1); return nil })
	ws.SetPingHandler(func(string) error { pings.Add(1); return nil })
	_ = ws.SetReadDeadline(time.Now().Add(20 * time.Second))
	c := <-served
	for i, want := range frames {
		if i%10 == 0 {
			if err := ws.WriteControl(websocket.PingMessage, []byte(fmt.Sprint(i)), time.Now().Add(time.Second)); err != nil {
				t.Fatal(err)
			}
		}
		kind, got, err := ws.ReadMessage()
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if kind != websocket.BinaryMessage || !bytes.Equal(got, want) {
			t.Fatalf("frame %d: kind %d, %d bytes, want binary %d bytes of %d", i, kind, len(got), len(want), byte(i))
		}
	}
	// Queued together, the frames go out in a few writes: frames of up to
	// maxBatch bytes share one (about 3 writes for each 10 frames here),
	// beside the ~30 pongs.
	if n := writes.Load(); n > int64(len(frames))/2 {
		t.Errorf("%d writes for %d frames queued at once: not batched", n, len(frames))
	}
	for pongs.Load() == 0 || pings.Load() == 0 { // the writer pings every 18 ms between data frames
		time.Sleep(time.Millisecond)
		c.send([]byte("more"))
		if _, _, err := ws.ReadMessage(); err != nil {
			t.Fatalf("after the frames: %v (pongs %d, pings %d)", err, pongs.Load(), pings.Load())
		}
	}
}

func TestAppendBinaryFrameHeader(t *testing.T) {
	for _, tc := range []struct {
		n    int
		head []byte
	}{
		{0, []byte{0x82, 0}},
		{125, []byte{0x82, 125}},
		{126, []byte{0x82, 126, 0, 126}},
		{65535, []byte{0x82, 126, 0xFF, 0xFF}},
		{65536, []byte{0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0}},
	} {
		got := appendBinaryFrame([]byte("x"), make([]byte, tc.n))
		if !bytes.Equal(got[1:1+len(tc.head)], tc.head) || len(got) != 1+len(tc.head)+tc.n {
			t.Errorf("%d bytes: header % x, length %d", tc.n, got[1:1+len(tc.head)], len(got))
		}
	}
}

// countingConn counts the writes to a socket.
type countingConn struct {
	net.Conn
	writes *atomic.Int64
}

func (c *countingConn) Write(b []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(b)
}
