package host_test

import (
	"crypto/tls"
	"encoding/binary"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"google.golang.org/protobuf/proto"

	gameliftv1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/gamelift/v1"
	"github.com/leapfrog-games/leapfrog/gameserver/gamelift"
	"github.com/leapfrog-games/leapfrog/gameserver/gamelift/gamelifttest"
	"github.com/leapfrog-games/leapfrog/gameserver/host"
	"github.com/leapfrog-games/leapfrog/internal/selfsigned"
	"github.com/leapfrog-games/leapfrog/internal/testwait"
)

// TestGameLiftClientsLogInAtWebsocket: the host serves the GameLift Realtime
// protocol at /websocket and at / with the same tokens and reservations as
// /ws, and its UDP fast channel on the player port's number.
func TestGameLiftClientsLogInAtWebsocket(t *testing.T) {
	st := startStack(t, fastGame(), host.AfterShutdown)
	if _, err := st.mem.ClusterAllocate([]string{"alice"}); err != nil {
		t.Fatal(err)
	}
	base := strings.TrimSuffix(st.url, "/ws")
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	port, _ := strconv.Atoi(u.Port())
	mint := func(id string) string {
		t.Helper()
		raw, _, err := st.issuer.MintPlayerSession(id, "race-1", time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	alice, err := gamelifttest.Dial(t.Context(), base+gamelift.Path, gamelifttest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { alice.Close() })
	r, err := alice.Login(t.Context(), mint("alice"))
	if err != nil || r.PeerID != 1 || int(r.FastPort) != port {
		t.Fatalf("alice: %+v, %v; want success as peer 1 with fast port %d", r, err, port)
	}
	testwait.Eventually(t, "alice's fast channel connected", alice.FastConnected, testwait.Within(20*time.Second))
	if alice.UDPErrors() != 0 {
		t.Errorf("alice's fast channel: %d errors", alice.UDPErrors())
	}
	if r := gameliftLogin(t, base+"/", mint("mallory")); r.GetSuccess() {
		t.Errorf("mallory, without a reservation, logged in: %v", r)
	}
}

// gameliftLogin logs in at the GameLift Realtime path of the server whose
// /ws URL is url with the player session token raw.
func gameliftLogin(t *testing.T, wsURL, raw string) *gameliftv1.LoginResult {
	t.Helper()
	if strings.HasSuffix(wsURL, "/ws") {
		wsURL = strings.TrimSuffix(wsURL, "/ws") + gamelift.Path
	}
	ws, _, err := websocket.DefaultDialer.Dial(wsURL, nil)
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

// TestGameLiftClientsJoinTheirMatch: on a server of many matches, a GameLift
// Realtime client's player session id (the token) names its match too.
func TestGameLiftClientsJoinTheirMatch(t *testing.T) {
	rs := startMatches(t, 2, host.AfterShutdown, nil)
	if r := gameliftLogin(t, rs.url, rs.token(t, "alice", "r1")); !r.GetSuccess() || r.PeerId != 1 {
		t.Fatalf("alice: %v, want success as peer 1", r)
	}
	if r := gameliftLogin(t, rs.url, rs.token(t, "bob", "r2")); !r.GetSuccess() || r.PeerId != 1 {
		t.Fatalf("bob: %v, want success as peer 1 of another match", r)
	}
	rs.waitMatches(t, "r1", "r2")
	if r := gameliftLogin(t, rs.url, rs.token(t, "carol", "r3")); r.GetSuccess() {
		t.Fatalf("carol logged in to a third match on a server of two: %v", r)
	}
}

// TestGameLiftSecureClients: with a certificate the player port serves
// TLS on every path, and GameLift Realtime clients in the SDK's
// RT_OVER_WSS_DTLS_TLS12 mode get the CA, verify their DTLS session on
// the same port number and send fast; a plain ws:// client is refused.
func TestGameLiftSecureClients(t *testing.T) {
	chain, err := selfsigned.NewChain(time.Hour, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	cert, err := chain.TLS()
	if err != nil {
		t.Fatal(err)
	}
	st := startStackWith(t, fastGame(), host.AfterShutdown, func(cfg *host.Config) {
		cfg.TLS = &host.TLS{Certificate: cert, CACert: chain.CA}
	})
	if _, err := st.mem.ClusterAllocate([]string{"alice", "bob"}); err != nil {
		t.Fatal(err)
	}
	addr := strings.TrimSuffix(strings.TrimPrefix(st.url, "ws://"), "/ws")
	opts := gamelifttest.Options{Secure: true, RootCAs: chain.Pool()}
	for _, tt := range []struct{ player, path string }{{"alice", gamelift.Path}, {"bob", "/"}} {
		t.Run(tt.player, func(t *testing.T) {
			raw, _, err := st.issuer.MintPlayerSession(tt.player, "race-1", time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			c, err := gamelifttest.Dial(t.Context(), "wss://"+addr+tt.path, opts)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Close() })
			r, err := c.Login(t.Context(), raw)
			if err != nil {
				t.Fatal(err)
			}
			if string(r.CACert) != string(chain.CA) || r.ConnectToken == "" {
				t.Errorf("login result: caCert %q, connect token %q; want the CA and a token", r.CACert, r.ConnectToken)
			}
			testwait.Eventually(t, "the fast channel connected", c.FastConnected, testwait.Within(20*time.Second))
			if c.UDPErrors() != 0 || c.FastRefused() {
				t.Errorf("fast channel: refused %v, %d errors", c.FastRefused(), c.UDPErrors())
			}
		})
	}
	dialer := websocket.Dialer{TLSClientConfig: &tls.Config{RootCAs: chain.Pool()}}
	ws, _, err := dialer.Dial("wss://"+addr+"/ws", nil)
	if err != nil {
		t.Errorf("Leapfrog's own path over wss: %v", err)
	} else {
		ws.Close()
	}
	if ws, _, err := websocket.DefaultDialer.Dial("ws://"+addr+gamelift.Path, nil); err == nil {
		ws.Close()
		t.Error("a plain ws:// client got through to a TLS port")
	}
}
