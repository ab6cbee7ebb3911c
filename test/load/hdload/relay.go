package hdload

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// The relay's transport settings are the realtime server's defaults, so that
// a socket costs both servers the same: 1 KiB read and pooled write buffers,
// an outbound queue of 64 frames, 5 s write and handshake deadlines, pings
// every 27 s.
const (
	relayQueue        = 64
	relayWriteTimeout = 5 * time.Second
	relayHandshake    = 5 * time.Second
	relayPongWait     = 30 * time.Second
	relayPingPeriod   = relayPongWait * 9 / 10
	relayReadLimit    = 4096 + 256
	maxPairKey        = 64
)

// relayPaired is the one-byte frame the relay sends both sockets of a pair
// once it has paired them: the stand-in for Welcome.
const relayPaired = 0xAC

// Relay is the least a race server can do, the baseline the race server is
// measured against: it pairs two WebSockets whose first frame names the same
// pair, then relays every binary frame one sends to the other. Like the
// realtime server each socket has one reader (the handler) and one writer
// goroutine with a bounded queue; a full queue closes that socket, and when
// one socket of a pair goes the other is closed too.
type Relay struct {
	upgrader websocket.Upgrader
	log      *slog.Logger
	// pairWait is how long a socket waits for the other of its pair.
	pairWait time.Duration

	mu      sync.Mutex
	waiting map[string]*relayConn
	conns   sync.WaitGroup
}

// NewRelay returns a Relay that logs refusals to log.
func NewRelay(log *slog.Logger) *Relay {
	return &Relay{
		upgrader: websocket.Upgrader{
			HandshakeTimeout: relayHandshake,
			ReadBufferSize:   1024,
			WriteBufferSize:  1024,
			WriteBufferPool:  &sync.Pool{},
			CheckOrigin:      func(*http.Request) bool { return true },
		},
		log:      log,
		pairWait: relayHandshake,
		waiting:  make(map[string]*relayConn),
	}
}

type relayConn struct {
	ws     *websocket.Conn
	out    chan []byte
	done   chan struct{}
	once   sync.Once
	paired chan *relayConn // receives the peer once
	peer   *relayConn      // set by the reader once paired
}

func (c *relayConn) close() { c.once.Do(func() { close(c.done) }) }

// send queues b for the writer; a full queue closes the socket (a dropped
// hop would be a lie about what the relay delivers).
func (c *relayConn) send(b []byte) {
	select {
	case c.out <- b:
	case <-c.done:
	default:
		c.close()
	}
}

func (c *relayConn) writeLoop() {
	ping := time.NewTicker(relayPingPeriod)
	defer ping.Stop()
	defer c.ws.Close()
	for {
		select {
		case b := <-c.out:
			_ = c.ws.SetWriteDeadline(time.Now().Add(relayWriteTimeout))
			if c.ws.WriteMessage(websocket.BinaryMessage, b) != nil {
				c.close()
				return
			}
		case <-ping.C:
			if c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(relayWriteTimeout)) != nil {
				c.close()
				return
			}
		case <-c.done:
			_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""),
				time.Now().Add(relayWriteTimeout))
			return
		}
	}
}

// ServeHTTP upgrades, reads the pair key, waits for the other socket of the
// pair, and relays.
func (r *Relay) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	ws, err := r.upgrader.Upgrade(w, req, nil)
	if err != nil {
		return // the upgrader answered with an HTTP error
	}
	c := &relayConn{ws: ws, out: make(chan []byte, relayQueue), done: make(chan struct{}), paired: make(chan *relayConn, 1)}
	r.conns.Add(1)
	defer r.conns.Done()
	go c.writeLoop()
	defer c.close()
	ws.SetReadLimit(relayReadLimit)
	_ = ws.SetReadDeadline(time.Now().Add(relayHandshake))
	key, err := readPairKey(ws)
	if err != nil {
		r.log.Debug("relay: refused", "remote", ws.RemoteAddr().String(), "err", err)
		return
	}
	if !r.pair(key, c) {
		return
	}
	ws.SetPongHandler(func(string) error { return ws.SetReadDeadline(time.Now().Add(relayPongWait)) })
	for {
		_ = ws.SetReadDeadline(time.Now().Add(relayPongWait))
		kind, b, err := ws.ReadMessage()
		if err != nil || kind != websocket.BinaryMessage {
			c.peer.close()
			return
		}
		c.peer.send(b)
	}
}

// pair matches c with the socket waiting under key, or waits for it until
// the handshake deadline or until c closes; it reports whether c has a peer.
func (r *Relay) pair(key string, c *relayConn) bool {
	r.mu.Lock()
	other, ok := r.waiting[key]
	if ok {
		delete(r.waiting, key)
		other.paired <- c // under the lock: other sees it even if it just timed out
	} else {
		r.waiting[key] = c
	}
	r.mu.Unlock()
	if ok {
		c.peer = other
	} else {
		select {
		case c.peer = <-c.paired:
		case <-time.After(r.pairWait):
		case <-c.done:
		}
		if c.peer == nil {
			r.mu.Lock()
			if r.waiting[key] == c {
				delete(r.waiting, key)
			}
			r.mu.Unlock()
			// The other socket may have taken c in the meantime.
			select {
			case c.peer = <-c.paired:
			default:
				return false
			}
		}
	}
	c.send([]byte{relayPaired})
	return true
}

func readPairKey(ws *websocket.Conn) (string, error) {
	kind, rd, err := ws.NextReader()
	if err != nil {
		return "", fmt.Errorf("read pair key: %w", err)
	}
	b, err := io.ReadAll(io.LimitReader(rd, maxPairKey+1))
	switch {
	case err != nil:
		return "", fmt.Errorf("read pair key: %w", err)
	case kind != websocket.BinaryMessage || len(b) == 0 || len(b) > maxPairKey:
		return "", errors.New("the first frame must be a binary pair key of 1 to 64 bytes")
	}
	return string(b), nil
}

// Wait blocks until every socket the relay served has closed.
func (r *Relay) Wait() { r.conns.Wait() }

// ServeRelay serves a Relay on ln at /ws until ln is closed; closing ln ends
// it.
func ServeRelay(ln net.Listener, log *slog.Logger) error {
	mux := http.NewServeMux()
	mux.Handle("/ws", NewRelay(log))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, MaxHeaderBytes: 16 << 10}
	err := srv.Serve(ln)
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}
