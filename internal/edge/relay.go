package edge

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/leapfrog-games/leapfrog/contract/closecode"
)

// relay is one player's connection through the edge: two WebSockets and a
// goroutine reading each, which writes what it reads to the other side.
// Nothing is queued: a slow reader on one side slows the writer on the
// other (TCP backpressure), so the game server's own rules for slow clients
// still decide, and an idle relay holds no message buffer.
type relay struct {
	h              *Handler
	client, server *websocket.Conn
	log            *slog.Logger
	started        time.Time
	release        func()

	ping    atomic.Pointer[time.Timer]
	closing atomic.Bool // set once a close is under way: deadlines stop moving
	endOnce sync.Once
	closer  string // who ended the relay: client, server or edge
	code    int    // the close code passed on; 1006 when a side broke
}

func (rl *relay) run() {
	defer rl.h.untrack(rl)
	cfg := &rl.h.cfg
	pingPeriod := cfg.PongWait * 9 / 10
	rl.ping.Store(time.AfterFunc(pingPeriod, func() {
		if rl.client.WriteControl(websocket.PingMessage, nil, time.Now().Add(cfg.WriteTimeout)) == nil {
			rl.ping.Load().Reset(pingPeriod)
		}
	}))
	rl.client.SetPongHandler(func(string) error {
		rl.extend(rl.client, cfg.PongWait)
		return nil
	})
	// The game server pings the edge; the edge answers (as a browser would)
	// and counts the ping as a sign of life.
	rl.server.SetPingHandler(func(data string) error {
		rl.extend(rl.server, cfg.UpstreamIdle)
		err := rl.server.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(cfg.WriteTimeout))
		if errors.Is(err, websocket.ErrCloseSent) {
			return nil
		}
		if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
			return nil
		}
		return err
	})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		rl.safePump(rl.client, rl.server, toServer, cfg.PongWait)
	}()
	rl.safePump(rl.server, rl.client, toClient, cfg.UpstreamIdle)
	wg.Wait()
	rl.stopPing()
	rl.client.Close()
	rl.server.Close()
	rl.log.Debug("relay ended", "closed_by", rl.closer, "code", rl.code, "duration", time.Since(rl.started))
}

// extend moves ws's read deadline idle ahead, unless the relay is closing:
// then the peer has closeWait to answer the close, and no longer.
func (rl *relay) extend(ws *websocket.Conn, idle time.Duration) {
	if rl.closing.Load() {
		return
	}
	_ = ws.SetReadDeadline(time.Now().Add(idle))
	if rl.closing.Load() { // a close started meanwhile: keep its deadline
		_ = ws.SetReadDeadline(time.Now().Add(closeWait))
	}
}

// safePump is pump with a panic ending only this relay (see fail).
func (rl *relay) safePump(src, dst *websocket.Conn, d direction, idle time.Duration) {
	if rl.h.guard(rl.log).Run(panicRelay, "panic in a relay: closing the player's connection", func() { rl.pump(src, dst, d, idle) }) {
		rl.fail()
	}
}

// pump copies messages from src to dst until src ends or dst breaks.
func (rl *relay) pump(src, dst *websocket.Conn, d direction, idle time.Duration) {
	m := rl.h.metrics
	writeTimeout := rl.h.cfg.WriteTimeout
	for {
		rl.extend(src, idle)
		kind, r, err := src.NextReader()
		if err != nil {
			rl.end(d, src, dst, err)
			return
		}
		if hook := relayHook.Load(); hook != nil {
			(*hook)(d, kind)
		}
		start := time.Now()
		_ = dst.SetWriteDeadline(start.Add(writeTimeout))
		w, err := dst.NextWriter(kind)
		if err != nil {
			rl.writeFailed(src, dst)
			return
		}
		// messageWriter.ReadFrom streams into dst's write buffer: no
		// message is held whole, whatever its size.
		cr := countingReader{r: r}
		_, err = io.Copy(w, &cr)
		if cr.err != nil {
			rl.end(d, src, dst, cr.err)
			return
		}
		if err == nil {
			err = w.Close()
		}
		if err != nil {
			rl.writeFailed(src, dst)
			return
		}
		m.latency[d].Observe(time.Since(start).Seconds())
		m.frames[d].Inc()
		m.bytes[d].Add(float64(cr.n))
	}
}

