package gamelift

import (
	"encoding/binary"
	"errors"
	"testing"

	"google.golang.org/protobuf/proto"

	gameliftv1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/gamelift/v1"
	realtimev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/realtime/v1"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime"
)

func TestDecodeClient(t *testing.T) {
	big := make([]byte, MaxFastPayload+1)
	tests := []struct {
		name  string
		in    []byte
		check func(*realtimev1.ClientFrame) bool
		err   error
	}{
		{"login", Encode(&gameliftv1.Packet{Payload: []byte(`{"user":"a"}`), Command: &gameliftv1.Packet_Login{Login: &gameliftv1.LoginCommand{PlayerSessionId: "tok"}}}),
			func(f *realtimev1.ClientFrame) bool {
				return f.GetHello().GetPlayerSessionToken() == "tok" && string(f.GetHello().GetPayload()) == `{"user":"a"}`
			}, nil},
		{"fast message", Encode(&gameliftv1.Packet{OpCode: 7, Payload: []byte("x")}),
			func(f *realtimev1.ClientFrame) bool { return f.GetMessage().Fast }, nil},
		{"reliable message", Encode(&gameliftv1.Packet{OpCode: 7, Reliable: true, Payload: []byte("x")}),
			func(f *realtimev1.ClientFrame) bool { return !f.GetMessage().Fast }, nil},
		{"to the server", Encode(&gameliftv1.Packet{OpCode: 7, TargetPlayer: ServerPeer, Payload: []byte("x")}),
			func(f *realtimev1.ClientFrame) bool {
				m := f.GetMessage()
				return m.OpCode == 7 && m.TargetPeer == 0 && m.TargetGroup == 0 && string(m.Payload) == "x"
			}, nil},
		{"to a peer", Encode(&gameliftv1.Packet{OpCode: 7, TargetPlayer: 3}),
			func(f *realtimev1.ClientFrame) bool { return f.GetMessage().TargetPeer == 3 }, nil},
		{"to every player", Encode(&gameliftv1.Packet{OpCode: 7, TargetGroup: AllPlayersGroup}),
			func(f *realtimev1.ClientFrame) bool { return f.GetMessage().TargetGroup == realtime.AllPlayersGroup }, nil},
		{"leave group", Encode(&gameliftv1.Packet{OpCode: OpLeaveGroup, Command: &gameliftv1.Packet_LeaveGroup{LeaveGroup: &gameliftv1.LeaveGroup{Group: 4}}}),
			func(f *realtimev1.ClientFrame) bool { return f.GetLeaveGroup().GetGroupId() == 4 }, nil},
		{"membership request", Encode(&gameliftv1.Packet{OpCode: OpRequestGroupMembership, Command: &gameliftv1.Packet_RequestGroupMembership{RequestGroupMembership: &gameliftv1.RequestGroupMembership{Group: 4}}}),
			func(f *realtimev1.ClientFrame) bool { return f.GetGroupMembershipRequest().GetGroupId() == 4 }, nil},
		{"reliable at the cap", Encode(&gameliftv1.Packet{OpCode: 7, Reliable: true, Payload: make([]byte, MaxReliablePayload)}),
			func(f *realtimev1.ClientFrame) bool { return len(f.GetMessage().Payload) == MaxReliablePayload }, nil},
		{"fast over its cap", Encode(&gameliftv1.Packet{OpCode: 7, Payload: big}), nil, realtime.ErrOversizedFrame},
		{"reliable over its cap", Encode(&gameliftv1.Packet{OpCode: 7, Reliable: true, Payload: make([]byte, MaxReliablePayload+1)}), nil, realtime.ErrOversizedFrame},
		{"no length prefix", mustMarshal(t, &gameliftv1.Packet{OpCode: 7, Payload: []byte("hello")}), nil, realtime.ErrMalformedFrame},
		{"two packets", append(Encode(&gameliftv1.Packet{OpCode: 7}), Encode(&gameliftv1.Packet{OpCode: 8})...), nil, realtime.ErrMalformedFrame},
		{"garbage", append(binary.AppendUvarint(nil, 3), 0xff, 0xff, 0xff), nil, realtime.ErrMalformedFrame},
		{"udp connect", Encode(&gameliftv1.Packet{OpCode: -5, Command: &gameliftv1.Packet_UdpConnect{UdpConnect: &gameliftv1.UDPConnect{}}}), nil, realtime.ErrMalformedFrame},
		{"reserved op code", Encode(&gameliftv1.Packet{OpCode: -20}), nil, realtime.ErrMalformedFrame},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := NewCodec().DecodeClient(tt.in, 4096)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("error %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil || !tt.check(f) {
				t.Fatalf("DecodeClient = %v, %v", f, err)
			}
		})
	}
}

