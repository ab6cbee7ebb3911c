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

// relayLanded+lane is the first byte of a fan-out relay's landing frame, the
// rest that of the hop it lands.
const relayLanded = 2

// Relay is the least a race server can do, the baseline the race server is
// measured against: it pairs two WebSockets whose first frame names the same
// pair, then relays every binary frame one sends to the other. Like the
// realtime server each socket has one reader (the handler) and one writer
// goroutine with a bounded queue; a full queue closes that socket, and when
// one socket of a pair goes the other is closed too.
type Relay struct {
	upgrader websocket.Upgrader
	log      *slog.Logger
	// FanOut, when above 0, makes the relay write what the race server
	// writes for a hop (docs/high-density.md, "Hop throughput"): the hop to
	// both sockets of the pair, the sender's own included, and a landing
	// frame of it to both at the pair's next tick, FanOut apart (the race
	// server's tick). Still no game: no decoding, rules or state beyond the
	// landings due.
	FanOut time.Duration
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
	// pair is the landings of a fan-out pair, shared by its two sockets
	// (set before the paired notice is sent).
	pair *fanOutPair
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
			if c.pair != nil {
				c.pair.stop()
			}
			return
		}
		if c.pair == nil {
			c.peer.send(b)
			continue
		}
		c.pair.hop(b)
	}
}

// fanOutPair sends a fan-out pair's hops to both sockets and their landings
// at the pair's next tick, like a race's session: a hop whose lane still
// has a landing due sends that landing first.
type fanOutPair struct {
	conns [2]*relayConn
	tick  time.Duration
	start time.Time // the tick grid's origin

	mu      sync.Mutex
	due     [2][]byte // each lane's landing frame, or nil
	timer   *time.Timer
	stopped bool
}

// hop relays hop frame b (lane, sequence number, padding) to both sockets
// and makes its landing due; any other frame goes to both as it is.
func (p *fanOutPair) hop(b []byte) {
	lane := -1
	if len(b) == HopFrameBytes && b[0] < 2 {
		lane = int(b[0])
	}
	p.mu.Lock()
	var late []byte
	if lane >= 0 {
		late = p.due[lane]
		landing := append([]byte(nil), b...)
		landing[0] = relayLanded + byte(lane)
		p.due[lane] = landing
		if p.timer == nil && !p.stopped {
			wait := p.tick - time.Since(p.start)%p.tick
			p.timer = time.AfterFunc(wait, p.land)
		}
	}
	p.mu.Unlock()
	for _, c := range p.conns {
		if late != nil {
			c.send(late)
		}
		c.send(b)
	}
}

// land sends the landings due, at a tick.
func (p *fanOutPair) land() {
	p.mu.Lock()
	due := p.due
	p.due = [2][]byte{}
	p.timer = nil
	p.mu.Unlock()
	for _, b := range due {
		if b == nil {
			continue
		}
		for _, c := range p.conns {
			c.send(b)
		}
	}
}

func (p *fanOutPair) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stopped = true
	if p.timer != nil {
		p.timer.Stop()
	}
}

// pair matches c with the socket waiting under key, or waits for it until
// the handshake deadline or until c closes; it reports whether c has a peer.
func (r *Relay) pair(key string, c *relayConn) bool {
	r.mu.Lock()
	other, ok := r.waiting[key]
	if ok {
		delete(r.waiting, key)
		if r.FanOut > 0 {
			pair := &fanOutPair{conns: [2]*relayConn{other, c}, tick: r.FanOut, start: time.Now()}
			other.pair, c.pair = pair, pair
		}
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
// fanOut is the Relay's FanOut.
func ServeRelay(ln net.Listener, fanOut time.Duration, log *slog.Logger) error {
	relay := NewRelay(log)
	relay.FanOut = fanOut
	mux := http.NewServeMux()
	mux.Handle("/ws", relay)
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, MaxHeaderBytes: 16 << 10}
	err := srv.Serve(ln)
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}
