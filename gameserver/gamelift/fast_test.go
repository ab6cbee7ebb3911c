package gamelift_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"google.golang.org/protobuf/proto"

	"github.com/leapfrog-games/leapfrog/contract/closecode"
	gameliftv1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/gamelift/v1"
	realtimev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/realtime/v1"
	"github.com/leapfrog-games/leapfrog/gameserver/gamelift"
	"github.com/leapfrog-games/leapfrog/gameserver/gamelift/gamelifttest"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime"
	"github.com/leapfrog-games/leapfrog/internal/panicguard/panicguardtest"
	"github.com/leapfrog-games/leapfrog/internal/testwait"
)

// Op codes of echoGame.
const (
	opEchoFast     = 1 // answered with SendFastAs (a script's sendMessage)
	opEchoReliable = 2 // answered with Send
	opEchoPayload  = 3 // answered with the player's login payload
)

// echoGame answers its op codes to the sender and lets players relay.
type echoGame struct {
	mu       sync.Mutex
	payloads map[string][]byte // login payloads seen in OnPlayerConnect / OnPlayerAccepted
}

func (g *echoGame) OnStart(*realtime.Session) {}
func (g *echoGame) OnPlayerConnect(_ *realtime.Session, p *realtime.Player) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.payloads == nil {
		g.payloads = make(map[string][]byte)
	}
	g.payloads[p.PlayerID()] = p.Payload()
	return nil
}
func (g *echoGame) OnPlayerAccepted(*realtime.Session, *realtime.Player)   {}
func (g *echoGame) OnPlayerDisconnect(*realtime.Session, *realtime.Player) {}
func (g *echoGame) OnTick(*realtime.Session, time.Time)                    {}
func (g *echoGame) OnEnd(*realtime.Session)                                {}
func (g *echoGame) OnMessage(s *realtime.Session, p *realtime.Player, m realtime.Message) error {
	switch m.OpCode {
	case opEchoFast:
		s.SendFastAs(p, realtime.ServerPeerID, m.OpCode, m.Payload)
	case opEchoReliable:
		s.Send(p, m.OpCode, m.Payload)
	case opEchoPayload:
		s.Send(p, m.OpCode, p.Payload())
	default:
		return realtime.ErrUnknownOpCode
	}
	return nil
}

func echoServer(t *testing.T, relay, withFast bool) (*testServer, *realtime.Session, *echoGame) {
	t.Helper()
	cfg := realtime.Config{MaxPlayers: 8, Relay: relay, InputRate: 200}
	ts := startServer(t, cfg, withFast)
	g := &echoGame{}
	return ts, ts.run(t, cfg, g), g
}

