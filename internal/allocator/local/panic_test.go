package local

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/leapfrog-games/leapfrog/client"
	"github.com/leapfrog-games/leapfrog/contract/token"
	"github.com/leapfrog-games/leapfrog/gameserver/host"
	"github.com/leapfrog-games/leapfrog/internal/gameserver/raceserver"
	"github.com/leapfrog-games/leapfrog/internal/panicguard/panicguardtest"
	"github.com/leapfrog-games/leapfrog/internal/testwait"
)

// TestPanickingServerIsReplacedAndTheOthersPlayOn: every game server of a
// local fleet lives in one process. A panic on one server's goroutine stops
// that server alone: it is logged with its stack and counted, the fleet
// replaces it, and a player on another server plays on.
func TestPanickingServerIsReplacedAndTheOthersPlayOn(t *testing.T) {
	keys, _ := token.GenerateKeyset("k")
	tokens := token.NewIssuer(keys, nil)
	logs := panicguardtest.NewLog()
	reg := prometheus.NewRegistry()
	var armed atomic.Bool
	var crashedAt atomic.Value // the address of the server that panicked
	f, err := NewFleet(context.Background(), Config{
		BufferSize: 1, MaxReplicas: 3, Game: raceserver.DefaultGameOptions(),
		Tokens: tokens, SyncInterval: 20 * time.Millisecond,
		run: func(ctx context.Context, h *host.Host, ln net.Listener) error {
			if armed.CompareAndSwap(true, false) {
				crashedAt.Store(ln.Addr().String())
				crash()
			}
			return h.Run(ctx, ln)
		},
	}, reg, logs.Logger())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)

	// The next server started, the one refilling the buffer once alice
	// takes the Ready one, panics as it starts.
	armed.Store(true)
	a := alloc(t, f, "alice")
	alice := connect(t, tokens, a.Port, "alice", a.GameServer)

	p := logs.Next(t)
	if p.Where != panicServer || !strings.Contains(p.Stack, "local.crash") {
		t.Errorf("logged %q where %q with stack:\n%s", p.Msg, p.Where, p.Stack)
	}
	if n := panicguardtest.Count(t, reg, "leapfrog_local_fleet_panics_total", panicServer); n != 1 {
		t.Errorf("leapfrog_local_fleet_panics_total{where=server} = %v, want 1", n)
	}
	testwait.Eventually(t, "the buffer to refill without the server that panicked", func() bool {
		for _, gs := range f.Servers() {
			if fmt.Sprintf("127.0.0.1:%d", gs.Status.Ports[0].Port) == crashedAt.Load() {
				return false
			}
		}
		return f.warm() >= 1
	}, testwait.Within(20*time.Second))
	if c, err := net.Dial("tcp", crashedAt.Load().(string)); err == nil {
		c.Close()
		t.Error("the server that panicked still takes connections")
	}

	if err := alice.Ping(); err != nil {
		t.Fatal(err)
	}
	waitFor[client.Pong](t, alice, "alice's pong after the other server's panic")
	if b := alloc(t, f, "bob"); b.GameServer != a.GameServer || !b.Joined {
		t.Fatalf("bob went to %+v, want alice's match on %s", b, a.GameServer)
	}
	logs.None(t)
}

func crash() { panic("injected: a bug in a game server") }

// connect joins player to the match on the fleet's server at port.
func connect(t *testing.T, tokens *token.Issuer, port int32, player, gameServer string) *client.Conn {
	t.Helper()
	raw, _, err := tokens.MintPlayerSession(player, gameServer, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, fmt.Sprintf("ws://127.0.0.1:%d/ws", port), raw, client.DialOptions{})
	if err != nil {
		t.Fatalf("%s joins %s: %v", player, gameServer, err)
	}
	t.Cleanup(func() { c.Close() })
	waitFor[client.Welcome](t, c, player+"'s welcome")
	return c
}

// waitFor reads c's events until one of type E, failing t if the
// connection closes or a deadline passes first.
func waitFor[E client.Event](t *testing.T, c *client.Conn, what string) E {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case ev := <-c.Events():
			switch ev := ev.(type) {
			case E:
				return ev
			case client.Closed:
				t.Fatalf("waiting for %s: closed with %d %q", what, ev.Code, ev.Text)
			}
		case <-deadline:
			t.Fatalf("no %s", what)
		}
	}
}
