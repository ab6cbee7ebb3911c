package gamelift_test

import (
	"bytes"
	"errors"
	"net"
	"testing"
	"time"

	gameliftv1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/gamelift/v1"
	"github.com/leapfrog-games/leapfrog/gameserver/gamelift"
	"github.com/leapfrog-games/leapfrog/gameserver/gamelift/gamelifttest"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime"
	"github.com/leapfrog-games/leapfrog/internal/selfsigned"
	"github.com/leapfrog-games/leapfrog/internal/testwait"
)

// secureEcho is an echo server with TLS and DTLS on 127.0.0.1, and the
// options of a secure client that trusts its CA.
func secureEcho(t *testing.T) (*testServer, gamelifttest.Options) {
	t.Helper()
	return secureEchoWith(t, gamelift.SecureConfig{})
}

func secureEchoWith(t *testing.T, sc gamelift.SecureConfig) (*testServer, gamelifttest.Options) {
	t.Helper()
	certs, err := selfsigned.NewChain(time.Hour, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	cfg := realtime.Config{MaxPlayers: 8, Relay: true, InputRate: 200}
	ts := startSecureServer(t, cfg, certs, sc)
	ts.run(t, cfg, &echoGame{})
	return ts, gamelifttest.Options{Secure: true, RootCAs: certs.Pool()}
}

// TestSecureFastChannel: two clients in the SDK's RT_OVER_WSS_DTLS_TLS12
// mode log in over wss, get the CA and a connect token each, verify their
// DTLS sessions, and fast messages travel inside DTLS both ways; reliable
// ones stay on the WebSocket.
func TestSecureFastChannel(t *testing.T) {
	ts, opts := secureEcho(t)
	alice := login(t, ts.base+gamelift.Path, "alice", opts)
	bob := login(t, ts.base, "bob", opts)
	for _, c := range []*gamelifttest.Client{alice, bob} {
		testwait.Eventually(t, "the DTLS session is verified", c.FastConnected)
		if n := c.UDPErrors(); n != 0 {
			t.Errorf("peer %d: %d fast channel errors", c.PeerID(), n)
		}
	}
	until(t, alice, isOp(gamelift.OpPlayerConnect))
	tests := []struct {
		name        string
		from, to    *gamelifttest.Client
		op          int32
		intent      gamelifttest.Intent
		target      int32
		group       int32
		wantSender  int32
		wantOverUDP bool
	}{
		{"fast to a peer", alice, bob, 10, gamelifttest.Fast, bob.PeerID(), 0, alice.PeerID(), true},
		{"fast back", bob, alice, 11, gamelifttest.Fast, alice.PeerID(), 0, bob.PeerID(), true},
		{"fast to every player", alice, bob, 12, gamelifttest.Fast, 0, gamelift.AllPlayersGroup, alice.PeerID(), true},
		{"reliable to a peer", bob, alice, 13, gamelifttest.Reliable, alice.PeerID(), 0, bob.PeerID(), false},
		{"script's fast echo", bob, bob, opEchoFast, gamelifttest.Fast, gamelift.ServerPeer, 0, gamelift.ServerPeer, true},
		{"reliable echo", alice, alice, opEchoReliable, gamelifttest.Fast, gamelift.ServerPeer, 0, gamelift.ServerPeer, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.from.Send(tt.op, []byte(tt.name), tt.intent, tt.target, tt.group); err != nil {
				t.Fatal(err)
			}
			ev := until(t, tt.to, isOp(tt.op))
			if ev.Sender != tt.wantSender || ev.OverUDP != tt.wantOverUDP || string(ev.Payload) != tt.name {
				t.Errorf("got sender %d over the fast channel %v payload %q; want %d, %v, %q", ev.Sender, ev.OverUDP, ev.Payload, tt.wantSender, tt.wantOverUDP, tt.name)
			}
		})
	}
	// The largest fast payload fits in one record; one byte more goes reliable, as the SDK falls back.
	for _, n := range []int{gamelift.MaxFastPayload, gamelift.MaxFastPayload + 1} {
		if err := alice.Send(40, bytes.Repeat([]byte("x"), n), gamelifttest.Fast, bob.PeerID(), 0); err != nil {
			t.Fatal(err)
		}
		if ev := until(t, bob, isOp(40)); len(ev.Payload) != n || ev.OverUDP != (n <= gamelift.MaxFastPayload) {
			t.Errorf("a fast payload of %d bytes arrived with %d bytes, over DTLS %v", n, len(ev.Payload), ev.OverUDP)
		}
	}
	if got := ts.dropped("unverified") + ts.dropped("identity_refused") + ts.dropped("handshake_failed"); got != 0 {
		t.Errorf("%v DTLS records or sessions dropped", got)
	}
}

