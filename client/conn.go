package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"google.golang.org/protobuf/proto"

	racev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/race/v1"
	realtimev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/realtime/v1"
)

// Errors of sending on a Conn.
var (
	ErrClosed    = errors.New("connection closed")
	ErrQueueFull = errors.New("send queue full")
)

// CloseAbnormal is the close code reported when the connection broke without
// a close frame.
const CloseAbnormal = websocket.CloseAbnormalClosure

// Defaults of DialOptions.
const (
	DefaultReadLimit    = 64 << 10
	DefaultPongWait     = 60 * time.Second
	DefaultWriteTimeout = 5 * time.Second
	DefaultEventBuffer  = 64
	DefaultSendQueue    = 16
	// closeGrace is how long Close waits for the server's close frame.
	closeGrace = time.Second
)

// DialOptions tune a connection; the zero value is usable.
type DialOptions struct {
	// Dialer dials the WebSocket; nil means one with a 10 s handshake timeout.
	Dialer *websocket.Dialer
	// ReadLimit bounds one server frame in bytes.
	ReadLimit int64
	// PongWait is how long the connection may stay silent (no frame, no
	// ping) before it is considered dead.
	PongWait time.Duration
	// WriteTimeout bounds one write.
	WriteTimeout time.Duration
	// EventBuffer is the length of the Events channel; SendQueue that of the
	// outbound queue.
	EventBuffer int
	SendQueue   int
	// ClientVersion is sent in Hello, for the server's logs.
	ClientVersion string
	// ReconnectToken is the ReconnectToken of the last Welcome, to come back
	// on a player session token that was already used (a server admits each
	// token once). Leave it empty with a fresh token from the allocator.
	ReconnectToken string
	// Payload is the login payload sent in Hello: the game's own sign-in
	// data (a script reads it as connectMsg.payload). At most the server's
	// login payload limit (4,096 bytes by default); a larger one is refused
	// with close 1009.
	Payload []byte
	// Now is the local clock; nil means time.Now.
	Now func() time.Time
}

// Conn is a player's connection to a race server. One goroutine reads and
// turns frames into Events, one writes; the methods are safe for concurrent
// use.
type Conn struct {
	ws     *websocket.Conn
	opts   DialOptions
	events chan Event
	out    chan []byte

	closing   chan struct{} // closed by Close
	closeOnce sync.Once
	readDone  chan struct{}
	writeDone chan struct{}

	mu      sync.Mutex
	bestRTT time.Duration
	offset  time.Duration
	synced  bool
}

// HandshakeError is a WebSocket upgrade the game server answered with an
// HTTP status instead: 503 means it is busy (too many connections in their
// handshake, or at its connection cap) and the dial may be retried shortly.
type HandshakeError struct {
	URL        string
	StatusCode int
	Err        error
}

func (e *HandshakeError) Error() string {
	return fmt.Sprintf("dial %s: HTTP %d: %v", e.URL, e.StatusCode, e.Err)
}

func (e *HandshakeError) Unwrap() error { return e.Err }

// Busy reports whether the server asked to retry later (HTTP 503).
func (e *HandshakeError) Busy() bool { return e.StatusCode == http.StatusServiceUnavailable }

