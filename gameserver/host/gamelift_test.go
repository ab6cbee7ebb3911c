package host_test

import (
	"encoding/binary"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"google.golang.org/protobuf/proto"

	"github.com/leapfrog-games/leapfrog/gameserver/gamelift"
	"github.com/leapfrog-games/leapfrog/gameserver/host"
	gameliftv1 "github.com/leapfrog-games/leapfrog/gameserver/proto/leapfrog/gamelift/v1"
)

// TestGameLiftClientsLogInAtWebsocket: the host serves the GameLift Realtime
// protocol at /websocket with the same tokens and reservations as /ws.
func TestGameLiftClientsLogInAtWebsocket(t *testing.T) {
	st := startStack(t, fastGame(), host.AfterShutdown)
	if _, err := st.mem.ClusterAllocate([]string{"alice"}); err != nil {
		t.Fatal(err)
	}
	login := func(id string) *gameliftv1.LoginResult {
		t.Helper()
		raw, _, err := st.issuer.MintPlayerSession(id, "race-1", time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		return gameliftLogin(t, st.url, raw)
	}
	if r := login("alice"); !r.GetSuccess() || r.PeerId != 1 || r.FastPort != 0 {
		t.Errorf("alice: %v, want success as peer 1", r)
	}
	if r := login("mallory"); r.GetSuccess() {
		t.Errorf("mallory, without a reservation, logged in: %v", r)
	}
}

// gameliftLogin logs in at the GameLift Realtime path of the server whose
// /ws URL is url with the player session token raw.
func gameliftLogin(t *testing.T, url, raw string) *gameliftv1.LoginResult {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial(strings.TrimSuffix(url, "/ws")+gamelift.Path, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	_ = ws.SetReadDeadline(time.Now().Add(30 * time.Second))
	login := gamelift.Encode(&gameliftv1.Packet{OpCode: gamelift.OpLogin, Command: &gameliftv1.Packet_Login{Login: &gameliftv1.LoginCommand{PlayerSessionId: raw}}})
	if err := ws.WriteMessage(websocket.BinaryMessage, login); err != nil {
		t.Fatal(err)
	}
	for {
		_, b, err := ws.ReadMessage()
		if err != nil {
			t.Fatalf("%v before the login result", err)
		}
		n, k := binary.Uvarint(b)
		if k <= 0 || n != uint64(len(b)-k) {
			t.Fatalf("bad length prefix")
		}
		var p gameliftv1.Packet
		if err := proto.Unmarshal(b[k:], &p); err != nil {
			t.Fatal(err)
		}
		if p.OpCode == gamelift.OpLoginResult {
			return p.GetLoginResult()
		}
	}
}

// TestGameLiftClientsJoinTheirRace: on a server of many races, a GameLift
// Realtime client's player session id (the token) names its race too.
func TestGameLiftClientsJoinTheirRace(t *testing.T) {
	rs := startRaces(t, 2, host.AfterShutdown, nil)
	if r := gameliftLogin(t, rs.url, rs.token(t, "alice", "r1")); !r.GetSuccess() || r.PeerId != 1 {
		t.Fatalf("alice: %v, want success as peer 1", r)
	}
	if r := gameliftLogin(t, rs.url, rs.token(t, "bob", "r2")); !r.GetSuccess() || r.PeerId != 1 {
		t.Fatalf("bob: %v, want success as peer 1 of another race", r)
	}
	rs.waitRaces(t, "r1", "r2")
	if r := gameliftLogin(t, rs.url, rs.token(t, "carol", "r3")); r.GetSuccess() {
		t.Fatalf("carol logged in to a third race on a server of two: %v", r)
	}
}
