package gamelift

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"sync"

	"github.com/pion/dtls/v3"
	"google.golang.org/protobuf/proto"

	gameliftv1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/gamelift/v1"
	realtimev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/realtime/v1"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime"
)

// Path is where the game server accepts GameLift Realtime clients, as the
// official SDK builds its URL; third-party clients use the URL without a
// path, which the game server serves too (Leapfrog's own clients use /ws).
const Path = "/websocket"

// Op codes of the protocol (op codes <= 0).
const (
	OpLogin                  = 0
	OpLoginResult            = -1
	OpPing                   = -2 // not in the SDK; accepted for older third-party clients
	OpPingResult             = -3
	OpUDPConnect             = -5 // client to server, over UDP
	OpUDPConnectServerAck    = -6 // server to client
	OpUDPConnectClientAck    = -7 // client to server, over UDP
	OpJoinGroup              = -10
	OpLeaveGroup             = -11
	OpRequestGroupMembership = -12
	OpGroupMembershipUpdate  = -13
	OpVerifyIdentity         = -14
	OpVerifyIdentityResult   = -15
	OpPlayerConnect          = -101
	OpPlayerDisconnect       = -103
)

// Payload caps of the protocol.
const (
	MaxReliablePayload = 4096
	MaxFastPayload     = 1200
)

// Reserved ids.
const (
	ServerPeer      = -1
	AllPlayersGroup = realtime.AllPlayersGroup
)

// Codec translates one GameLift Realtime client's packets. It remembers the
// peer id the login gave; with a fast channel (see Fast) it also carries
// the player's UDP address once the client's UDP_CONNECT was accepted.
type Codec struct {
	fast *Fast          // nil: no UDP channel on this server
	link *realtime.Link // set before the handshake when fast is set
	ip   netip.Addr     // the WebSocket's client address

	// peer and loggedIn belong to the writer (EncodeServer); the peer id
	// is copied under fast.mu when the codec is registered.
	peer     int32
	loggedIn bool

	// registered and regPeer (under fast.mu) say whether and as which
	// peer the codec awaits or holds a fast channel.
	registered bool
	regPeer    int32
	// connectToken (under fast.mu) is what the player's DTLS session must
	// show in its VerifyIdentity; empty without DTLS.
	connectToken string

	// udp is the client's recorded UDP address (zero until accepted) and
	// seq the last sequence number sent on UDP, both under mu: the writer
	// and the datagram reader both send datagrams.
	mu   sync.Mutex
	udp  netip.AddrPort
	dtls *dtls.Conn // the verified DTLS session, nil until then
	seq  int32
}

var (
	_ realtime.Codec  = (*Codec)(nil)
	_ realtime.Linker = (*Codec)(nil)
)

// NewCodec is the realtime.Server.Handler factory for a server without a
// fast channel: the login result says fastPort 0 and fast messages travel
// over the WebSocket.
func NewCodec() realtime.Codec { return &Codec{} }

// Link records the connection's link (see realtime.Linker).
func (c *Codec) Link(l *realtime.Link) {
	c.link = l
	if ta, ok := l.RemoteAddr().(*net.TCPAddr); ok && !l.Relayed() {
		c.ip, _ = netip.AddrFromSlice(ta.IP)
		c.ip = c.ip.Unmap()
	}
}

// Unlink forgets the player's fast channel.
func (c *Codec) Unlink() {
	if c.fast != nil {
		c.fast.unregister(c)
	}
}

// fastPort is the UDP port the login result names: 0 without a fast
// channel, or when the client's address is unknown (a relay in front).
func (c *Codec) fastPort() int32 {
	if c.fast == nil || !c.ip.IsValid() {
		return 0
	}
	return int32(c.fast.Port())
}

