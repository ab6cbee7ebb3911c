package agones

import (
	"crypto/rand"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/leapfrog-games/leapfrog/client"
	"github.com/leapfrog-games/leapfrog/client/clienttest"
	"github.com/leapfrog-games/leapfrog/contract/agonesv1"
	"github.com/leapfrog-games/leapfrog/contract/agoneswire"
	"github.com/leapfrog-games/leapfrog/contract/token"
	"github.com/leapfrog-games/leapfrog/gameserver/agonessdk"
	"github.com/leapfrog-games/leapfrog/gameserver/agonessdk/sdktest"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime/realtimetest"
	"github.com/leapfrog-games/leapfrog/internal/allocator/api"
	"github.com/leapfrog-games/leapfrog/internal/allocator/reach"
	"github.com/leapfrog-games/leapfrog/internal/buildtest"
	"github.com/leapfrog-games/leapfrog/internal/testwait"
)

// matchServerProcess is a high-density game server process of the fake
// cluster's Fleet, beside an in-memory Agones sidecar.
type matchServerProcess struct {
	cmd *exec.Cmd
	out *buildtest.Output
	// mem is the sidecar's GameServer: what the game server writes shows
	// there, not in the fake cluster (see mirror).
	mem *agonessdk.Memory
}

// startMatchServers builds the game server and runs one process per
// GameServer of fc (named match-0, match-1...), each with a sidecar of its own;
// the GameServers get the processes' addresses and ports.
func startMatchServers(t *testing.T, fc *fakeCluster, n, matches int, keyFile string, extraArgs ...string) map[string]*matchServerProcess {
	t.Helper()
	root, err := buildtest.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := buildtest.Commands(root, dir, "./gameserver/cmd/race-server"); err != nil {
		t.Fatal(err)
	}
	procs := make(map[string]*matchServerProcess)
	for i := range n {
		name := fmt.Sprintf("race-%d", i)
		listen, admin := buildtest.FreeAddr(t), buildtest.FreeAddr(t)
		_, p, _ := net.SplitHostPort(listen)
		port, _ := strconv.Atoi(p)
		sidecar, mem := sdktest.Start(t, agonessdk.MemoryConfig{
			Name: name, Address: "127.0.0.1", Ports: []agonessdk.Port{{Name: "default", Port: int32(port)}},
			Lists: map[string]agonessdk.List{agoneswire.MatchesList: {Capacity: agonessdk.Int64(int64(matches))}},
		})
		su, _ := url.Parse(sidecar.URL)
		rs := &matchServerProcess{out: &buildtest.Output{}, mem: mem}
		rs.cmd = exec.Command(filepath.Join(dir, "race-server"), append([]string{
			"--listen=" + listen, "--admin-listen=" + admin, "--key-file=" + keyFile, "--sdk-http-port=" + su.Port(),
			"--races-per-server=" + strconv.Itoa(matches), "--log-level=warn",
			// A short match: four hops of 50 ms after a 200 ms countdown.
			"--countdown=200ms", "--hop-distance=0.25", "--hop-duration=50ms", "--hop-penalty=0s"}, extraArgs...)...)
		rs.cmd.Env = buildtest.HermeticEnv("LEAPFROG_")
		rs.cmd.Stdout, rs.cmd.Stderr = rs.out, rs.out
		if err := rs.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_ = rs.cmd.Process.Kill()
			_ = rs.cmd.Wait()
		})
		ready := false
		for deadline := time.Now().Add(30 * time.Second); !ready && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if resp, err := http.Get("http://" + admin + "/readyz"); err == nil {
				resp.Body.Close()
				ready = resp.StatusCode == http.StatusOK
			}
		}
		if !ready {
			t.Fatalf("%s not ready within 30s:\n%s", name, rs.out.Tail(20))
		}
		fc.edit(name, func(gs *agonesv1.GameServer) {
			gs.Status.Address = "127.0.0.1"
			gs.Status.Ports = []agonesv1.GameServerPort{{Name: "default", Port: int32(port)}}
		})
		procs[name] = rs
	}
	return procs
}

// writeKeyFile writes a new token key where game servers read it and
// returns the issuer that signs with it.
func writeKeyFile(t *testing.T) (*token.Issuer, string) {
	t.Helper()
	key := token.Key{ID: "deadserver", Secret: make([]byte, token.MinSecretBytes)}
	_, _ = rand.Read(key.Secret)
	keys, err := token.NewKeyset(key.ID, key)
	if err != nil {
		t.Fatal(err)
	}
	data, err := token.MarshalKeyFile(key.ID, key)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "keys.json")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return token.NewIssuer(keys, nil), file
}

// awaitCountdown waits for the match's countdown (or an end) on c.
func awaitCountdown(t *testing.T, c *client.Conn) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev := <-c.Events():
			switch e := ev.(type) {
			case client.Countdown:
				return
			case client.Closed:
				t.Fatalf("closed (%d %s) before the countdown", e.Code, e.Text)
			}
		case <-timeout:
			t.Fatal("no countdown within 10s")
		}
	}
}

// awaitClosed waits for c to close and returns the close code.
func awaitClosed(t *testing.T, c *client.Conn) int {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev := <-c.Events():
			if e, ok := ev.(client.Closed); ok {
				return e.Code
			}
		case <-timeout:
			t.Fatal("still open 10s after the server was killed")
		}
	}
}