// TestSecureLoginResult: the login result carries the CA and a connect
// token that differs for every login; without DTLS on the server the
// client fails as the SDK does ("CA cert is undefined").
func TestSecureLoginResult(t *testing.T) {
	ts, opts := secureEcho(t)
	seen := map[string]bool{}
	for _, id := range []string{"alice", "bob", "alice:2"} {
		c, err := gamelifttest.Dial(t.Context(), ts.base+gamelift.Path, opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		r, err := c.Login(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.CACert) == 0 || len(r.ConnectToken) < 20 || seen[r.ConnectToken] || r.FastPort != int32(ts.port()) {
			t.Errorf("%s: caCert %d bytes, connect token %q (seen %v), fast port %d", id, len(r.CACert), r.ConnectToken, seen[r.ConnectToken], r.FastPort)
		}
		seen[r.ConnectToken] = true
	}

	plain, _, _ := echoServer(t, true, true)
	c, err := gamelifttest.Dial(t.Context(), plain.base+gamelift.Path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := c.Login(t.Context(), "carol"); !errors.Is(err, gamelifttest.ErrNoCACert) {
		t.Errorf("secure login on a server without DTLS: %v, want %v", err, gamelifttest.ErrNoCACert)
	}
}

// TestSecureIdentityRefused: a DTLS session whose VerifyIdentity does not
// show the logged-in peer's own connect token gets -15 success false and
// never becomes a fast channel.
func TestSecureIdentityRefused(t *testing.T) {
	ts, opts := secureEcho(t)
	bob := login(t, ts.base, "bob", opts)
	testwait.Eventually(t, "bob's DTLS session is verified", bob.FastConnected)
	var daveToken string
	{
		c, err := gamelifttest.Dial(t.Context(), ts.base, opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		r, err := c.Login(t.Context(), "dave")
		if err != nil {
			t.Fatal(err)
		}
		daveToken = r.ConnectToken // another peer's live token
	}
	tests := []struct {
		name     string
		identity func(peer int32, token string) (int32, string)
	}{
		{"wrong token", func(peer int32, token string) (int32, string) { return peer, token + "x" }},
		{"empty token", func(peer int32, _ string) (int32, string) { return peer, "" }},
		{"another peer's token", func(peer int32, _ string) (int32, string) { return peer, daveToken }},
		{"an unknown peer", func(_ int32, token string) (int32, string) { return 99, token }},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := ts.dropped("identity_refused")
			o := opts
			o.Identity = tt.identity
			c := login(t, ts.base, "mallory:"+string(rune('a'+i)), o)
			testwait.Eventually(t, "the identity is refused", c.FastRefused)
			if c.FastConnected() {
				t.Error("the fast channel is up after a refused identity")
			}
			if got := ts.dropped("identity_refused"); got != before+1 {
				t.Errorf("identity_refused went from %v to %v, want one more", before, got)
			}
		})
	}
}

// TestSecureNothingRoutedUnverified: a DTLS session that skips
// VerifyIdentity has its records dropped, and a plain datagram (a
// UDP_CONNECT, a message) to the DTLS port is ignored.
func TestSecureNothingRoutedUnverified(t *testing.T) {
	ts, opts := secureEcho(t)
	bob := login(t, ts.base, "bob", opts)
	skip := opts
	skip.SkipVerify = true
	carol := login(t, ts.base, "carol", skip)
	testwait.Eventually(t, "carol's DTLS handshake is done", carol.FastConnected)

	if err := carol.Send(20, []byte("unverified"), gamelifttest.Fast, bob.PeerID(), 0); err != nil {
		t.Fatal(err)
	}
	testwait.Eventually(t, "the unverified record is dropped", func() bool { return ts.dropped("unverified") >= 1 })

	pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	to := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: ts.port()}
	for _, p := range []*gameliftv1.Packet{
		{OpCode: gamelift.OpUDPConnect, TargetPlayer: gamelift.ServerPeer, Sender: carol.PeerID(), Command: &gameliftv1.Packet_UdpConnect{UdpConnect: &gameliftv1.UDPConnect{}}},
		{OpCode: 21, Sender: carol.PeerID(), TargetPlayer: bob.PeerID(), Payload: []byte("plain")},
	} {
		if _, err := pc.WriteToUDP(gamelift.Encode(p), to); err != nil {
			t.Fatal(err)
		}
	}
	// The server never answers a plain datagram: nothing arrives in a
	// round trip's many times over.
	_ = pc.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if n, _, err := pc.ReadFromUDP(make([]byte, 2048)); err == nil {
		t.Errorf("the DTLS port answered a plain datagram with %d bytes", n)
	}
	// Bob's next message is the reliable one sent after both: neither the
	// unverified record nor the plain datagram reached him.
	if err := carol.Send(22, []byte("reliable"), gamelifttest.Reliable, bob.PeerID(), 0); err != nil {
		t.Fatal(err)
	}
	ev := until(t, bob, func(ev gamelifttest.Event) bool { return ev.Kind == gamelifttest.DataReceived && ev.OpCode > 0 })
	if ev.OpCode != 22 {
		t.Errorf("bob got op %d %q first, want the reliable op 22", ev.OpCode, ev.Payload)
	}
}