// TestFastChannel: two clients as the SDK behaves (one reading the sender
// as 1.2.0 does, one as the older build; one with the SDK's URL, one with
// no path) get their UDP handshake acked with no error, then fast messages
// travel as datagrams both ways with the sender right for both builds, and
// reliable, oversized-fast and group traffic over the WebSocket.
func TestFastChannel(t *testing.T) {
	ts, _, g := echoServer(t, true, true)
	alice := login(t, ts.base+gamelift.Path, "alice", gamelifttest.Options{Payload: []byte(`{"nick":"al"}`)})
	bob := login(t, ts.base, "bob", gamelifttest.Options{Sender: gamelifttest.SenderFromTargetPlayer})
	for _, c := range []*gamelifttest.Client{alice, bob} {
		testwait.Eventually(t, "the fast channel is up", c.FastConnected)
		if n := c.UDPErrors(); n != 0 {
			t.Errorf("peer %d: %d UDP errors", c.PeerID(), n)
		}
	}
	if ev := until(t, alice, isOp(gamelift.OpPlayerConnect)); ev.Sender != bob.PeerID() {
		t.Errorf("player connect names %d, want bob %d", ev.Sender, bob.PeerID())
	}
	g.mu.Lock()
	if got := string(g.payloads["alice"]); got != `{"nick":"al"}` {
		t.Errorf("alice's login payload in OnPlayerConnect = %q", got)
	}
	g.mu.Unlock()

	tests := []struct {
		name        string
		from, to    *gamelifttest.Client
		op          int32
		payload     []byte
		intent      gamelifttest.Intent
		target      int32 // peer
		group       int32
		wantSender  int32
		wantGroup   int32
		wantOverUDP bool
	}{
		{"fast to a peer", alice, bob, 10, []byte("hop"), gamelifttest.Fast, bob.PeerID(), 0, alice.PeerID(), 0, true},
		{"fast to a peer, old build reads targetPlayer", bob, alice, 11, []byte("hi"), gamelifttest.Fast, alice.PeerID(), 0, bob.PeerID(), 0, true},
		{"reliable to a peer", alice, bob, 12, []byte("r"), gamelifttest.Reliable, bob.PeerID(), 0, alice.PeerID(), 0, false},
		{"fast to every player", alice, bob, 13, []byte("all"), gamelifttest.Fast, 0, gamelift.AllPlayersGroup, alice.PeerID(), gamelift.AllPlayersGroup, true},
		{"fast over 1200 bytes falls back", alice, bob, 14, bytes.Repeat([]byte("x"), 1300), gamelifttest.Fast, bob.PeerID(), 0, alice.PeerID(), 0, false},
		{"script's fast echo", alice, alice, opEchoFast, []byte("e"), gamelifttest.Fast, gamelift.ServerPeer, 0, gamelift.ServerPeer, 0, true},
		{"reliable echo", bob, bob, opEchoReliable, []byte("e"), gamelifttest.Fast, gamelift.ServerPeer, 0, gamelift.ServerPeer, 0, false},
		{"login payload", alice, alice, opEchoPayload, nil, gamelifttest.Reliable, gamelift.ServerPeer, 0, gamelift.ServerPeer, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.from.Send(tt.op, tt.payload, tt.intent, tt.target, tt.group); err != nil {
				t.Fatal(err)
			}
			ev := until(t, tt.to, isOp(tt.op))
			if ev.Sender != tt.wantSender || ev.TargetGroup != tt.wantGroup || ev.OverUDP != tt.wantOverUDP {
				t.Errorf("got sender %d group %d over UDP %v, want %d, %d, %v", ev.Sender, ev.TargetGroup, ev.OverUDP, tt.wantSender, tt.wantGroup, tt.wantOverUDP)
			}
			want := tt.payload
			if tt.op == opEchoPayload {
				want = []byte(`{"nick":"al"}`)
			}
			if !bytes.Equal(ev.Payload, want) {
				t.Errorf("payload %q, want %q", ev.Payload, want)
			}
		})
	}

	t.Run("group commands over UDP", func(t *testing.T) {
		before := counterValue(ts.reg, "leapfrog_realtime_datagrams_total", "direction", "in")
		if err := bob.JoinGroup(7); err != nil {
			t.Fatal(err)
		}
		u := untilKind(t, bob, gamelifttest.GroupMembershipUpdated)
		if u.Group != 7 || len(u.Players) != 1 || u.Players[0] != bob.PeerID() {
			t.Errorf("membership %v", u)
		}
		if after := counterValue(ts.reg, "leapfrog_realtime_datagrams_total", "direction", "in"); after <= before {
			t.Errorf("the join group did not come as a datagram (in %v -> %v)", before, after)
		}
	})

	t.Run("sequence numbers rise per client", func(t *testing.T) {
		// The client drops a datagram whose sequence number is not above
		// the last: every echo arriving proves they rise.
		const n = 30
		for i := range n {
			if err := alice.Send(opEchoFast, []byte{byte(i)}, gamelifttest.Fast, gamelift.ServerPeer, 0); err != nil {
				t.Fatal(err)
			}
		}
		for i := range n {
			ev := until(t, alice, isOp(opEchoFast))
			if !ev.OverUDP || ev.Payload[0] != byte(i) {
				t.Fatalf("echo %d: %v", i, ev)
			}
		}
	})
}