// end passes on how from ended (d is the direction from was feeding). A
// close frame is passed on with its code and reason, so the browser sees
// the game server's 4001-4011, 1001 or 1009 exactly, and the game server
// the browser's; a side that broke (1006) is mirrored by dropping the other
// without a close frame, as a direct connection would have broken.
func (rl *relay) end(d direction, from, to *websocket.Conn, err error) {
	rl.endOnce.Do(func() {
		rl.closing.Store(true)
		rl.stopPing()
		rl.closer = "client"
		if d == toClient {
			rl.closer = "server"
		}
		code, text := websocket.CloseAbnormalClosure, ""
		if ce, ok := errors.AsType[*websocket.CloseError](err); ok {
			code, text = ce.Code, ce.Text
		} else if errors.Is(err, websocket.ErrReadLimit) {
			// gorilla has told from 1009; the other side hears the same.
			code, text = websocket.CloseMessageTooBig, "frame over the read limit"
		}
		rl.code = code
		if code != websocket.CloseAbnormalClosure && rl.closeWith(to, code, text) {
			return
		}
		from.Close()
		to.Close()
	})
}

// writeFailed ends a pump whose destination broke (or closed) while
// written to. The relay is not ended here: the other pump reads dst, and
// what dst sent before it went (a game server's last message and close
// frame, already in the socket's buffer) is passed on before that pump
// ends the relay, within closeWait. Meanwhile src is read on and dropped
// until it ends (its close answer, or the deadline the ending sets): a
// socket closed with unread data is reset, and a reset makes the peer's
// kernel drop what it had not read yet, the last message and close frame
// included. Either shortcut gave a player whose hop met a game server that
// had just closed after the result 1006 instead of the result.
func (rl *relay) writeFailed(src, dst *websocket.Conn) {
	rl.closing.Store(true)
	_ = dst.SetReadDeadline(time.Now().Add(closeWait))
	for {
		if _, _, err := src.NextReader(); err != nil {
			return
		}
	}
}

func (rl *relay) stopPing() {
	if t := rl.ping.Load(); t != nil {
		t.Stop()
	}
}

// closeWith sends a close frame and lets the peer's answer end its pump.
func (rl *relay) closeWith(ws *websocket.Conn, code int, text string) bool {
	if code == websocket.CloseNoStatusReceived {
		text = "" // 1005 is never sent: an empty close frame means it
	}
	now := time.Now()
	if ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, text), now.Add(rl.h.cfg.WriteTimeout)) != nil {
		return false
	}
	_ = ws.SetReadDeadline(now.Add(closeWait))
	return true
}

// restart ends the relay because the edge is going away: the client is told
// to come back (1012), the game server that the player left (1001).
func (rl *relay) restart() { rl.leave("edge restarting") }

// fail ends the relay after a panic in one of its pumps. The game server is
// unharmed, so the client is told what a restart tells it, to reconnect
// (1012), within the match's reconnect grace: 1011 would tell it the match
// server failed and the match is lost.
func (rl *relay) fail() { rl.leave("edge relay failed") }

// leave closes both sides as the edge's own decision, unless the relay is
// already ending.
func (rl *relay) leave(why string) {
	rl.endOnce.Do(func() {
		rl.closing.Store(true)
		rl.stopPing()
		rl.closer, rl.code = "edge", int(closecode.ServiceRestart)
		if !rl.closeWith(rl.client, int(closecode.ServiceRestart), why+": reconnect") {
			rl.client.Close()
		}
		if !rl.closeWith(rl.server, int(closecode.GoingAway), why) {
			rl.server.Close()
		}
	})
}

// relayHook, when tests set it, sees each message a pump starts to relay.
// It is atomic: a relay of an earlier test may still be pumping.
var relayHook atomic.Pointer[func(d direction, kind int)]

// countingReader counts what it reads and keeps the read error apart from
// the write errors io.Copy also returns.
type countingReader struct {
	r   io.Reader
	n   int64
	err error
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if err != nil && err != io.EOF {
		c.err = err
	}
	return n, err
}