// TestSecureSessionEndsWithPlayer: when a player's connection ends (here
// replaced by a newer login of the same player) the server closes its
// DTLS session; the newer login verifies with its own token only.
func TestSecureSessionEndsWithPlayer(t *testing.T) {
	ts, opts := secureEcho(t)
	bob := login(t, ts.base, "bob", opts)
	old := login(t, ts.base, "alice", opts)
	testwait.Eventually(t, "alice's first session is verified", old.FastConnected)
	if old.FastClosed() {
		t.Fatal("the session is closed while the player is connected")
	}
	alice := login(t, ts.base, "alice:2", opts)
	testwait.Eventually(t, "the replaced connection's DTLS session is closed", old.FastClosed)
	testwait.Eventually(t, "alice's new session is verified", alice.FastConnected)
	if err := alice.Send(30, []byte("again"), gamelifttest.Fast, bob.PeerID(), 0); err != nil {
		t.Fatal(err)
	}
	if ev := until(t, bob, isOp(30)); !ev.OverUDP || ev.Sender != alice.PeerID() {
		t.Errorf("bob got %+v, want alice's fast message over DTLS", ev)
	}
}

// TestSecureHandshakesPerIP: sessions that are not verified (one that
// finished its handshake and never sent -14, one that never finishes)
// hold their source IP's slots until the timeout; one more from that IP is
// closed at once.
func TestSecureHandshakesPerIP(t *testing.T) {
	ts, opts := secureEchoWith(t, gamelift.SecureConfig{HandshakesPerIP: 2, HandshakeTimeout: time.Minute})
	opts.SkipVerify = true
	silent := login(t, ts.base, "carol", opts)
	testwait.Eventually(t, "the silent client's handshake is done", silent.FastConnected)
	// A DTLS 1.2 handshake record header and a few bytes: enough to open a
	// session, never enough to finish one.
	hello := []byte{22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 1, 0, 0, 0}
	to := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: ts.port()}
	// One server socket reads the two in order and accepts them in order.
	for range 2 {
		pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { pc.Close() })
		if _, err := pc.WriteToUDP(hello, to); err != nil {
			t.Fatal(err)
		}
	}
	testwait.Eventually(t, "the third session from one IP is refused", func() bool { return ts.dropped("handshake_limited") == 1 })
}
