package realtime_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/leapfrog-games/leapfrog/contract/token"
	"github.com/leapfrog-games/leapfrog/gameserver/gamelift"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime/realtimetest"
)

// listening is a game server as the host runs it: LimitListener, the
// connection context, the Leapfrog path and GameLift Realtime's.
type listening struct {
	addr   string
	issuer *token.Issuer
	clock  *realtimetest.FakeClock
}

func listen(t *testing.T, cfg realtime.Config) *listening {
	t.Helper()
	keys, err := token.GenerateKeyset("test")
	if err != nil {
		t.Fatal(err)
	}
	issuer := token.NewIssuer(keys, nil)
	l := &listening{issuer: issuer, clock: realtimetest.NewFakeClock(time.Now())}
	cfg.GameServer, cfg.Logger = "gs-1", discard()
	s, err := realtime.NewSession("s1", cfg, echoGame{})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Clock = l.clock // the handshake pool's clock; the session keeps the wall clock
	cfg.Relays = issuer
	srv, err := realtime.NewServer(cfg, tokenAuth{issuer, "gs-1"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go s.Run(ctx)
	srv.SetSession(s)
	mux := http.NewServeMux()
	mux.Handle("/ws", srv)
	mux.Handle(gamelift.Path, srv.Handler(gamelift.NewCodec))
	mux.Handle("/{$}", srv.Handler(gamelift.NewCodec))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: mux, ConnContext: srv.ConnContext, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = hs.Serve(srv.LimitListener(ln)) }()
	t.Cleanup(func() {
		cancel()
		<-s.Done()
		hs.Close()
	})
	l.addr = ln.Addr().String()
	return l
}

// open dials path from the loopback address from (Linux routes all of
// 127/8 to lo) with hdr; it returns the WebSocket, or nil and why not.
func (l *listening) open(t *testing.T, from, path string, hdr http.Header) (*websocket.Conn, error) {
	t.Helper()
	d := websocket.Dialer{
		NetDialContext:   (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}).DialContext,
		HandshakeTimeout: 5 * time.Second,
	}
	ws, resp, err := d.Dial("ws://"+l.addr+path, hdr)
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("HTTP %d: %w", resp.StatusCode, err)
		}
		return nil, err
	}
	t.Cleanup(func() { ws.Close() })
	return ws, nil
}

// hold opens n sockets from each address that never send Hello, as the
// attack does; it returns how many were upgraded.
func (l *listening) hold(t *testing.T, path string, n int, from ...string) int {
	t.Helper()
	held := 0
	for _, a := range from {
		for range n {
			if ws, _ := l.open(t, a, path, nil); ws != nil {
				held++
			}
		}
	}
	return held
}

// play connects a player from 127.0.0.1 and says Hello: nil once welcomed.
func (l *listening) play(t *testing.T, player string) error {
	t.Helper()
	ws, err := l.open(t, "127.0.0.1", "/ws", nil)
	if err != nil {
		return err
	}
	raw, _, err := l.issuer.MintPlayerSession(player, "gs-1", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	c := &client{t: t, ws: ws}
	if w, e, code := c.hello(raw, ""); w == nil {
		return fmt.Errorf("refused: %v (close %d)", e, code)
	}
	return nil
}

func loopbacks(first, n int) []string {
	var out []string
	for i := range n {
		out = append(out, fmt.Sprintf("127.0.0.%d", first+i))
	}
	return out
}

// Sockets that never send Hello, from one address or a few, over either
// protocol, hold every handshake slot of a one-race server (16 by default);
// the players who come next still get in.
func TestIdleSocketsDoNotKeepPlayersOut(t *testing.T) {
	for _, tc := range []struct {
		name  string
		path  string
		from  []string
		per   int
		slots int // 0: the one-race default, 16
		// wait is how long the idle sockets have been silent when the
		// players come: a few addresses within their share lose their
		// slots only after a second of silence.
		wait time.Duration
	}{
		{"one address", "/ws", loopbacks(2, 1), 16, 0, 0},
		{"one address, GameLift Realtime protocol", gamelift.Path, loopbacks(2, 1), 16, 0, 0},
		{"one address, GameLift Realtime at /", "/", loopbacks(2, 1), 16, 0, 0},
		{"eight addresses at their share", "/ws", loopbacks(2, 8), 2, 0, time.Second},
		{"four addresses, GameLift Realtime protocol", gamelift.Path, loopbacks(2, 4), 4, 0, 0},
		// A high-density server of 128 matches has 170 slots (host.New).
		{"seventeen addresses, high density", "/ws", loopbacks(2, 17), 10, 170, time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := listen(t, realtime.Config{HandshakeTimeout: time.Minute, MaxHandshakes: tc.slots, MaxConnections: 512})
			slots := max(tc.slots, 16)
			if held := l.hold(t, tc.path, tc.per, tc.from...); held != slots {
				t.Fatalf("%d idle sockets upgraded, want all %d handshake slots held", held, slots)
			}
			l.clock.Add(tc.wait)
			for _, p := range []string{"p1", "p2"} {
				if err := l.play(t, p); err != nil {
					t.Fatalf("player %s while %d idle sockets from %d addresses are held: %v", p, slots, len(tc.from), err)
				}
			}
		})
	}
}