// decodePacket reads one varint-length-delimited Packet.
func decodePacket(b []byte) (*gameliftv1.Packet, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n != uint64(len(b)-k) {
		return nil, fmt.Errorf("%w: a message must be one packet after its varint length (read %d bytes, length says %d)", realtime.ErrMalformedFrame, len(b), n)
	}
	var p gameliftv1.Packet
	if err := (proto.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(b[k:], &p); err != nil {
		return nil, fmt.Errorf("%w: %v", realtime.ErrMalformedFrame, err)
	}
	return &p, nil
}

// DecodeClient reads one length-delimited Packet and turns it into the
// Leapfrog frame it stands for: login into Hello (the player session id is
// the player session token, the packet's payload the login payload), game
// messages (reliable or fast), pings and group commands.
func (c *Codec) DecodeClient(b []byte, maxPayload int) (*realtimev1.ClientFrame, error) {
	p, err := decodePacket(b)
	if err != nil {
		return nil, err
	}
	if login := p.GetLogin(); login != nil {
		return &realtimev1.ClientFrame{Payload: &realtimev1.ClientFrame_Hello{Hello: &realtimev1.Hello{
			PlayerSessionToken: login.PlayerSessionId, ClientVersion: fmt.Sprint(login.ClientVersion), Payload: p.Payload,
		}}}, nil
	}
	if _, ok := p.Command.(*gameliftv1.Packet_Ping); ok {
		return &realtimev1.ClientFrame{Payload: &realtimev1.ClientFrame_Ping{Ping: &realtimev1.Ping{}}}, nil
	}
	return toFrame(p, maxPayload, !p.Reliable)
}

// toFrame turns a packet other than login and ping into a client frame: a
// group command or a game message, fast ones capped at MaxFastPayload.
func toFrame(p *gameliftv1.Packet, maxPayload int, fast bool) (*realtimev1.ClientFrame, error) {
	switch cmd := p.Command.(type) {
	case *gameliftv1.Packet_JoinGroup:
		return &realtimev1.ClientFrame{Payload: &realtimev1.ClientFrame_JoinGroup{JoinGroup: &realtimev1.JoinGroup{GroupId: cmd.JoinGroup.Group}}}, nil
	case *gameliftv1.Packet_LeaveGroup:
		return &realtimev1.ClientFrame{Payload: &realtimev1.ClientFrame_LeaveGroup{LeaveGroup: &realtimev1.LeaveGroup{GroupId: cmd.LeaveGroup.Group}}}, nil
	case *gameliftv1.Packet_RequestGroupMembership:
		return &realtimev1.ClientFrame{Payload: &realtimev1.ClientFrame_GroupMembershipRequest{
			GroupMembershipRequest: &realtimev1.GroupMembershipRequest{GroupId: cmd.RequestGroupMembership.Group},
		}}, nil
	case nil:
	default:
		return nil, fmt.Errorf("%w: op code %d (%T) is not accepted here (UDP connect travels over UDP; verify identity travels over DTLS)", realtime.ErrMalformedFrame, p.OpCode, cmd)
	}
	if p.OpCode <= 0 {
		return nil, fmt.Errorf("%w: op code %d without its command", realtime.ErrMalformedFrame, p.OpCode)
	}
	limit := min(maxPayload, MaxReliablePayload)
	if fast {
		limit = min(limit, MaxFastPayload)
	}
	if len(p.Payload) > limit {
		return nil, fmt.Errorf("%w: payload of %d bytes, the limit is %d (fast %v)", realtime.ErrOversizedFrame, len(p.Payload), limit, fast)
	}
	m := &realtimev1.GameMessage{OpCode: p.OpCode, Payload: p.Payload, Fast: fast}
	switch {
	case p.TargetPlayer > 0:
		m.TargetPeer = p.TargetPlayer
	case p.TargetGroup > 0 || p.TargetGroup == AllPlayersGroup:
		m.TargetGroup = p.TargetGroup
	}
	return &realtimev1.ClientFrame{Payload: &realtimev1.ClientFrame_Message{Message: m}}, nil
}

// EncodeServer turns a Leapfrog ServerFrame into a length-delimited Packet.
//
// Sender and target: a game message and PlayerConnect/PlayerDisconnect name
// the peer they come from (or are about) in both sender and targetPlayer,
// because the SDK 1.2.0 reads the sender from sender and the older 1.0.0
// build from targetPlayer; targetGroup is the group a group message was
// sent to. The login result's targetPlayer is the new peer id. Frames the
// protocol has no word for (errors after login: it reports errors only by
// closing) are skipped; a refused login is a failed LoginResult.
//
// A fast game message goes as a datagram when the client's fast channel is
// up (with the client's next sequence number) and its payload fits; then
// nothing is written on the WebSocket.
func (c *Codec) EncodeServer(frame []byte) []byte {
	var f realtimev1.ServerFrame
	if err := proto.Unmarshal(frame, &f); err != nil {
		return nil // our own frame: cannot happen
	}
	p := &gameliftv1.Packet{Sender: ServerPeer, Reliable: true, TargetPlayer: c.peer}
	switch x := f.Payload.(type) {
	case *realtimev1.ServerFrame_Welcome:
		w := x.Welcome
		c.peer, c.loggedIn = w.PeerId, true
		lr := &gameliftv1.LoginResult{Success: true, PeerId: c.peer, FastPort: c.fastPort(), ReconnectToken: w.ReconnectToken}
		if lr.FastPort != 0 {
			lr.ConnectToken = c.fast.register(c, c.peer)
		}
		if c.fast != nil && c.fast.secure != nil {
			// The SDK's secure mode fails without the CA, even with no fast port.
			lr.CaCert = c.fast.secure.caCert
		}
		p.OpCode, p.TargetPlayer = OpLoginResult, c.peer
		p.Command = &gameliftv1.Packet_LoginResult{LoginResult: lr}
	case *realtimev1.ServerFrame_Message:
		m := x.Message
		p.OpCode, p.Sender, p.TargetPlayer, p.TargetGroup, p.Payload = m.OpCode, m.Sender, m.Sender, m.TargetGroup, m.Payload
		if m.Fast && c.sendFast(p) {
			return nil
		}
	case *realtimev1.ServerFrame_Pong:
		p.OpCode, p.Command = OpPingResult, &gameliftv1.Packet_PingResult{PingResult: &gameliftv1.PingResult{}}
	case *realtimev1.ServerFrame_GroupMembership:
		g := x.GroupMembership
		p.OpCode, p.TargetGroup = OpGroupMembershipUpdate, g.GroupId
		p.Command = &gameliftv1.Packet_GroupMembershipUpdate{GroupMembershipUpdate: &gameliftv1.GroupMembershipUpdate{Group: g.GroupId, Players: g.PeerIds}}
	case *realtimev1.ServerFrame_PeerEvent:
		e := x.PeerEvent
		p.Sender, p.TargetPlayer = e.PeerId, e.PeerId
		switch e.Kind {
		case realtimev1.PeerEvent_KIND_JOINED, realtimev1.PeerEvent_KIND_RECONNECTED:
			p.OpCode, p.Command = OpPlayerConnect, &gameliftv1.Packet_PlayerConnect{PlayerConnect: &gameliftv1.PlayerConnect{PeerId: e.PeerId}}
		default:
			p.OpCode, p.Command = OpPlayerDisconnect, &gameliftv1.Packet_PlayerDisconnect{PlayerDisconnect: &gameliftv1.PlayerDisconnect{PeerId: e.PeerId}}
		}
	case *realtimev1.ServerFrame_Error:
		if c.loggedIn {
			return nil
		}
		p.OpCode = OpLoginResult
		p.Command = &gameliftv1.Packet_LoginResult{LoginResult: &gameliftv1.LoginResult{Success: false}}
	default:
		return nil
	}
	return Encode(p)
}

// sendFast sends a game message as a datagram if the fast channel is up
// and it fits; false leaves it to the WebSocket (reliable, as the SDK
// itself falls back).
func (c *Codec) sendFast(p *gameliftv1.Packet) bool {
	if c.fast == nil || len(p.Payload) > MaxFastPayload {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.udp.IsValid() && c.dtls == nil {
		return false
	}
	c.seq++
	p.SequenceNumber, p.Reliable = c.seq, false
	if c.dtls != nil {
		c.fast.writeSecure(c.dtls, Encode(p))
	} else {
		c.fast.write(Encode(p), c.udp)
	}
	return true
}

// Encode writes a packet with its varint length in front, as the protocol
// frames every message on every transport.
func Encode(p *gameliftv1.Packet) []byte {
	body, err := proto.Marshal(p)
	if err != nil {
		panic(fmt.Sprintf("marshal packet: %v", err)) // only invalid UTF-8 can fail, and no string here is the client's
	}
	out := binary.AppendUvarint(make([]byte, 0, len(body)+binary.MaxVarintLen32), uint64(len(body)))
	return append(out, body...)
}