// Dial connects to wsURL (the match's ws_url) and authenticates with the
// player session token: Hello is the first frame. The server's answer
// (Welcome, or ServerError then Closed) arrives on Events.
func Dial(ctx context.Context, wsURL, playerSessionToken string, opts DialOptions) (*Conn, error) {
	if opts.Dialer == nil {
		opts.Dialer = &websocket.Dialer{HandshakeTimeout: 10 * time.Second, Proxy: http.ProxyFromEnvironment}
	}
	if opts.ReadLimit <= 0 {
		opts.ReadLimit = DefaultReadLimit
	}
	if opts.PongWait <= 0 {
		opts.PongWait = DefaultPongWait
	}
	if opts.WriteTimeout <= 0 {
		opts.WriteTimeout = DefaultWriteTimeout
	}
	if opts.EventBuffer <= 0 {
		opts.EventBuffer = DefaultEventBuffer
	}
	if opts.SendQueue <= 0 {
		opts.SendQueue = DefaultSendQueue
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	ws, resp, err := opts.Dialer.DialContext(ctx, wsURL, nil)
	if err != nil {
		if resp != nil {
			return nil, &HandshakeError{URL: wsURL, StatusCode: resp.StatusCode, Err: err}
		}
		return nil, fmt.Errorf("dial %s: %w", wsURL, err)
	}
	hello, err := proto.Marshal(&realtimev1.ClientFrame{Payload: &realtimev1.ClientFrame_Hello{Hello: &realtimev1.Hello{
		PlayerSessionToken: playerSessionToken, ClientVersion: opts.ClientVersion, ReconnectToken: opts.ReconnectToken,
		Payload: opts.Payload,
	}}})
	if err != nil {
		ws.Close()
		return nil, fmt.Errorf("encode hello: %w", err)
	}
	// Nothing else writes yet: Hello goes out before the writer starts.
	_ = ws.SetWriteDeadline(opts.Now().Add(opts.WriteTimeout))
	if err := ws.WriteMessage(websocket.BinaryMessage, hello); err != nil {
		ws.Close()
		return nil, fmt.Errorf("send hello to %s: %w", wsURL, err)
	}
	c := &Conn{
		ws:        ws,
		opts:      opts,
		events:    make(chan Event, opts.EventBuffer),
		out:       make(chan []byte, opts.SendQueue),
		closing:   make(chan struct{}),
		readDone:  make(chan struct{}),
		writeDone: make(chan struct{}),
	}
	go c.readLoop()
	go c.writeLoop()
	return c, nil
}

// Events delivers the server's frames in order, then one Closed, and is then
// closed. Read it until it closes, or call Close.
func (c *Conn) Events() <-chan Event { return c.events }

// SendSceneReady tells the race that this player's scene is loaded (op 200).
func (c *Conn) SendSceneReady() error {
	return c.SendGameMessage(int32(racev1.OpCode_OP_CODE_SCENE_READY), nil)
}

// SendHop presses the hop key (op 201).
func (c *Conn) SendHop() error {
	return c.SendGameMessage(int32(racev1.OpCode_OP_CODE_HOP), nil)
}

// SendGameMessage sends an op-coded message to the server.
func (c *Conn) SendGameMessage(opCode int32, payload []byte) error {
	return c.send(&realtimev1.ClientFrame{Payload: &realtimev1.ClientFrame_Message{Message: &realtimev1.GameMessage{
		OpCode: opCode, Payload: payload,
	}}})
}

// Ping asks the server for its clock; the answer arrives as a Pong event and
// refines ClockOffset.
func (c *Conn) Ping() error {
	return c.send(&realtimev1.ClientFrame{Payload: &realtimev1.ClientFrame_Ping{Ping: &realtimev1.Ping{
		ClientTimeMs: c.opts.Now().UnixMilli(),
	}}})
}

// ClockOffset is the server clock minus the local clock, from the Pong with
// the shortest round trip so far; ok is false before the first Pong.
func (c *Conn) ClockOffset() (offset time.Duration, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.offset, c.synced
}

// LocalTime converts a server timestamp (Unix ms) to the local clock.
func (c *Conn) LocalTime(serverMs int64) time.Time {
	off, _ := c.ClockOffset()
	return time.UnixMilli(serverMs).Add(-off)
}

// Close says goodbye (close 1000) and ends the connection; Events then
// delivers Closed and closes. It waits for both goroutines to end.
func (c *Conn) Close() error {
	c.closeOnce.Do(func() { close(c.closing) })
	<-c.writeDone
	<-c.readDone
	return nil
}

func (c *Conn) send(f *realtimev1.ClientFrame) error {
	b, err := proto.Marshal(f)
	if err != nil {
		return fmt.Errorf("encode frame: %w", err)
	}
	select {
	case <-c.closing:
		return ErrClosed
	case <-c.readDone:
		return ErrClosed
	default:
	}
	select {
	case c.out <- b:
		return nil
	default:
		return ErrQueueFull
	}
}

// writeLoop owns every data write.
func (c *Conn) writeLoop() {
	defer close(c.writeDone)
	defer c.ws.Close()
	for {
		select {
		case b := <-c.out:
			_ = c.ws.SetWriteDeadline(c.opts.Now().Add(c.opts.WriteTimeout))
			if err := c.ws.WriteMessage(websocket.BinaryMessage, b); err != nil {
				return
			}
		case <-c.closing:
			msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "bye")
			if c.ws.WriteControl(websocket.CloseMessage, msg, c.opts.Now().Add(c.opts.WriteTimeout)) == nil {
				// Let the server answer the close, so that both sides see a clean one.
				t := time.NewTimer(closeGrace)
				defer t.Stop()
				select {
				case <-c.readDone:
				case <-t.C:
				}
			}
			return
		case <-c.readDone:
			return
		}
	}
}