// Within their share and silent for less than a second, idle sockets keep
// their slots: a full pool turns the newcomer away rather than close a
// connection that may be a slow player's.
func TestFreshSocketsKeepTheirSlots(t *testing.T) {
	l := listen(t, realtime.Config{HandshakeTimeout: time.Minute})
	if held := l.hold(t, "/ws", 2, loopbacks(2, 8)...); held != 16 {
		t.Fatalf("%d idle sockets upgraded, want 16", held)
	}
	l.clock.Add(time.Second - time.Millisecond)
	err := l.play(t, "p1")
	if err == nil || !strings.Contains(err.Error(), "HTTP 503") {
		t.Fatalf("player while 16 fresh sockets hold the slots: %v, want HTTP 503", err)
	}
	// An address at its share gets no more slots of a full pool, however old.
	l.clock.Add(time.Hour)
	if ws, err := l.open(t, "127.0.0.2", "/ws", nil); ws != nil || !strings.Contains(fmt.Sprint(err), "HTTP 503") {
		t.Fatalf("a third socket of an address at its share: %v, want HTTP 503", err)
	}
}

// A relay credential signed with the server's token keys makes a connection
// count against the client address it names; without one, with a forged or
// a malformed one, X-Forwarded-For is ignored and the peer is counted.
func TestRelayedConnectionsCountTheirClient(t *testing.T) {
	keys, err := token.GenerateKeyset("other")
	if err != nil {
		t.Fatal(err)
	}
	forger := token.NewIssuer(keys, nil)
	const perIP = 4
	for _, tc := range []struct {
		name string
		hdr  func(l *listening, i int) http.Header
		want int // connections upgraded of 12 from one peer
	}{
		{"no header", func(*listening, int) http.Header { return nil }, perIP},
		{"X-Forwarded-For alone", func(_ *listening, i int) http.Header {
			return http.Header{"X-Forwarded-For": {fmt.Sprintf("10.0.0.%d", i)}}
		}, perIP},
		{"credential signed with other keys", func(_ *listening, i int) http.Header {
			return relayHeader(t, forger, fmt.Sprintf("10.0.0.%d", i), "gs-1")
		}, perIP},
		{"credential for another game server", func(l *listening, i int) http.Header {
			return relayHeader(t, l.issuer, fmt.Sprintf("10.0.0.%d", i), "gs-2")
		}, perIP},
		{"malformed credential", func(_ *listening, i int) http.Header {
			return http.Header{token.RelayHeader: {"not.a.credential"}, "X-Forwarded-For": {"10.0.0.1, 10.0.0.2"}}
		}, perIP},
		{"credential, one client each", func(l *listening, i int) http.Header {
			return relayHeader(t, l.issuer, fmt.Sprintf("10.0.0.%d", i), "gs-1")
		}, 12},
		{"credential, one IPv6 client each", func(l *listening, i int) http.Header {
			return relayHeader(t, l.issuer, fmt.Sprintf("2001:db8::%d", i+1), "gs-1")
		}, 12},
		{"credential, all one client", func(l *listening, _ int) http.Header {
			return relayHeader(t, l.issuer, "10.0.0.1", "gs-1")
		}, perIP},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := listen(t, realtime.Config{MaxConnectionsPerIP: perIP, MaxHandshakes: 64, HandshakeTimeout: time.Minute})
			got := 0
			for i := range 12 {
				if ws, _ := l.open(t, "127.0.0.1", "/ws", tc.hdr(l, i)); ws != nil {
					got++
				}
			}
			if got != tc.want {
				t.Fatalf("%d of 12 connections from one peer upgraded, want %d", got, tc.want)
			}
		})
	}
}

func relayHeader(t *testing.T, is *token.Issuer, client, gameServer string) http.Header {
	t.Helper()
	cred, err := is.MintRelay(client, gameServer)
	if err != nil {
		t.Fatal(err)
	}
	return http.Header{token.RelayHeader: {cred}, "X-Forwarded-For": {client}}
}

// Behind a relay the handshake slots are shared by the relayed client
// addresses: one player address holding idle sockets through the edge
// keeps nobody else out.
func TestRelayedIdleSocketsShareByClient(t *testing.T) {
	l := listen(t, realtime.Config{MaxConnectionsPerIP: 64, HandshakeTimeout: time.Minute})
	held := 0
	for range 16 {
		if ws, _ := l.open(t, "127.0.0.1", "/ws", relayHeader(t, l.issuer, "10.0.0.66", "gs-1")); ws != nil {
			held++
		}
	}
	if held != 16 {
		t.Fatalf("%d relayed idle sockets upgraded, want 16", held)
	}
	ws, err := l.open(t, "127.0.0.1", "/ws", relayHeader(t, l.issuer, "10.0.0.7", "gs-1"))
	if err != nil {
		t.Fatalf("another relayed player while one relayed address holds every slot: %v", err)
	}
	raw, _, err := l.issuer.MintPlayerSession("p1", "gs-1", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	if w, e, code := (&client{t: t, ws: ws}).hello(raw, ""); w == nil {
		t.Fatalf("relayed player refused: %v (close %d)", e, code)
	}
}
