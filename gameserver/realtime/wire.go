package realtime

import (
	"bufio"
	"encoding/binary"
	"net"
	"net/http"
	"sync"
	"time"
)

// wireConn is a player's socket under gorilla/websocket. Every write goes
// through it under one lock: gorilla's control frames (pings, pongs, close)
// and the connection writer's data frames, which it frames itself so that
// it can put every frame queued at once into one write, and keep one write
// deadline for a while instead of moving a runtime timer for every frame.
// With thousands of sockets those per-frame syscalls and timer moves were
// most of a high-density server's time.
type wireConn struct {
	net.Conn
	mu       sync.Mutex
	deadline time.Time // the write deadline last set, by either writer
}

func (w *wireConn) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.Conn.Write(b)
}

func (w *wireConn) SetWriteDeadline(t time.Time) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.deadline = t
	return w.Conn.SetWriteDeadline(t)
}

func (w *wireConn) SetDeadline(t time.Time) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.deadline = t
	return w.Conn.SetDeadline(t)
}

// writeFrames writes whole frames in one write. The write deadline is moved
// only once less than half of timeout is left: a write may take from
// timeout/2 to timeout before it fails.
func (w *wireConn) writeFrames(frames []byte, timeout time.Duration) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if now := time.Now(); w.deadline.Sub(now) < timeout/2 {
		w.deadline = now.Add(timeout)
		if err := w.Conn.SetWriteDeadline(w.deadline); err != nil {
			return err
		}
	}
	_, err := w.Conn.Write(frames)
	return err
}

// appendBinaryFrame appends payload as one unmasked, final binary frame
// (RFC 6455 section 5.2), as a server sends it.
func appendBinaryFrame(dst, payload []byte) []byte {
	const finBinary = 0x80 | 0x2
	switch n := len(payload); {
	case n < 126:
		dst = append(dst, finBinary, byte(n))
	case n <= 0xFFFF:
		dst = append(dst, finBinary, 126, byte(n>>8), byte(n))
	default:
		dst = append(dst, finBinary, 127)
		dst = binary.BigEndian.AppendUint64(dst, uint64(n))
	}
	return append(dst, payload...)
}

// maxBatch bounds the bytes of frames the writer puts into one write.
const maxBatch = 32 << 10

// batches are the writers' buffers, pooled: an idle socket holds none.
var batches = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}

// hijacker hands gorilla's upgrader the socket wrapped in a wireConn.
type hijacker struct {
	http.ResponseWriter
	wire *wireConn
}

func (h *hijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := http.NewResponseController(h.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	h.wire = &wireConn{Conn: c}
	return h.wire, brw, nil
}

func (h *hijacker) Unwrap() http.ResponseWriter { return h.ResponseWriter }
