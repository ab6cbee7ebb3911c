package gamelifttest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pion/dtls/v3"
	"google.golang.org/protobuf/proto"

	gameliftv1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/gamelift/v1"
	"github.com/leapfrog-games/leapfrog/gameserver/gamelift"
)

// SenderField is where a client build reads the sender of a received message.
type SenderField int

const (
	// SenderFromSender is the SDK 1.2.0: DataReceived.Sender = packet.sender.
	SenderFromSender SenderField = iota
	// SenderFromTargetPlayer is the older 1.0.0 build studios still ship:
	// DataReceived.Sender = packet.targetPlayer.
	SenderFromTargetPlayer
)

// Intent is a message's DeliveryIntent.
type Intent int

const (
	// Fast goes over UDP once the fast channel is up (and the payload fits
	// in MaxFastPayload), else over the WebSocket as reliable: the SDK's default.
	Fast Intent = iota
	// Reliable always goes over the WebSocket.
	Reliable
)

// Options tune a Client.
type Options struct {
	// Payload is the connection token's payload, sent in the login packet.
	Payload []byte
	// Sender chooses the SDK build whose sender field the client reads.
	Sender SenderField
	// MaxBackoff caps the UDP_CONNECT resend interval, which starts at 100 ms
	// and doubles; 0 means the SDK's 5 s.
	MaxBackoff time.Duration
	// Secure is the SDK's RT_OVER_WSS_DTLS_TLS12: the URL is wss://, and
	// after login the fast channel is a DTLS session verified against the
	// login result's caCert and the host dialed.
	Secure bool
	// RootCAs verifies the wss:// server (the SDK uses the system's store);
	// nil means the system's.
	RootCAs *x509.CertPool
	// Identity, when set, rewrites the VerifyIdentity the client sends
	// (hostile tests); SkipVerify sends none and uses the session anyway.
	Identity   func(peer int32, connectToken string) (int32, string)
	SkipVerify bool
}

// ErrNoCACert is the SDK's failure when a secure login result has no caCert.
var ErrNoCACert = errors.New("CA cert is undefined")

// Kind tells what an Event is.
type Kind int

const (
	// DataReceived: a message (op code > 0), or a player connect (-101) or
	// disconnect (-103), as the SDK's OnDataReceived gets them.
	DataReceived Kind = iota + 1
	// GroupMembershipUpdated: op -13.
	GroupMembershipUpdated
	// Closed: the WebSocket closed; the last event.
	Closed
)

// Event is what the client saw.
type Event struct {
	Kind        Kind
	OpCode      int32
	Sender      int32 // as the chosen SDK build reads it
	TargetGroup int32
	Payload     []byte
	// OverUDP is set for a message that arrived as a datagram.
	OverUDP bool
	// Group and Players: a membership update.
	Group   int32
	Players []int32
	// CloseCode and CloseText: Closed.
	CloseCode int
	CloseText string
}

// LoginResult is the server's answer to a login.
type LoginResult struct {
	PeerID         int32
	FastPort       int32
	ReconnectToken string
	CACert         []byte
	ConnectToken   string
}

// LoginError is a refused login: the failed result, then the close.
type LoginError struct {
	Code int
	Text string
}

func (e *LoginError) Error() string { return fmt.Sprintf("login refused: close %d %q", e.Code, e.Text) }

// Client is one GameLift Realtime client. Send, JoinGroup, LeaveGroup,
// RequestGroupMembership and Next are safe to call from any goroutine.
type Client struct {
	opts   Options
	host   string
	ws     *websocket.Conn
	wmu    sync.Mutex
	events chan Event
	done   chan struct{}
	once   sync.Once
	// emitMu lets the WebSocket reader close events while the UDP reader
	// may still be emitting: senders hold it, and done unblocks them.
	emitMu       sync.Mutex
	eventsClosed bool

	peer      int32
	fastPort  int32
	udp       *net.UDPConn
	udpRemote atomic.Pointer[net.UDPAddr]
	fast      atomic.Bool
	acked     chan struct{}
	ackOnce   sync.Once
	udpErrors atomic.Int64
	lastSeq   int32 // the UDP reader's: last sequence number accepted

	caCert       []byte
	connectToken string
	dtls         atomic.Pointer[dtls.Conn]
	refused      atomic.Bool
	fastClosed   atomic.Bool
}