// readLoop owns every read and the Events channel.
func (c *Conn) readLoop() {
	defer close(c.readDone)
	defer close(c.events)
	ws := c.ws
	ws.SetReadLimit(c.opts.ReadLimit)
	extend := func() { _ = ws.SetReadDeadline(c.opts.Now().Add(c.opts.PongWait)) }
	extend()
	ws.SetPingHandler(func(data string) error {
		extend()
		err := ws.WriteControl(websocket.PongMessage, []byte(data), c.opts.Now().Add(c.opts.WriteTimeout))
		if errors.Is(err, websocket.ErrCloseSent) {
			return nil
		}
		return err
	})
	for {
		kind, data, err := ws.ReadMessage()
		if err != nil {
			c.emit(c.closed(err))
			return
		}
		extend()
		if kind != websocket.BinaryMessage {
			continue // not part of the protocol; the server never sends text
		}
		ev, err := c.decode(data)
		if err != nil {
			ws.Close()
			c.emit(Closed{Received: Received{At: c.opts.Now()}, Code: CloseAbnormal, Err: err})
			return
		}
		if ev != nil && !c.emit(ev) {
			return
		}
	}
}

// emit delivers ev unless Close was called; it reports whether it did.
func (c *Conn) emit(ev Event) bool {
	select {
	case c.events <- ev:
		return true
	case <-c.closing:
		// The reader of Events may be gone; deliver only if there is room.
		select {
		case c.events <- ev:
		default:
		}
		return false
	}
}

func (c *Conn) closed(err error) Closed {
	ev := Closed{Received: Received{At: c.opts.Now()}, Code: CloseAbnormal, Err: err}
	if ce, ok := errors.AsType[*websocket.CloseError](err); ok {
		ev.Code, ev.Text, ev.Err = ce.Code, ce.Text, nil
	}
	select {
	case <-c.closing:
		ev.Local = true
	default:
	}
	return ev
}

// decode turns a ServerFrame into an event; nil for frames with nothing in them.
func (c *Conn) decode(data []byte) (Event, error) {
	var f realtimev1.ServerFrame
	if err := proto.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("decode server frame: %w", err)
	}
	at := Received{At: c.opts.Now()}
	switch p := f.Payload.(type) {
	case *realtimev1.ServerFrame_Welcome:
		return Welcome{at, p.Welcome}, nil
	case *realtimev1.ServerFrame_Error:
		return ServerError{at, p.Error}, nil
	case *realtimev1.ServerFrame_PeerEvent:
		return PeerEvent{at, p.PeerEvent}, nil
	case *realtimev1.ServerFrame_GroupMembership:
		return GroupMembership{at, p.GroupMembership}, nil
	case *realtimev1.ServerFrame_Pong:
		return c.pong(at, p.Pong), nil
	case *realtimev1.ServerFrame_Message:
		return decodeGameMessage(at, p.Message)
	default:
		return nil, nil
	}
}

// pong measures the clock: the server read its clock about halfway through
// the round trip.
func (c *Conn) pong(at Received, p *realtimev1.Pong) Pong {
	sent := time.UnixMilli(p.ClientTimeMs)
	rtt := max(at.At.Sub(sent), 0)
	offset := time.UnixMilli(p.ServerTimeMs).Sub(sent.Add(rtt / 2))
	c.mu.Lock()
	if !c.synced || rtt <= c.bestRTT {
		c.bestRTT, c.offset, c.synced = rtt, offset, true
	}
	c.mu.Unlock()
	return Pong{Received: at, RTT: rtt, Offset: offset}
}

func decodeGameMessage(at Received, m *realtimev1.GameMessage) (Event, error) {
	var (
		ev  Event
		msg proto.Message
	)
	switch racev1.OpCode(m.OpCode) {
	case racev1.OpCode_OP_CODE_ASSIGN_PLAYER:
		v := &racev1.AssignPlayer{}
		ev, msg = AssignPlayer{at, m.Sender, v}, v
	case racev1.OpCode_OP_CODE_COUNTDOWN:
		v := &racev1.Countdown{}
		ev, msg = Countdown{at, m.Sender, v}, v
	case racev1.OpCode_OP_CODE_FROG_MOVED:
		v := &racev1.FrogMoved{}
		ev, msg = FrogMoved{at, m.Sender, v}, v
	case racev1.OpCode_OP_CODE_RACE_RESULT:
		v := &racev1.RaceResult{}
		ev, msg = RaceResult{at, m.Sender, v}, v
	case racev1.OpCode_OP_CODE_RACE_SNAPSHOT:
		v := &racev1.RaceSnapshot{}
		ev, msg = RaceSnapshot{at, m.Sender, v}, v
	case racev1.OpCode_OP_CODE_PLAYER_STATUS:
		v := &racev1.PlayerStatus{}
		ev, msg = PlayerStatus{at, m.Sender, v}, v
	default:
		return GameMessage{at, m}, nil
	}
	if err := proto.Unmarshal(m.Payload, msg); err != nil {
		return nil, fmt.Errorf("decode op code %d payload: %w", m.OpCode, err)
	}
	return ev, nil
}
