package realtime_test

import (
	"slices"
	"testing"

	realtimev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/realtime/v1"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime"
)

// membership reads frames until a GroupMembership for group arrives.
func (c *client) membership(group int32) []int32 {
	c.t.Helper()
	for {
		f := c.next()
		if m := f.GetGroupMembership(); m != nil && m.GroupId == group {
			return m.PeerIds
		}
	}
}

func TestGroupsAndRelay(t *testing.T) {
	r := newRig(t, realtime.Config{MaxPlayers: 3, Relay: true})
	a, b, c := r.join(t, "alice"), r.join(t, "bob"), r.join(t, "carol")
	join := func(cl *client, g int32) {
		cl.send(&realtimev1.ClientFrame{Payload: &realtimev1.ClientFrame_JoinGroup{JoinGroup: &realtimev1.JoinGroup{GroupId: g}}})
	}
	join(a, 3)
	if got := a.membership(3); !slices.Equal(got, []int32{1}) {
		t.Fatalf("after alice joined: %v", got)
	}
	join(b, 3)
	for _, cl := range []*client{a, b} {
		if got := cl.membership(3); !slices.Equal(got, []int32{1, 2}) {
			t.Fatalf("after bob joined: %v", got)
		}
	}
	// A message to group 3 reaches its other member, from alice's peer id, and not carol.
	a.send(&realtimev1.ClientFrame{Payload: &realtimev1.ClientFrame_Message{Message: &realtimev1.GameMessage{OpCode: 9, TargetGroup: 3, Payload: []byte("hi group")}}})
	if m := b.next().GetMessage(); string(m.GetPayload()) != "hi group" || m.GetSender() != 1 {
		t.Fatalf("bob got %v", m)
	}
	// A message to one peer.
	c.send(&realtimev1.ClientFrame{Payload: &realtimev1.ClientFrame_Message{Message: &realtimev1.GameMessage{OpCode: 9, TargetPeer: 2, Payload: []byte("psst")}}})
	if m := b.next().GetMessage(); string(m.GetPayload()) != "psst" || m.GetSender() != 3 {
		t.Fatalf("bob got %v", m)
	}
	// Unknown peer and the reserved group are refused without closing.
	c.send(&realtimev1.ClientFrame{Payload: &realtimev1.ClientFrame_Message{Message: &realtimev1.GameMessage{OpCode: 9, TargetPeer: 42}}})
	if e := c.next().GetError(); e.GetCode() != realtimev1.Error_CODE_INVALID_TARGET {
		t.Fatalf("unknown peer: %v", e)
	}
	join(c, 0)
	if e := c.next().GetError(); e.GetCode() != realtimev1.Error_CODE_INVALID_TARGET {
		t.Fatalf("group 0: %v", e)
	}
	// Leaving updates the remaining members; asking shows the list.
	b.send(&realtimev1.ClientFrame{Payload: &realtimev1.ClientFrame_LeaveGroup{LeaveGroup: &realtimev1.LeaveGroup{GroupId: 3}}})
	if got := a.membership(3); !slices.Equal(got, []int32{1}) {
		t.Fatalf("after bob left: %v", got)
	}
	c.send(&realtimev1.ClientFrame{Payload: &realtimev1.ClientFrame_GroupMembershipRequest{GroupMembershipRequest: &realtimev1.GroupMembershipRequest{GroupId: 3}}})
	if got := c.membership(3); !slices.Equal(got, []int32{1}) {
		t.Fatalf("carol asked: %v", got)
	}
}

func TestRelayIsOffByDefault(t *testing.T) {
	r := newRig(t, realtime.Config{})
	a, _ := r.join(t, "alice"), r.join(t, "bob")
	a.send(&realtimev1.ClientFrame{Payload: &realtimev1.ClientFrame_Message{Message: &realtimev1.GameMessage{OpCode: 9, TargetPeer: 2}}})
	if e := a.next().GetError(); e.GetCode() != realtimev1.Error_CODE_INVALID_TARGET {
		t.Fatalf("relay without Relay: %v", e)
	}
}