// TestPlayersOfAKilledMatchServerMatchOnALiveOne runs two high-density match
// server processes behind a Leaser (the allocator's high density) and its
// HTTP API. Two players match on one; it is killed (SIGKILL) mid-race, so
// nothing of it says goodbye and Agones would take 15 s or more to notice.
// The players ask the allocator again, as the browser does when its
// connection drops: the allocator probes their server, finds it gone, and
// places them together on the live one at once, where they match to a
// winner; new players are not sent to the dead server either.
func TestPlayersOfAKilledMatchServerMatchOnALiveOne(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the game server and runs two processes")
	}
	issuer, keyFile := writeKeyFile(t)
	fc := newFakeCluster(t, "race", 2, 16)
	procs := startMatchServers(t, fc, 2, 16, keyFile)
	// The clock starts at the real time: the game server processes check
	// the tokens' expiry and race_start_by on their own clocks.
	clk := realtimetest.NewFakeClock(time.Now())
	reg := prometheus.NewRegistry()
	prober, err := reach.New(reach.Config{Now: clk.Now}, reg)
	if err != nil {
		t.Fatal(err)
	}
	l := newTestLeaser(t, fc, "alloc-a", 16, clk, func(c *LeaseConfig) { c.Probe = prober; c.LowWater = 1 })
	svc, err := api.New(api.Config{
		Backend: l, Issuer: issuer, GuestTTL: time.Hour, SessionTTL: time.Minute,
		GuestRate: 100, GuestBurst: 100, MatchRate: 100, MatchBurst: 100, Registry: prometheus.NewRegistry(),
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(svc)
	t.Cleanup(srv.Close)
	alloc, err := client.New(srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	guest := func() client.Guest {
		g, err := alloc.Guest(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	match := func(g client.Guest) client.Match {
		m, err := alloc.Match(t.Context(), g.GuestToken, 1)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	dial := func(m client.Match) *client.Conn {
		c, err := client.Dial(t.Context(), m.WSURL, m.PlayerSessionToken, client.DialOptions{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}

	ga, gb := guest(), guest()
	ma, mb := match(ga), match(gb)
	if ma.GameServer != mb.GameServer {
		t.Fatalf("paired on %s and %s, want one server", ma.GameServer, mb.GameServer)
	}
	dead := ma.GameServer
	// The lease's probe of this server (not of the one leased ahead, which
	// counts in the same metric) must have reached it: a server never
	// reached is never judged unreachable. Check waits for that probe, or
	// reuses its answer.
	testwait.Eventually(t, "the lease's probe reaching the server", func() bool {
		return gathered(t, reg, `leapfrog_allocator_server_probes_total{result="reachable"}`) >= 1 &&
			prober.Check(t.Context(), reach.Target{Name: dead, Address: ma.Address, Port: int32(ma.Port)}) == reach.Reachable
	})
	ca, cb := dial(ma), dial(mb)
	for _, c := range []*client.Conn{ca, cb} {
		if err := c.SendSceneReady(); err != nil {
			t.Fatal(err)
		}
	}
	awaitCountdown(t, ca)
	awaitCountdown(t, cb)

	if err := procs[dead].cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	// Reaped, the process has closed every socket, its listener included;
	// before that its players may see their connections drop while a dial
	// of its port still completes.
	_ = procs[dead].cmd.Wait()
	for _, c := range []*client.Conn{ca, cb} {
		if code := awaitClosed(t, c); code != 1006 {
			t.Fatalf("close %d, want 1006: the server died without a word", code)
		}
	}
	// The browser asks again 200 ms after the drop; the probe of the lease
	// is a second old by then in this test's clock, so it is not reused.
	clk.Add(time.Second)
	asked := time.Now()
	ma2 := match(ga)
	mb2 := match(gb)
	took := time.Since(asked)
	if ma2.GameServer == dead || mb2.GameServer == dead {
		t.Fatalf("asking again after the kill: %s and %s, want the live server, not %s\n%s", ma2.GameServer, mb2.GameServer, dead, procs[dead].out.Tail(10))
	}
	if ma2.GameServer != mb2.GameServer {
		t.Fatalf("placed afresh on %s and %s, want one match together", ma2.GameServer, mb2.GameServer)
	}
	if took > 3*time.Second {
		t.Errorf("asking again took %v, want well under 3 s", took)
	}
	t.Logf("figure: both players placed on a live server %v after they asked again", took.Round(time.Millisecond))
	if m := match(guest()); m.GameServer == dead {
		t.Fatalf("a new player sent to the dead server: %+v", m)
	}

	ca2, cb2 := dial(ma2), dial(mb2)
	var wg sync.WaitGroup
	results := make([]string, 2)
	for i, p := range []struct {
		c  *client.Conn
		id string
	}{{ca2, ga.PlayerID}, {cb2, gb.PlayerID}} {
		wg.Go(func() {
			res, err := clienttest.HopToTheEnd(p.c, p.id, true, 20*time.Second)
			if err != nil {
				t.Error(err)
				return
			}
			results[i] = res.GetWinnerPlayerId()
		})
	}
	wg.Wait()
	if results[0] == "" || results[0] != results[1] {
		t.Fatalf("winners seen %q, want one winner both agree on", results)
	}
	if n := gathered(t, reg, `leapfrog_allocator_server_probes_total{result="unreachable"}`); n != 1 {
		t.Errorf("%v probes found a server unreachable, want 1 (the second player's ask came after the server left placement)", n)
	}
}