// Dial opens the WebSocket: url is ws://host:port/websocket as the SDK
// builds it, or ws://host:port as third-party clients do.
func Dial(ctx context.Context, rawURL string, opts Options) (*Client, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("parse url %q: %w", rawURL, err)
	}
	dialer := *websocket.DefaultDialer
	if opts.Secure {
		dialer.TLSClientConfig = &tls.Config{RootCAs: opts.RootCAs, MinVersion: tls.VersionTLS12}
	}
	ws, resp, err := dialer.DialContext(ctx, rawURL, nil)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", rawURL, err)
	}
	if opts.MaxBackoff == 0 {
		opts.MaxBackoff = 5 * time.Second
	}
	return &Client{
		opts: opts, host: u.Hostname(), ws: ws, events: make(chan Event, 256),
		done: make(chan struct{}), acked: make(chan struct{}), lastSeq: -1,
	}, nil
}

// Login sends the login packet (op 0, player session id, payload) and
// waits for its result. On success the client reads in the background
// and starts the UDP handshake, as the SDK does, even when the fast port
// is 0 (each attempt then fails: see UDPErrors).
func (c *Client) Login(ctx context.Context, playerSessionID string) (*LoginResult, error) {
	login := &gameliftv1.Packet{OpCode: gamelift.OpLogin, TargetPlayer: gamelift.ServerPeer, Reliable: true, Payload: c.opts.Payload,
		Command: &gameliftv1.Packet_Login{Login: &gameliftv1.LoginCommand{PlayerSessionId: playerSessionID, ClientVersion: 2}}}
	if err := c.writeWS(login); err != nil {
		return nil, err
	}
	if d, ok := ctx.Deadline(); ok {
		_ = c.ws.SetReadDeadline(d)
	}
	for {
		p, err := c.readWS()
		if err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				return nil, &LoginError{Code: ce.Code, Text: ce.Text}
			}
			return nil, fmt.Errorf("login: %w", err)
		}
		if p.OpCode != gamelift.OpLoginResult {
			continue
		}
		lr := p.GetLoginResult()
		if !lr.GetSuccess() {
			_, err := c.readWS() // the close that follows names the reason
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				return nil, &LoginError{Code: ce.Code, Text: ce.Text}
			}
			return nil, &LoginError{Text: fmt.Sprint(err)}
		}
		_ = c.ws.SetReadDeadline(time.Time{})
		c.peer, c.fastPort, c.caCert, c.connectToken = lr.PeerId, lr.FastPort, lr.CaCert, lr.ConnectToken
		if c.opts.Secure && len(lr.CaCert) == 0 {
			c.Close()
			return nil, ErrNoCACert
		}
		go c.readLoop()
		start := c.startUDP
		if c.opts.Secure {
			start = c.startDTLS
		}
		if err := start(); err != nil {
			c.udpErrors.Add(1)
		}
		return &LoginResult{PeerID: lr.PeerId, FastPort: lr.FastPort, ReconnectToken: lr.ReconnectToken, CACert: lr.CaCert, ConnectToken: lr.ConnectToken}, nil
	}
}

// PeerID is the peer id from the login result.
func (c *Client) PeerID() int32 { return c.peer }

// FastConnected reports whether the server acked the UDP handshake, or
// (secure) verified the DTLS session's identity.
func (c *Client) FastConnected() bool { return c.fast.Load() }

// LocalUDPAddr is the client's UDP socket address, nil before login.
func (c *Client) LocalUDPAddr() *net.UDPAddr {
	if c.udp == nil {
		return nil
	}
	return c.udp.LocalAddr().(*net.UDPAddr)
}

// UDPErrors counts failed UDP handshake attempts (the SDK logs each one
// every 5 s, forever, when the fast port is 0).
func (c *Client) UDPErrors() int64 { return c.udpErrors.Load() }

// Send sends a game message: targetPlayer -1 is the server, another peer
// id a peer; targetGroup (when targetPlayer is 0) a group, -1 every player.
func (c *Client) Send(opCode int32, payload []byte, intent Intent, targetPlayer, targetGroup int32) error {
	return c.send(&gameliftv1.Packet{OpCode: opCode, Sender: c.peer, TargetPlayer: targetPlayer, TargetGroup: targetGroup, Payload: payload}, intent)
}

// JoinGroup, LeaveGroup and RequestGroupMembership go like messages of
// Fast intent (the SDK's default).
func (c *Client) JoinGroup(group int32) error {
	return c.send(&gameliftv1.Packet{OpCode: gamelift.OpJoinGroup, Sender: c.peer, TargetPlayer: gamelift.ServerPeer,
		Command: &gameliftv1.Packet_JoinGroup{JoinGroup: &gameliftv1.JoinGroup{Group: group}}}, Fast)
}

