package gamelift

import (
	"encoding/binary"
	"fmt"

	"google.golang.org/protobuf/proto"

	gameliftv1 "github.com/leapfrog-games/leapfrog/gameserver/proto/leapfrog/gamelift/v1"
	realtimev1 "github.com/leapfrog-games/leapfrog/gameserver/proto/leapfrog/realtime/v1"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime"
)

// Path is where the race server accepts GameLift Realtime clients.
const Path = "/websocket"

// Op codes of the protocol (op codes <= 0).
const (
	OpLogin                  = 0
	OpLoginResult            = -1
	OpPing                   = -2
	OpPingResult             = -3
	OpJoinGroup              = -10
	OpLeaveGroup             = -11
	OpRequestGroupMembership = -12
	OpGroupMembershipUpdate  = -13
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
	ServerPeer       = -1
	AllPlayersGroup  = realtime.AllPlayersGroup
	protocolFastPort = 0 // fast (UDP) messages travel over the WebSocket
)

// Codec translates one GameLift Realtime client's packets. It remembers the
// peer id the login gave, which every packet it then receives names as
// its target.
type Codec struct {
	peer     int32
	loggedIn bool
}

var _ realtime.Codec = (*Codec)(nil)

// NewCodec is the realtime.Server.Handler factory.
func NewCodec() realtime.Codec { return &Codec{} }

// DecodeClient reads one length-delimited Packet and turns it into the
// Leapfrog frame it stands for: login into Hello (the player session id is
// the player session token), game messages (reliable or fast, both over
// this connection), pings and group commands.
func (c *Codec) DecodeClient(b []byte, maxPayload int) (*realtimev1.ClientFrame, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n != uint64(len(b)-k) {
		return nil, fmt.Errorf("%w: a message must be one packet after its varint length (read %d bytes, length says %d)", realtime.ErrMalformedFrame, len(b), n)
	}
	var p gameliftv1.Packet
	if err := (proto.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(b[k:], &p); err != nil {
		return nil, fmt.Errorf("%w: %v", realtime.ErrMalformedFrame, err)
	}
	switch cmd := p.Command.(type) {
	case *gameliftv1.Packet_Login:
		return &realtimev1.ClientFrame{Payload: &realtimev1.ClientFrame_Hello{Hello: &realtimev1.Hello{
			PlayerSessionToken: cmd.Login.PlayerSessionId, ClientVersion: fmt.Sprint(cmd.Login.ClientVersion),
		}}}, nil
	case *gameliftv1.Packet_Ping:
		return &realtimev1.ClientFrame{Payload: &realtimev1.ClientFrame_Ping{Ping: &realtimev1.Ping{}}}, nil
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
		return nil, fmt.Errorf("%w: op code %d (%T) is not accepted from clients; fast messages go over this connection (login result fast port 0)", realtime.ErrMalformedFrame, p.OpCode, cmd)
	}
	if p.OpCode <= 0 {
		return nil, fmt.Errorf("%w: op code %d without its command", realtime.ErrMalformedFrame, p.OpCode)
	}
	limit := min(maxPayload, MaxReliablePayload)
	if !p.Reliable {
		limit = min(limit, MaxFastPayload)
	}
	if len(p.Payload) > limit {
		return nil, fmt.Errorf("%w: payload of %d bytes, the limit is %d (reliable %v)", realtime.ErrOversizedFrame, len(p.Payload), limit, p.Reliable)
	}
	m := &realtimev1.GameMessage{OpCode: p.OpCode, Payload: p.Payload}
	switch {
	case p.TargetPlayer > 0:
		m.TargetPeer = p.TargetPlayer
	case p.TargetGroup > 0 || p.TargetGroup == AllPlayersGroup:
		m.TargetGroup = p.TargetGroup
	}
	return &realtimev1.ClientFrame{Payload: &realtimev1.ClientFrame_Message{Message: m}}, nil
}

// EncodeServer turns a Leapfrog ServerFrame into a length-delimited Packet.
// Frames the protocol has no word for (server errors, which it reports
// only by closing) are skipped; a refused login is a failed LoginResult.
func (c *Codec) EncodeServer(frame []byte) []byte {
	var f realtimev1.ServerFrame
	if err := proto.Unmarshal(frame, &f); err != nil {
		return nil // our own frame: cannot happen
	}
	p := &gameliftv1.Packet{Sender: ServerPeer, Reliable: true, TargetPlayer: c.peer}
	switch x := f.Payload.(type) {
	case *realtimev1.ServerFrame_Welcome:
		c.peer, c.loggedIn = x.Welcome.PeerId, true
		p.OpCode, p.TargetPlayer = OpLoginResult, c.peer
		p.Command = &gameliftv1.Packet_LoginResult{LoginResult: &gameliftv1.LoginResult{Success: true, PeerId: c.peer, FastPort: protocolFastPort}}
	case *realtimev1.ServerFrame_Message:
		p.OpCode, p.Sender, p.Payload = x.Message.OpCode, x.Message.Sender, x.Message.Payload
	case *realtimev1.ServerFrame_Pong:
		p.OpCode, p.Command = OpPingResult, &gameliftv1.Packet_PingResult{PingResult: &gameliftv1.PingResult{}}
	case *realtimev1.ServerFrame_GroupMembership:
		g := x.GroupMembership
		p.OpCode = OpGroupMembershipUpdate
		p.Command = &gameliftv1.Packet_GroupMembershipUpdate{GroupMembershipUpdate: &gameliftv1.GroupMembershipUpdate{Group: g.GroupId, Players: g.PeerIds}}
	case *realtimev1.ServerFrame_PeerEvent:
		e := x.PeerEvent
		p.Sender = e.PeerId
		switch e.Kind {
		case realtimev1.PeerEvent_KIND_JOINED, realtimev1.PeerEvent_KIND_RECONNECTED:
			p.OpCode, p.Command = OpPlayerConnect, &gameliftv1.Packet_PlayerConnect{PlayerConnect: &gameliftv1.PlayerConnect{}}
		default:
			p.OpCode, p.Command = OpPlayerDisconnect, &gameliftv1.Packet_PlayerDisconnect{PlayerDisconnect: &gameliftv1.PlayerDisconnect{}}
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

// Encode writes a packet with its varint length in front, as the protocol
// frames every WebSocket message.
func Encode(p *gameliftv1.Packet) []byte {
	body, err := proto.Marshal(p)
	if err != nil {
		panic(fmt.Sprintf("marshal packet: %v", err)) // only invalid UTF-8 can fail, and no string here is the client's
	}
	out := binary.AppendUvarint(make([]byte, 0, len(body)+binary.MaxVarintLen32), uint64(len(body)))
	return append(out, body...)
}
