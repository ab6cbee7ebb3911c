package gamelift_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/leapfrog-games/leapfrog/client"
	"github.com/leapfrog-games/leapfrog/client/clienttest"
	"github.com/leapfrog-games/leapfrog/contract/closecode"
	gameliftv1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/gamelift/v1"
	racev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/race/v1"
	. "github.com/leapfrog-games/leapfrog/gameserver/gamelift"
	"github.com/leapfrog-games/leapfrog/gameserver/gamelift/gamelifttest"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime"
	"github.com/leapfrog-games/leapfrog/internal/gameserver/script"
)

// scriptedMatch serves one session of the Mega Frog Race Realtime script
// (fast rules) on 127.0.0.1, at /ws (Leapfrog) and /websocket (GameLift).
func scriptedMatch(t *testing.T) (base string, s *realtime.Session) {
	t.Helper()
	src, err := script.Load("../../examples/megafrograce", "index.js")
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.DiscardHandler)
	prog, err := script.NewProgram(src, script.Config{Args: []string{"--hop-duration-ms=40", "--hop-penalty-ms=5", "--countdown-ms=30"}, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	rc := prog.Realtime(realtime.Config{GameServer: "gs-1", TickRate: 100, Logger: logger})
	game, err := prog.NewGame()
	if err != nil {
		t.Fatal(err)
	}
	s, err = realtime.NewSession("s1", rc, game)
	if err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, rc, true)
	ts.srv.SetSession(s)
	ctx, cancel := context.WithCancel(context.Background())
	go s.Run(ctx)
	t.Cleanup(func() {
		cancel()
		<-s.Done()
	})
	return ts.base, s
}

// TestMixedProtocolsPlayOneMatch: a GameLift Realtime client and a Leapfrog
// client share a session of the scripted Mega Frog Race: they see each
// other arrive, relay messages both ways, use groups and pings, and match to
// the end (the Realtime client's hops go as fast messages).
func TestMixedProtocolsPlayOneMatch(t *testing.T) {
	base, s := scriptedMatch(t)
	alice := login(t, base+Path, "alice", gamelifttest.Options{})
	bob, err := client.Dial(t.Context(), base+"/ws", "bob", client.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bob.Close() })
	bobPeer := nextEvent[client.Welcome](t, bob).PeerId

	if ev := until(t, alice, isOp(OpPlayerConnect)); ev.Sender != bobPeer {
		t.Errorf("player connect names peer %d, want bob's %d", ev.Sender, bobPeer)
	}
	if err := alice.SendRaw(Encode(&gameliftv1.Packet{OpCode: OpPing, Command: &gameliftv1.Packet_Ping{Ping: &gameliftv1.PingCommand{}}})); err != nil {
		t.Fatal(err)
	}
	until(t, alice, isOp(OpPingResult))
	if err := alice.JoinGroup(5); err != nil {
		t.Fatal(err)
	}
	u := untilKind(t, alice, gamelifttest.GroupMembershipUpdated)
	if u.Group != 5 || len(u.Players) != 1 || u.Players[0] != alice.PeerID() {
		t.Errorf("membership update %v, want group 5 with alice", u)
	}

	if err := alice.Send(50, []byte("hello everyone"), gamelifttest.Fast, 0, AllPlayersGroup); err != nil {
		t.Fatal(err)
	}
	if m := nextEvent[client.GameMessage](t, bob); m.OpCode != 50 || m.Sender != alice.PeerID() || string(m.Payload) != "hello everyone" {
		t.Errorf("bob got %v", m.GameMessage)
	}
	if err := bob.SendGameMessage(51, []byte("hi alice")); err != nil { // to the server: the script ignores it
		t.Fatal(err)
	}

	// The match: both ready, first hop at the start, a hop on each landing.
	if err := alice.Send(int32(racev1.OpCode_OP_CODE_SCENE_READY), nil, gamelifttest.Reliable, ServerPeer, 0); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := clienttest.HopToTheEnd(bob, "bob", true, 20*time.Second)
		done <- err
	}()
	aliceResult := aliceMatches(t, alice)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if aliceResult.Reason != racev1.RaceResult_REASON_FINISH || aliceResult.WinnerPlayerId == "" {
		t.Errorf("result %v", aliceResult)
	}
	select {
	case <-s.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the session did not end after the match")
	}
}

// aliceMatches plays the match as the GameLift client.
func aliceMatches(t *testing.T, c *gamelifttest.Client) *racev1.RaceResult {
	t.Helper()
	hop := func() {
		if err := c.Send(int32(racev1.OpCode_OP_CODE_HOP), nil, gamelifttest.Fast, ServerPeer, 0); err != nil {
			t.Error(err)
		}
	}
	for {
		p := until(t, c, func(ev gamelifttest.Event) bool { return ev.OpCode >= 100 })
		switch racev1.OpCode(p.OpCode) {
		case racev1.OpCode_OP_CODE_ASSIGN_PLAYER:
			var a racev1.AssignPlayer
			if err := proto.Unmarshal(p.Payload, &a); err != nil || a.PlayerId != "alice" || a.PeerId != c.PeerID() {
				t.Fatalf("assign player %v (%v)", &a, err)
			}
		case racev1.OpCode_OP_CODE_COUNTDOWN:
			var cd racev1.Countdown
			if err := proto.Unmarshal(p.Payload, &cd); err != nil {
				t.Fatal(err)
			}
			time.Sleep(time.Until(time.UnixMilli(cd.StartAtMs)) + 10*time.Millisecond) // a player waiting for "go"
			hop()
		case racev1.OpCode_OP_CODE_FROG_MOVED:
			var m racev1.FrogMoved
			if err := proto.Unmarshal(p.Payload, &m); err != nil {
				t.Fatal(err)
			}
			if m.Frog.PlayerId == "alice" && m.Cause == racev1.FrogMoved_CAUSE_LANDED && m.Frog.FinishedAtMs == 0 {
				hop()
			}
		case racev1.OpCode_OP_CODE_RACE_RESULT:
			var r racev1.RaceResult
			if err := proto.Unmarshal(p.Payload, &r); err != nil {
				t.Fatal(err)
			}
			return &r
		}
	}
}

func nextEvent[E client.Event](t *testing.T, c *client.Conn) E {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev := <-c.Events():
			if e, ok := ev.(E); ok {
				return e
			}
			if cl, ok := ev.(client.Closed); ok {
				t.Fatalf("closed: %d %s", cl.Code, cl.Text)
			}
		case <-timeout:
			var zero E
			t.Fatalf("no %T", zero)
		}
	}
}

// TestLoginRefused: a login the server refuses is a failed LoginResult,
// then the close.
func TestLoginRefused(t *testing.T) {
	base, _ := scriptedMatch(t)
	c, err := gamelifttest.Dial(t.Context(), base+Path, gamelifttest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_, err = c.Login(t.Context(), "")
	var le *gamelifttest.LoginError
	if !errors.As(err, &le) || le.Code != int(closecode.BadToken) {
		t.Errorf("login without a player session id: %v, want a refusal with close 4001", err)
	}
}