// LeaveGroup leaves a group.
func (c *Client) LeaveGroup(group int32) error {
	return c.send(&gameliftv1.Packet{OpCode: gamelift.OpLeaveGroup, Sender: c.peer, TargetPlayer: gamelift.ServerPeer,
		Command: &gameliftv1.Packet_LeaveGroup{LeaveGroup: &gameliftv1.LeaveGroup{Group: group}}}, Fast)
}

// RequestGroupMembership asks for a group's members.
func (c *Client) RequestGroupMembership(group int32) error {
	return c.send(&gameliftv1.Packet{OpCode: gamelift.OpRequestGroupMembership, Sender: c.peer, TargetPlayer: gamelift.ServerPeer,
		Command: &gameliftv1.Packet_RequestGroupMembership{RequestGroupMembership: &gameliftv1.RequestGroupMembership{Group: group}}}, Fast)
}

// send applies the SDK's channel choice: fast over UDP once acked and
// when the payload fits, else the WebSocket with reliable = true.
func (c *Client) send(p *gameliftv1.Packet, intent Intent) error {
	if intent == Fast && c.fast.Load() && len(p.Payload) <= gamelift.MaxFastPayload {
		p.Reliable = false
		if c.opts.Secure {
			return c.writeDTLS(p)
		}
		return c.writeUDP(p)
	}
	p.Reliable = true
	return c.writeWS(p)
}

// SendRaw writes a packet on the WebSocket as it is, for hostile tests.
func (c *Client) SendRaw(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.ws.WriteMessage(websocket.BinaryMessage, b)
}

// Events delivers what the client receives; it is closed after Closed.
func (c *Client) Events() <-chan Event { return c.events }

// Next returns the next event, or ctx's error.
func (c *Client) Next(ctx context.Context) (Event, error) {
	select {
	case ev, ok := <-c.events:
		if !ok {
			return Event{}, errors.New("the connection is closed")
		}
		return ev, nil
	case <-ctx.Done():
		return Event{}, ctx.Err()
	}
}

// Close closes both channels.
func (c *Client) Close() error {
	c.once.Do(func() { close(c.done) })
	c.wmu.Lock()
	_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	c.wmu.Unlock()
	if c.udp != nil {
		c.udp.Close()
	}
	if d := c.dtls.Load(); d != nil {
		d.Close()
	}
	return c.ws.Close()
}

func (c *Client) writeWS(p *gameliftv1.Packet) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return c.ws.WriteMessage(websocket.BinaryMessage, gamelift.Encode(p))
}

func (c *Client) readWS() (*gameliftv1.Packet, error) {
	kind, b, err := c.ws.ReadMessage()
	if err != nil {
		return nil, err
	}
	if kind != websocket.BinaryMessage {
		return nil, fmt.Errorf("a message of kind %d", kind)
	}
	return decode(b)
}

func decode(b []byte) (*gameliftv1.Packet, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n != uint64(len(b)-k) {
		return nil, fmt.Errorf("bad length prefix: %d bytes, prefix %d", len(b), n)
	}
	p := &gameliftv1.Packet{}
	if err := proto.Unmarshal(b[k:], p); err != nil {
		return nil, fmt.Errorf("decode packet: %w", err)
	}
	return p, nil
}

func (c *Client) readLoop() {
	defer func() {
		c.once.Do(func() { close(c.done) })
		c.emitMu.Lock()
		c.eventsClosed = true
		close(c.events)
		c.emitMu.Unlock()
	}()
	for {
		p, err := c.readWS()
		if err != nil {
			// The SDK keeps its UDP socket open when the WebSocket closes, so
			// datagrams the server sent just before its close frame still
			// reach the game: give them that long before Closed ends the events.
			if c.fast.Load() {
				time.Sleep(udpLinger)
			}
			ev := Event{Kind: Closed, CloseCode: websocket.CloseAbnormalClosure}
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				ev.CloseCode, ev.CloseText = ce.Code, ce.Text
			}
			c.emit(ev)
			return
		}
		c.handle(p, false)
	}
}

// udpLinger is how long datagrams may trail the WebSocket's close.
const udpLinger = 250 * time.Millisecond