// TestNoFastChannel: a server without UDP says fastPort 0; the client
// tries anyway (and fails, as the SDK logs), and fast messages go over the
// WebSocket.
func TestNoFastChannel(t *testing.T) {
	ts, _, _ := echoServer(t, true, false)
	c, err := gamelifttest.Dial(t.Context(), ts.base+gamelift.Path, gamelifttest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	lr, err := c.Login(t.Context(), "alice")
	if err != nil || lr.FastPort != 0 {
		t.Fatalf("login %v, %v: want fast port 0", lr, err)
	}
	testwait.Eventually(t, "the client's UDP attempt fails", func() bool { return c.UDPErrors() > 0 })
	if err := c.Send(opEchoFast, []byte("x"), gamelifttest.Fast, gamelift.ServerPeer, 0); err != nil {
		t.Fatal(err)
	}
	if ev := until(t, c, isOp(opEchoFast)); ev.OverUDP {
		t.Errorf("echo over UDP without a fast channel")
	}
}

// TestFastPortWithPort: the login result names the server's own port.
func TestFastPortWithPort(t *testing.T) {
	ts, _, _ := echoServer(t, true, true)
	c, err := gamelifttest.Dial(t.Context(), ts.base, gamelifttest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	lr, err := c.Login(t.Context(), "alice")
	if err != nil || int(lr.FastPort) != ts.port() || lr.ReconnectToken == "" {
		t.Fatalf("login %+v, %v: want fast port %d and a reconnect token", lr, err, ts.port())
	}
}

// rawUDP sends datagrams from a socket of its own (on ip) to the server.
func rawUDP(t *testing.T, ts *testServer, ip string) *net.UDPConn {
	t.Helper()
	pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(ip)})
	if err != nil {
		t.Skipf("no UDP socket on %s: %v", ip, err)
	}
	t.Cleanup(func() { pc.Close() })
	return pc
}

func udpConnect(peer int32) []byte {
	return gamelift.Encode(&gameliftv1.Packet{OpCode: gamelift.OpUDPConnect, Sender: peer, TargetPlayer: gamelift.ServerPeer,
		Command: &gameliftv1.Packet_UdpConnect{UdpConnect: &gameliftv1.UDPConnect{}}})
}

// TestHostileDatagrams: datagrams the fast channel must not act on are
// dropped and counted, never acked, and never reach the game.
func TestHostileDatagrams(t *testing.T) {
	ts, _, _ := echoServer(t, true, true)
	alice := login(t, ts.base, "alice", gamelifttest.Options{})
	testwait.Eventually(t, "alice's fast channel", alice.FastConnected)
	server := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: ts.port()}
	data := gamelift.Encode(&gameliftv1.Packet{OpCode: opEchoFast, Sender: alice.PeerID(), TargetPlayer: gamelift.ServerPeer, Payload: []byte("x")})
	tests := []struct {
		name   string
		from   string // source IP
		send   []byte
		reason string
	}{
		{"data before any UDP connect", "127.0.0.1", data, "unknown_source"},
		{"UDP connect for an unknown peer", "127.0.0.1", udpConnect(99), "unknown_peer"},
		{"UDP connect from another IP (spoofed peer id)", "127.0.0.2", udpConnect(alice.PeerID()), "unknown_peer"},
		{"UDP connect for a peer already connected", "127.0.0.1", udpConnect(alice.PeerID()), "unknown_peer"},
		{"oversized datagram", "127.0.0.1", make([]byte, gamelift.MaxDatagram+1), "oversized"},
		{"garbage", "127.0.0.1", []byte{0x05, 0xff, 0xff, 0xff, 0xff, 0xff}, "malformed"},
		{"client ack from a stranger", "127.0.0.1", gamelift.Encode(&gameliftv1.Packet{OpCode: gamelift.OpUDPConnectClientAck}), "unknown_source"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pc := rawUDP(t, ts, tt.from)
			before := ts.dropped(tt.reason)
			if _, err := pc.WriteToUDP(tt.send, server); err != nil {
				t.Fatal(err)
			}
			testwait.Eventually(t, "dropped as "+tt.reason, func() bool { return ts.dropped(tt.reason) > before })
			_ = pc.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
			if n, _, err := pc.ReadFromUDP(make([]byte, 2048)); err == nil {
				t.Errorf("the server answered a hostile datagram with %d bytes", n)
			}
		})
	}
	// Alice's own channel still works.
	if err := alice.Send(opEchoFast, []byte("ok"), gamelifttest.Fast, gamelift.ServerPeer, 0); err != nil {
		t.Fatal(err)
	}
	if ev := until(t, alice, isOp(opEchoFast)); !ev.OverUDP {
		t.Error("alice's echo did not come over UDP")
	}
}

