package gamelift_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/leapfrog-games/leapfrog/contract/token"
	"github.com/leapfrog-games/leapfrog/gameserver/gamelift"
	"github.com/leapfrog-games/leapfrog/gameserver/gamelift/gamelifttest"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime"
	"github.com/leapfrog-games/leapfrog/internal/selfsigned"
)

// idAuth reads a player session token "player" or "player:n": the player
// id, and the whole token as its token id (so "alice:2" is a fresh player
// session id for alice).
type idAuth struct{}

func (idAuth) Authenticate(_ context.Context, tok string) (realtime.Identity, error) {
	if tok == "" {
		return realtime.Identity{}, fmt.Errorf("%w: empty", token.ErrInvalid)
	}
	player, _, _ := strings.Cut(tok, ":")
	return realtime.Identity{PlayerID: player, TokenID: tok}, nil
}

// listenPair opens TCP and UDP on one port number of 127.0.0.1, as a match
// server's Agones port (TCPUDP) gives it.
func listenPair(t testing.TB) (net.Listener, *net.UDPConn) {
	t.Helper()
	for range 20 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: ln.Addr().(*net.TCPAddr).Port})
		if err == nil {
			return ln, pc
		}
		ln.Close()
	}
	t.Fatal("no port free for both TCP and UDP")
	return nil, nil
}

// testServer is a realtime server on 127.0.0.1 with the game server's
// endpoints: /ws, /websocket and / (and a fast channel when asked).
type testServer struct {
	base    string // ws://127.0.0.1:port
	srv     *realtime.Server
	fast    *gamelift.Fast
	metrics *realtime.Metrics
	reg     *prometheus.Registry
}

func startServer(t testing.TB, cfg realtime.Config, withFast bool) *testServer {
	t.Helper()
	return startServerWith(t, cfg, withFast, nil, gamelift.SecureConfig{})
}

// startSecureServer serves TLS on the TCP port and DTLS on the UDP port,
// both with certs' server certificate, and hands clients certs' CA.
// sc's certificate and CA are filled in from certs.
func startSecureServer(t testing.TB, cfg realtime.Config, certs selfsigned.Chain, sc gamelift.SecureConfig) *testServer {
	t.Helper()
	return startServerWith(t, cfg, true, &certs, sc)
}

func startServerWith(t testing.TB, cfg realtime.Config, withFast bool, certs *selfsigned.Chain, sc gamelift.SecureConfig) *testServer {
	t.Helper()
	ts := &testServer{reg: prometheus.NewRegistry()}
	ts.metrics = realtime.NewMetrics(ts.reg)
	if cfg.GameServer == "" {
		cfg.GameServer = "gs-1"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	cfg.Metrics = ts.metrics
	srv, err := realtime.NewServer(cfg, idAuth{})
	if err != nil {
		t.Fatal(err)
	}
	ts.srv = srv
	ln, pc := listenPair(t)
	newCodec := gamelift.NewCodec
	ctx, cancel := context.WithCancel(context.Background())
	scheme := "ws://"
	switch {
	case certs != nil:
		cert, err := certs.TLS()
		if err != nil {
			t.Fatal(err)
		}
		addr := pc.LocalAddr().(*net.UDPAddr)
		pc.Close() // the DTLS listener opens its own socket on the number
		sc.Certificate, sc.CACert = cert, certs.CA
		ts.fast, err = gamelift.ListenSecure(addr, sc, cfg.Logger, ts.metrics)
		if err != nil {
			t.Fatal(err)
		}
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"}})
		scheme = "wss://"
	case withFast:
		ts.fast = gamelift.NewFast(pc, cfg.Logger, ts.metrics)
	default:
		pc.Close()
	}
	if ts.fast != nil {
		newCodec = ts.fast.NewCodec
		go ts.fast.Serve(ctx)
	}
	mux := http.NewServeMux()
	mux.Handle("/ws", srv)
	mux.Handle(gamelift.Path, srv.Handler(newCodec))
	mux.Handle("/{$}", srv.Handler(newCodec))
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go hs.Serve(ln)
	ts.base = scheme + ln.Addr().String()
	t.Cleanup(func() {
		cancel()
		srv.Drain()
		hs.Close()
	})
	return ts
}

// run runs a session of game as the server's session until the test ends.
func (ts *testServer) run(t testing.TB, cfg realtime.Config, game realtime.Game) *realtime.Session {
	t.Helper()
	if cfg.GameServer == "" {
		cfg.GameServer = "gs-1"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	cfg.Metrics = ts.metrics
	s, err := realtime.NewSession("s1", cfg, game)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go s.Run(ctx)
	ts.srv.SetSession(s)
	t.Cleanup(func() {
		cancel()
		<-s.Done()
	})
	return s
}

func (ts *testServer) port() int {
	_, p, _ := net.SplitHostPort(ts.base[strings.Index(ts.base, "//")+2:])
	n, _ := strconv.Atoi(p)
	return n
}

// dropped reads leapfrog_realtime_datagrams_dropped_total{reason}.
func (ts *testServer) dropped(reason string) float64 {
	return counterValue(ts.reg, "leapfrog_realtime_datagrams_dropped_total", "reason", reason)
}

func counterValue(reg *prometheus.Registry, name, label, value string) float64 {
	mfs, err := reg.Gather()
	if err != nil {
		return -1
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == label && l.GetValue() == value {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

// login dials url and logs in as playerSessionID.
func login(t testing.TB, url, playerSessionID string, opts gamelifttest.Options) *gamelifttest.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	c, err := gamelifttest.Dial(ctx, url, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := c.Login(ctx, playerSessionID); err != nil {
		t.Fatalf("login %s: %v", playerSessionID, err)
	}
	return c
}

// until reads events until one matches, failing the test on a close or after 10 s.
func until(t testing.TB, c *gamelifttest.Client, match func(gamelifttest.Event) bool) gamelifttest.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	for {
		ev, err := c.Next(ctx)
		if err != nil {
			t.Fatalf("waiting for an event: %v", err)
		}
		if ev.Kind == gamelifttest.Closed {
			t.Fatalf("closed: %d %s", ev.CloseCode, ev.CloseText)
		}
		if match(ev) {
			return ev
		}
	}
}

func untilKind(t testing.TB, c *gamelifttest.Client, k gamelifttest.Kind) gamelifttest.Event {
	t.Helper()
	return until(t, c, func(ev gamelifttest.Event) bool { return ev.Kind == k })
}

func isOp(op int32) func(gamelifttest.Event) bool {
	return func(ev gamelifttest.Event) bool { return ev.Kind == gamelifttest.DataReceived && ev.OpCode == op }
}