// handle does what the SDK does with a received packet.
func (c *Client) handle(p *gameliftv1.Packet, overUDP bool) {
	switch p.OpCode {
	case gamelift.OpLoginResult:
	case gamelift.OpVerifyIdentityResult:
		if !overUDP {
			return // the result counts only inside the session it verifies
		}
		if p.GetVerifyIdentityResult().GetSuccess() {
			c.fast.Store(true)
		} else {
			c.refused.Store(true)
		}
	case gamelift.OpUDPConnectServerAck:
		c.ackOnce.Do(func() { close(c.acked) })
	case gamelift.OpGroupMembershipUpdate:
		u := p.GetGroupMembershipUpdate()
		c.emit(Event{Kind: GroupMembershipUpdated, Group: u.GetGroup(), Players: u.GetPlayers(), OverUDP: overUDP})
	default:
		sender := p.Sender
		if c.opts.Sender == SenderFromTargetPlayer {
			sender = p.TargetPlayer
		}
		c.emit(Event{Kind: DataReceived, OpCode: p.OpCode, Sender: sender, TargetGroup: p.TargetGroup, Payload: p.Payload, OverUDP: overUDP})
	}
}

func (c *Client) emit(ev Event) {
	c.emitMu.Lock()
	defer c.emitMu.Unlock()
	if c.eventsClosed {
		return
	}
	select {
	case c.events <- ev:
	case <-c.done:
	}
}

// startUDP opens the client's UDP socket and runs the handshake.
func (c *Client) startUDP() error {
	udp, err := net.ListenUDP("udp", nil)
	if err != nil {
		return fmt.Errorf("open udp socket: %w", err)
	}
	c.udp = udp
	ip, err := net.ResolveIPAddr("ip", c.host)
	if err != nil {
		return fmt.Errorf("resolve %s: %w", c.host, err)
	}
	c.udpRemote.Store(&net.UDPAddr{IP: ip.IP, Port: int(c.fastPort), Zone: ip.Zone})
	go c.readUDP()
	go c.handshake()
	return nil
}

// handshake resends UDP_CONNECT with exponential backoff (100 ms, doubling,
// capped) until the server acks, then sends the client ack.
func (c *Client) handshake() {
	wait := 100 * time.Millisecond
	for {
		hello := &gameliftv1.Packet{OpCode: gamelift.OpUDPConnect, TargetPlayer: gamelift.ServerPeer, Sender: c.peer,
			Command: &gameliftv1.Packet_UdpConnect{UdpConnect: &gameliftv1.UDPConnect{}}}
		if err := c.writeUDP(hello); err != nil {
			c.udpErrors.Add(1)
		}
		t := time.NewTimer(wait)
		select {
		case <-c.done:
			t.Stop()
			return
		case <-c.acked:
			t.Stop()
			c.fast.Store(true)
			_ = c.writeUDP(&gameliftv1.Packet{OpCode: gamelift.OpUDPConnectClientAck, TargetPlayer: gamelift.ServerPeer, Sender: c.peer,
				Command: &gameliftv1.Packet_UdpConnect{UdpConnect: &gameliftv1.UDPConnect{}}})
			return
		case <-t.C:
		}
		wait = min(2*wait, c.opts.MaxBackoff)
	}
}

func (c *Client) writeUDP(p *gameliftv1.Packet) error {
	to := c.udpRemote.Load()
	if to == nil || to.Port == 0 {
		return errors.New("no UDP endpoint: the fast port is 0")
	}
	_, err := c.udp.WriteToUDP(gamelift.Encode(p), to)
	return err
}

// readUDP reads datagrams: like the SDK it takes the source of each as the
// server's endpoint and drops any whose sequence number is not above the
// last accepted.
func (c *Client) readUDP() {
	buf := make([]byte, 64<<10)
	for {
		n, from, err := c.udp.ReadFromUDP(buf)
		if err != nil {
			return
		}
		p, err := decode(buf[:n])
		if err != nil || p.SequenceNumber <= c.lastSeq {
			continue
		}
		c.lastSeq = p.SequenceNumber
		c.udpRemote.Store(from)
		c.handle(p, true)
	}
}

// URL is the SDK's WebSocket URL for a host and port.
func URL(host string, port int) string {
	return "ws://" + net.JoinHostPort(host, strconv.Itoa(port)) + gamelift.Path
}

// SecureURL is the SDK's URL with RT_OVER_WSS_DTLS_TLS12.
func SecureURL(host string, port int) string {
	return "wss://" + net.JoinHostPort(host, strconv.Itoa(port)) + gamelift.Path
}
