package gamelift_test

import (
	"testing"
	"time"

	"github.com/leapfrog-games/leapfrog/gameserver/gamelift"
	"github.com/leapfrog-games/leapfrog/gameserver/gamelift/gamelifttest"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime"
	"github.com/leapfrog-games/leapfrog/internal/selfsigned"
	"github.com/leapfrog-games/leapfrog/internal/testwait"
)

// BenchmarkEchoRoundTrip: one message to the server and its echo back, over
// the fast channel (datagrams, or DTLS records, both ways) and over the
// WebSocket (plain or TLS).
func BenchmarkEchoRoundTrip(b *testing.B) {
	for _, bc := range []struct {
		name   string
		intent gamelifttest.Intent
		op     int32
		udp    bool
		secure bool
	}{
		{"udp", gamelifttest.Fast, opEchoFast, true, false},
		{"websocket", gamelifttest.Reliable, opEchoReliable, false, false},
		{"dtls", gamelifttest.Fast, opEchoFast, true, true},
		{"websocket_tls", gamelifttest.Reliable, opEchoReliable, false, true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			cfg := realtime.Config{MaxPlayers: 2, InputRate: 1e6, InputBurst: 1e6}
			var (
				ts   *testServer
				opts gamelifttest.Options
			)
			if bc.secure {
				chain, err := selfsigned.NewChain(time.Hour, "127.0.0.1")
				if err != nil {
					b.Fatal(err)
				}
				ts = startSecureServer(b, cfg, chain, gamelift.SecureConfig{})
				opts = gamelifttest.Options{Secure: true, RootCAs: chain.Pool()}
			} else {
				ts = startServer(b, cfg, true)
			}
			ts.fast.SourceRate = 1 << 30 // one client at full speed, not players behind a NAT
			ts.run(b, cfg, &echoGame{})
			c := login(b, ts.base, "bench", opts)
			testwait.Eventually(b, "fast channel", c.FastConnected)
			payload := make([]byte, 64)
			b.ResetTimer()
			for range b.N {
				if err := c.Send(bc.op, payload, bc.intent, gamelift.ServerPeer, 0); err != nil {
					b.Fatal(err)
				}
				ev := until(b, c, isOp(bc.op))
				if ev.OverUDP != bc.udp {
					b.Fatalf("echo over UDP %v, want %v", ev.OverUDP, bc.udp)
				}
			}
		})
	}
}