// TestFastStateFreedOnDisconnect: once a player's WebSocket is gone, its
// UDP address means nothing: a datagram from it is dropped as from a stranger.
func TestFastStateFreedOnDisconnect(t *testing.T) {
	ts, _, _ := echoServer(t, true, true)
	alice := login(t, ts.base, "alice", gamelifttest.Options{})
	testwait.Eventually(t, "alice's fast channel", alice.FastConnected)
	addr := alice.LocalUDPAddr()
	if err := alice.Send(opEchoFast, []byte("up"), gamelifttest.Fast, gamelift.ServerPeer, 0); err != nil {
		t.Fatal(err)
	}
	if ev := until(t, alice, isOp(opEchoFast)); !ev.OverUDP {
		t.Fatal("the echo did not come over UDP")
	}
	alice.Close()
	data := gamelift.Encode(&gameliftv1.Packet{OpCode: opEchoFast, Sender: alice.PeerID(), TargetPlayer: gamelift.ServerPeer})
	server := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: ts.port()}
	// The server forgets the address when the connection is over, which
	// follows the close by a moment: send until a datagram is dropped.
	var pc *net.UDPConn
	testwait.Eventually(t, "alice's old address reopened", func() bool {
		var err error
		pc, err = net.ListenUDP("udp", addr)
		return err == nil
	})
	t.Cleanup(func() { pc.Close() })
	testwait.Eventually(t, "a datagram from alice's old address dropped", func() bool {
		before := ts.dropped("unknown_source")
		if _, err := pc.WriteToUDP(data, server); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
		return ts.dropped("unknown_source") > before
	})
}

// TestAmbiguousPeer: on a server of many sessions peer ids repeat; two
// players of one IP with the same peer id get no ack (the SDK keeps using
// the WebSocket, which works).
func TestAmbiguousPeer(t *testing.T) {
	cfg := realtime.Config{MaxPlayers: 4, Relay: true, GameServer: "gs-1"}
	ts := startServer(t, cfg, true)
	router := &twoMatches{}
	for i := range router.s {
		s, err := realtime.NewSession([]string{"r1", "r2"}[i], realtime.Config{GameServer: "gs-1", MaxPlayers: 4, Metrics: ts.metrics, Logger: slog.New(slog.DiscardHandler)}, &echoGame{})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		go s.Run(ctx)
		t.Cleanup(func() { cancel(); <-s.Done() })
		router.s[i] = s
	}
	ts.srv.SetRouter(router)
	// Both log in (by hand: no UDP handshake yet), so both await UDP.
	var peers []int32
	for _, tok := range []string{"a@r1", "b@r2"} {
		c, err := gamelifttest.Dial(t.Context(), ts.base, gamelifttest.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		if err := c.SendRaw(gamelift.Encode(&gameliftv1.Packet{OpCode: gamelift.OpLogin,
			Command: &gameliftv1.Packet_Login{Login: &gameliftv1.LoginCommand{PlayerSessionId: tok}}})); err != nil {
			t.Fatal(err)
		}
		peers = append(peers, 1)
	}
	testwait.Eventually(t, "both players in their matches", func() bool {
		n := 0
		for _, s := range router.s {
			s.Do(t.Context(), func() { n += len(s.Players()) })
		}
		return n == 2
	})
	pc := rawUDP(t, ts, "127.0.0.1")
	if _, err := pc.WriteToUDP(udpConnect(peers[0]), &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: ts.port()}); err != nil {
		t.Fatal(err)
	}
	testwait.Eventually(t, "the ambiguous UDP connect dropped", func() bool { return ts.dropped("ambiguous_peer") == 1 })
	_ = pc.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if _, _, err := pc.ReadFromUDP(make([]byte, 2048)); err == nil {
		t.Error("an ambiguous peer id was acked")
	}
}

