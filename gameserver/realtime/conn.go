package realtime

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/leapfrog-games/leapfrog/contract/closecode"
	realtimev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/realtime/v1"
)

// conn is one player's WebSocket. The HTTP handler's goroutine is its only
// reader; writeLoop is its only writer. Everyone else enqueues frames with
// send, which never blocks: a full queue closes the connection, because a
// silently dropped frame would corrupt the client's view of the game.
type conn struct {
	ws     *websocket.Conn
	wire   *wireConn // the socket under ws: data frames are written to it
	out    chan []byte
	done   chan struct{}
	closed chan struct{} // closed when writeLoop has finished
	cfg    *Config

	once       sync.Once
	closeCode  closecode.Code
	closeText  string
	finalFrame []byte

	player   *Player     // owned by the session goroutine
	admitted atomic.Bool // set once a session took the connection
	codec    Codec       // nil: the Leapfrog protocol

	// session is the session that admitted the connection, for input that
	// arrives outside its reader (Link.Input); budget is its input
	// allowance, shared by every transport, under inputMu.
	session atomic.Pointer[Session]
	inputMu sync.Mutex
	budget  *inputBudget
}

func newConn(ws *websocket.Conn, wire *wireConn, cfg *Config) *conn {
	return &conn{
		ws:     ws,
		wire:   wire,
		out:    make(chan []byte, cfg.SendQueue),
		done:   make(chan struct{}),
		closed: make(chan struct{}),
		cfg:    cfg,
	}
}

// send queues a frame; it reports false when the connection is closing or its
// queue was full (and it is now closing).
func (c *conn) send(b []byte) bool {
	select {
	case <-c.done:
		return false
	default:
	}
	select {
	case c.out <- b:
		return true
	default:
		c.fail(realtimev1.Error_CODE_SLOW_CONSUMER, "outbound queue full: the client reads too slowly")
		return false
	}
}

// interruptRead makes the reader's wait for a frame end now (the handshake
// pool took the slot of a connection that sent nothing). Safe for any goroutine.
func (c *conn) interruptRead() { _ = c.ws.SetReadDeadline(time.Now()) }

// fail closes the connection with an error frame and its close code.
func (c *conn) fail(code realtimev1.Error_Code, msg string) {
	c.closeWith(closecode.For(code), msg, errorFrame(code, msg, 0))
}

// closeWith makes the writer flush what is queued, write final (if any) and a
// close frame with code and text, then close the socket. Only the first call counts.
func (c *conn) closeWith(code closecode.Code, text string, final []byte) {
	c.once.Do(func() {
		c.closeCode, c.closeText, c.finalFrame = code, text, final
		close(c.done)
	})
}

// closeWait bounds how long a closing connection waits for the peer's close
// frame, so that what the server said last is read before the socket goes.
const closeWait = 2 * time.Second

func (c *conn) writeLoop() {
	defer close(c.closed)
	ping := time.NewTicker(c.cfg.PingPeriod)
	defer ping.Stop()
	for {
		select {
		case b := <-c.out:
			if !c.writeOut(b) {
				c.abort("write failed")
				return
			}
		case <-ping.C:
			if err := c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(c.cfg.WriteTimeout)); err != nil {
				c.abort("ping failed")
				return
			}
		case <-c.done:
			c.flushAndClose()
			return
		}
	}
}

// flushAndClose writes what is queued, the final frame and the close frame,
// then gives the reader closeWait to see the peer's close frame. The socket
// itself is closed by the reader (finish), so that nothing unread is left
// on it: closing with unread data would reset the connection and lose the
// frames just written.
func (c *conn) flushAndClose() {
	if c.closeCode == websocket.CloseAbnormalClosure {
		c.ws.Close() // the peer is gone; 1006 is never sent on the wire
		return
	}
	// A slow consumer's queue is full of frames it would not read in time.
	if c.closeCode != closecode.SlowConsumer {
		for drained := false; !drained; {
			select {
			case b := <-c.out:
				if !c.writeOut(b) {
					c.ws.Close()
					return
				}
			default:
				drained = true
			}
		}
	}
	if c.finalFrame != nil && !c.writeOut(c.finalFrame) {
		c.ws.Close()
		return
	}
	msg := websocket.FormatCloseMessage(int(c.closeCode), truncateCloseText(c.closeText))
	if c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(c.cfg.WriteTimeout)) != nil {
		c.ws.Close()
		return
	}
	_ = c.ws.SetReadDeadline(time.Now().Add(closeWait))
}

// abort closes a connection whose peer is unreachable.
func (c *conn) abort(reason string) {
	c.closeWith(websocket.CloseAbnormalClosure, reason, nil)
	c.ws.Close()
}

// finish is the reader's last step: once the connection is closing and the
// writer is done, read (and drop) until the peer's close frame or the
// deadline, then close the socket.
func (c *conn) finish() {
	c.closeWith(closecode.Normal, "", nil)
	<-c.closed
	for {
		if _, _, err := c.ws.NextReader(); err != nil {
			break
		}
	}
	c.ws.Close()
}

// writeOut writes frame b and the frames queued behind it, up to maxBatch
// bytes, in one write.
func (c *conn) writeOut(b []byte) bool {
	bp := batches.Get().(*[]byte)
	defer func() {
		if cap(*bp) <= 2*maxBatch {
			batches.Put(bp)
		}
	}()
	batch := (*bp)[:0]
	for {
		if b = c.encode(b); b != nil {
			batch = appendBinaryFrame(batch, b)
		}
		if len(batch) >= maxBatch {
			break
		}
		select {
		case b = <-c.out:
			continue
		default:
		}
		break
	}
	*bp = batch
	return len(batch) == 0 || c.wire.writeFrames(batch, c.cfg.WriteTimeout) == nil
}

// truncateCloseText keeps a close reason within the 123 bytes a control frame allows.
func truncateCloseText(s string) string {
	const max = 120
	if len(s) <= max {
		return s
	}
	s = s[:max]
	for len(s) > 0 && s[len(s)-1]&0xC0 == 0x80 { // don't cut a UTF-8 sequence
		s = s[:len(s)-1]
	}
	if len(s) > 0 && s[len(s)-1] >= 0xC0 {
		s = s[:len(s)-1]
	}
	return s
}