func mustMarshal(t *testing.T, m proto.Message) []byte {
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestEncodeServer(t *testing.T) {
	c := NewCodec()
	frame := func(f *realtimev1.ServerFrame) []byte { return realtime.EncodeServerFrame(f) }
	decode := func(b []byte) *gameliftv1.Packet {
		t.Helper()
		n, k := binary.Uvarint(b)
		if k <= 0 || n != uint64(len(b)-k) {
			t.Fatalf("bad length prefix in %x", b)
		}
		p := &gameliftv1.Packet{}
		if err := proto.Unmarshal(b[k:], p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if b := c.EncodeServer(frame(&realtimev1.ServerFrame{Payload: &realtimev1.ServerFrame_Error{Error: &realtimev1.Error{Code: realtimev1.Error_CODE_BAD_TOKEN}}})); decode(b).GetLoginResult().GetSuccess() {
		t.Error("an error before login is not a failed login result")
	}
	p := decode(c.EncodeServer(frame(&realtimev1.ServerFrame{Payload: &realtimev1.ServerFrame_Welcome{Welcome: &realtimev1.Welcome{PeerId: 3, ReconnectToken: "rt"}}})))
	if lr := p.GetLoginResult(); p.OpCode != OpLoginResult || p.TargetPlayer != 3 || !lr.Success || lr.PeerId != 3 || lr.ReconnectToken != "rt" || lr.FastPort != 0 {
		t.Errorf("welcome = %v, want a login result for peer 3 with its reconnect token and no fast port", p)
	}
	// Sender and targetPlayer both name the originator (the SDK 1.2.0 reads
	// sender, the 1.0.0 build targetPlayer); targetGroup the group.
	senders := []struct {
		name         string
		in           *realtimev1.ServerFrame
		op           int32
		sender       int32
		group        int32
		reliable     bool
		connectPeer  int32
		disconnected bool
	}{
		{"from the server", &realtimev1.ServerFrame{Payload: &realtimev1.ServerFrame_Message{Message: &realtimev1.GameMessage{OpCode: 102, Sender: -1, Payload: []byte("m")}}}, 102, ServerPeer, 0, true, 0, false},
		{"from a peer to this one", &realtimev1.ServerFrame{Payload: &realtimev1.ServerFrame_Message{Message: &realtimev1.GameMessage{OpCode: 7, Sender: 5}}}, 7, 5, 0, true, 0, false},
		{"from a peer to a group, fast", &realtimev1.ServerFrame{Payload: &realtimev1.ServerFrame_Message{Message: &realtimev1.GameMessage{OpCode: 7, Sender: 5, TargetGroup: 9, Fast: true}}}, 7, 5, 9, true, 0, false},
		{"peer joined", &realtimev1.ServerFrame{Payload: &realtimev1.ServerFrame_PeerEvent{PeerEvent: &realtimev1.PeerEvent{Kind: realtimev1.PeerEvent_KIND_JOINED, PeerId: 4}}}, OpPlayerConnect, 4, 0, true, 4, false},
		{"peer left", &realtimev1.ServerFrame{Payload: &realtimev1.ServerFrame_PeerEvent{PeerEvent: &realtimev1.PeerEvent{Kind: realtimev1.PeerEvent_KIND_LEFT, PeerId: 4}}}, OpPlayerDisconnect, 4, 0, true, 4, true},
	}
	for _, tt := range senders {
		t.Run(tt.name, func(t *testing.T) {
			p := decode(c.EncodeServer(frame(tt.in)))
			if p.OpCode != tt.op || p.Sender != tt.sender || p.TargetPlayer != tt.sender || p.TargetGroup != tt.group || p.Reliable != tt.reliable {
				t.Errorf("packet %v: want op %d, sender = targetPlayer = %d, group %d", p, tt.op, tt.sender, tt.group)
			}
			if tt.connectPeer != 0 && !tt.disconnected && p.GetPlayerConnect().GetPeerId() != tt.connectPeer {
				t.Errorf("player connect %v: want peerId %d", p, tt.connectPeer)
			}
			if tt.disconnected && p.GetPlayerDisconnect().GetPeerId() != tt.connectPeer {
				t.Errorf("player disconnect %v: want peerId %d", p, tt.connectPeer)
			}
		})
	}
	if b := c.EncodeServer(frame(&realtimev1.ServerFrame{Payload: &realtimev1.ServerFrame_Error{Error: &realtimev1.Error{Code: realtimev1.Error_CODE_UNKNOWN_OP_CODE}}})); b != nil {
		t.Errorf("an error after login was sent: %x", b)
	}
}

// FuzzDecodeClient: any bytes a client sends decode to a frame or to an
// error that wraps ErrMalformedFrame or ErrOversizedFrame (which decide the
// close code), never a panic; a game message keeps within its cap.
func FuzzDecodeClient(f *testing.F) {
	for _, p := range []*gameliftv1.Packet{
		{Command: &gameliftv1.Packet_Login{Login: &gameliftv1.LoginCommand{PlayerSessionId: "tok"}}, Payload: []byte("{}")},
		{OpCode: 7, TargetPlayer: 3, Reliable: true, Payload: []byte("x")},
		{OpCode: 7, TargetGroup: AllPlayersGroup},
		{OpCode: OpJoinGroup, Command: &gameliftv1.Packet_JoinGroup{JoinGroup: &gameliftv1.JoinGroup{Group: 2}}},
		{OpCode: OpUDPConnect, Command: &gameliftv1.Packet_UdpConnect{UdpConnect: &gameliftv1.UDPConnect{}}},
	} {
		f.Add(Encode(p))
	}
	f.Add([]byte{0x05, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, err := NewCodec().DecodeClient(b, MaxReliablePayload)
		if err != nil {
			if !errors.Is(err, realtime.ErrMalformedFrame) && !errors.Is(err, realtime.ErrOversizedFrame) {
				t.Fatalf("error %v wraps neither sentinel", err)
			}
			return
		}
		if m := fr.GetMessage(); m != nil {
			limit := MaxReliablePayload
			if m.Fast {
				limit = MaxFastPayload
			}
			if len(m.Payload) > limit || m.OpCode <= 0 {
				t.Fatalf("accepted %v", m)
			}
		}
	})
}