// twoMatches routes "player@match" tokens to one of two sessions.
type twoMatches struct{ s [2]*realtime.Session }

func (r *twoMatches) Route(_ context.Context, id realtime.Identity) (*realtime.Session, error) {
	_, match, _ := strings.Cut(id.PlayerID, "@")
	if match == "r2" {
		return r.s[1], nil
	}
	return r.s[0], nil
}

// TestFastInputKeepsTheBudget: datagrams count against the same input
// budget as WebSocket frames: a flood over UDP closes the connection 4012.
func TestFastInputKeepsTheBudget(t *testing.T) {
	cfg := realtime.Config{MaxPlayers: 2, InputRate: 5, InputBurst: 5}
	ts := startServer(t, cfg, true)
	ts.run(t, cfg, &echoGame{})
	c := login(t, ts.base, "alice", gamelifttest.Options{})
	testwait.Eventually(t, "the fast channel", c.FastConnected)
	for range 20 {
		if err := c.Send(opEchoFast, nil, gamelifttest.Fast, gamelift.ServerPeer, 0); err != nil {
			break
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	for {
		ev, err := c.Next(ctx)
		if err != nil {
			t.Fatalf("no close after a UDP flood: %v", err)
		}
		if ev.Kind == gamelifttest.Closed {
			if ev.CloseCode != int(closecode.RateLimited) {
				t.Errorf("closed %d %q, want 4012", ev.CloseCode, ev.CloseText)
			}
			return
		}
	}
}

// TestReconnect: the SDK has no reconnect: a new client logs in with a
// fresh player session id and gets the same peer id; an already used one
// is refused with a reason that tells it to ask /v1/match again.
func TestReconnect(t *testing.T) {
	ts, _, _ := echoServer(t, true, true)
	first := login(t, ts.base+gamelift.Path, "alice:1", gamelifttest.Options{})
	peer := first.PeerID()
	first.Close()

	again := login(t, ts.base+gamelift.Path, "alice:2", gamelifttest.Options{})
	if again.PeerID() != peer {
		t.Errorf("a fresh player session id came back as peer %d, want %d", again.PeerID(), peer)
	}
	testwait.Eventually(t, "the fast channel after the reconnect", again.FastConnected)

	c, err := gamelifttest.Dial(t.Context(), ts.base+gamelift.Path, gamelifttest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_, err = c.Login(t.Context(), "alice:1")
	var le *gamelifttest.LoginError
	if !errors.As(err, &le) || le.Code != int(closecode.TokenUsed) || !strings.Contains(le.Text, "/v1/match") || strings.Contains(le.Text, "reconnect token") {
		t.Errorf("login with a used player session id: %v; want close 4013 telling to ask /v1/match, not to send a reconnect token", err)
	}
}

// TestUnroutable: on a game that does not relay (the Go match), a peer or
// group message is counted; a Leapfrog client gets a non-fatal
// CODE_INVALID_TARGET, a GameLift client (no error packet) nothing; both
// connections stay open.
func TestUnroutable(t *testing.T) {
	ts, _, _ := echoServer(t, false, true)
	a := login(t, ts.base, "a", gamelifttest.Options{})
	b := login(t, ts.base, "b", gamelifttest.Options{})
	if err := a.Send(9, []byte("x"), gamelifttest.Reliable, b.PeerID(), 0); err != nil {
		t.Fatal(err)
	}
	testwait.Eventually(t, "counted as no_relay", func() bool {
		return counterValue(ts.reg, "leapfrog_realtime_unroutable_messages_total", "reason", "no_relay") == 1
	})
	if err := a.Send(opEchoReliable, []byte("still here"), gamelifttest.Reliable, gamelift.ServerPeer, 0); err != nil {
		t.Fatal(err)
	}
	until(t, a, isOp(opEchoReliable))

	ws, _, err := websocket.DefaultDialer.Dial(ts.base+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	write := func(f *realtimev1.ClientFrame) {
		t.Helper()
		b, _ := proto.Marshal(f)
		if err := ws.WriteMessage(websocket.BinaryMessage, b); err != nil {
			t.Fatal(err)
		}
	}
	read := func() *realtimev1.ServerFrame {
		t.Helper()
		_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, b, err := ws.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		f := &realtimev1.ServerFrame{}
		if err := proto.Unmarshal(b, f); err != nil {
			t.Fatal(err)
		}
		return f
	}
	write(&realtimev1.ClientFrame{Payload: &realtimev1.ClientFrame_Hello{Hello: &realtimev1.Hello{PlayerSessionToken: "c"}}})
	if read().GetWelcome() == nil {
		t.Fatal("no welcome")
	}
	for _, m := range []*realtimev1.GameMessage{{OpCode: 9, TargetPeer: a.PeerID()}, {OpCode: 9, TargetGroup: gamelift.AllPlayersGroup}} {
		write(&realtimev1.ClientFrame{Payload: &realtimev1.ClientFrame_Message{Message: m}})
		var e *realtimev1.Error
		for e == nil {
			e = read().GetError()
		}
		if e.Code != realtimev1.Error_CODE_INVALID_TARGET || e.OpCode != 9 {
			t.Errorf("error %v, want CODE_INVALID_TARGET for op code 9", e)
		}
	}
	write(&realtimev1.ClientFrame{Payload: &realtimev1.ClientFrame_Ping{Ping: &realtimev1.Ping{ClientTimeMs: 1}}})
	for read().GetPong() == nil {
	}
	if n := counterValue(ts.reg, "leapfrog_realtime_unroutable_messages_total", "reason", "no_relay"); n != 3 {
		t.Errorf("%v unroutable messages counted, want 3", n)
	}
}

// TestDatagramPanicDropsOnlyThatDatagram: one goroutine reads the fast
// channel for every player; a panic on one client's datagram is logged with
// its stack and counted, and the channel serves the others on.
func TestDatagramPanicDropsOnlyThatDatagram(t *testing.T) {
	poison := []byte("poison")
	gamelift.PanicOnDatagram(t, poison)
	logs := panicguardtest.NewLog()
	cfg := realtime.Config{MaxPlayers: 8, InputRate: 200, Logger: logs.Logger()}
	ts := startServer(t, cfg, true)
	ts.run(t, cfg, &echoGame{})
	alice := login(t, ts.base, "alice", gamelifttest.Options{})
	testwait.Eventually(t, "alice's fast channel", alice.FastConnected)

	pc := rawUDP(t, ts, "127.0.0.1")
	if _, err := pc.WriteToUDP(poison, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: ts.port()}); err != nil {
		t.Fatal(err)
	}
	p := logs.Next(t)
	if p.Where != "datagram" || !strings.Contains(p.Stack, "gamelift.(*Fast).handle") {
		t.Errorf("logged %q where %q with stack:\n%s", p.Msg, p.Where, p.Stack)
	}
	if n := panicguardtest.Count(t, ts.reg, "leapfrog_realtime_panics_total", "datagram"); n != 1 {
		t.Errorf("leapfrog_realtime_panics_total{where=datagram} = %v, want 1", n)
	}
	if n := ts.dropped("panicked"); n != 1 {
		t.Errorf("leapfrog_realtime_datagrams_dropped_total{reason=panicked} = %v, want 1", n)
	}
	if err := alice.Send(opEchoFast, []byte("ok"), gamelifttest.Fast, gamelift.ServerPeer, 0); err != nil {
		t.Fatal(err)
	}
	if ev := until(t, alice, isOp(opEchoFast)); !ev.OverUDP {
		t.Error("alice's echo did not come over UDP")
	}
	logs.None(t)
}
