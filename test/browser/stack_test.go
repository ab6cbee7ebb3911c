package browser

import (
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/leapfrog-games/leapfrog/contract/agoneswire"
	"github.com/leapfrog-games/leapfrog/contract/token"
	"github.com/leapfrog-games/leapfrog/gameserver/agonessdk"
	"github.com/leapfrog-games/leapfrog/gameserver/agonessdk/sdktest"
	"github.com/leapfrog-games/leapfrog/internal/allocator/api"
	"github.com/leapfrog-games/leapfrog/internal/allocator/backend"
	"github.com/leapfrog-games/leapfrog/internal/allocator/webui"
)

// fastRules make a race last seconds: five hops of 400 ms after a half-second countdown.
var fastRules = []string{"--hop-duration=400ms", "--countdown=500ms", "--reconnect-grace=3s"}

// localStack is the allocator in local mode: the page, the API and an embedded fleet of race servers.
type localStack struct {
	url       string // the page
	allocator *process
}

// startLocalStack starts the allocator listening on addr (host:0 for any free port).
func startLocalStack(t *testing.T, addr string) *localStack {
	t.Helper()
	args := append([]string{"--listen=" + addr, "--backend=local", "--log-level=info",
		"--local-buffer=2", "--local-min=2", "--local-max=6", "--max-places-per-ip=1000"}, fastRules...)
	p := startProcess(t, "allocator", allocatorBin, args...)
	addr, _ = p.waitLog(t, "allocator starting")["listen"].(string)
	if addr == "" {
		t.Fatal("the allocator logged no listen address")
	}
	s := &localStack{url: "http://" + addr + "/", allocator: p}
	waitServing(t, s.url+"healthz")
	return s
}

// waitServing waits until url answers 200; the allocator listens before its fleet is up and serves
// only after.
func waitServing(t *testing.T, url string) {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	deadline := time.Now().Add(waitTimeout)
	for {
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
			err = fmt.Errorf("status %s", resp.Status)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never answered 200: %v", url, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// podStack is one Agones game server played out on this machine, so that its race server is a
// process of its own that a test can kill: the race-server command next to the fake SDK sidecar,
// and the allocator's API and page served by the test with a backend that knows only that server.
type podStack struct {
	url        string // the page and the API
	raceServer *process
	gameServer *agonessdk.Memory // the GameServer as Agones sees it
}

func startPodStack(t *testing.T, rules ...string) *podStack {
	t.Helper()
	// One key file for both sides: the API signs player session tokens, the race server verifies them.
	secret := make([]byte, 32)
	rand.Read(secret)
	data, err := token.MarshalKeyFile("k1", token.Key{ID: "k1", Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "keys.json")
	if err := os.WriteFile(keyFile, data, 0o600); err != nil {
		t.Fatal(err)
	}
	keys, err := token.LoadKeyset(keyFile)
	if err != nil {
		t.Fatal(err)
	}

	sidecar, gs := sdktest.Start(t, agonessdk.MemoryConfig{
		Name: "leapfrog-race-browser", Address: "127.0.0.1",
		Lists: map[string]agonessdk.List{agoneswire.PlayersList: {Capacity: 2}},
	})
	sidecarURL, err := url.Parse(sidecar.URL)
	if err != nil {
		t.Fatal(err)
	}
	args := append([]string{"--listen=127.0.0.1:0", "--admin-listen=127.0.0.1:0", "--key-file=" + keyFile,
		"--sdk-http-port=" + sidecarURL.Port(), "--log-level=info"}, rules...)
	rs := startProcess(t, "race-server", raceServerBin, args...)
	listen, _ := rs.waitLog(t, "race server starting")["listen"].(string)
	_, portText, err := net.SplitHostPort(listen)
	if err != nil {
		t.Fatalf("race server listen address %q: %v", listen, err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(waitTimeout); gs.Snapshot().Status.State != agoneswire.StateReady; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the race server never became Ready (state %s)", gs.Snapshot().Status.State)
		}
	}

	svc, err := api.New(api.Config{
		Backend: oneServer{gs: gs, port: int32(port)}, Issuer: token.NewIssuer(keys, nil),
		GuestTTL: time.Hour, SessionTTL: time.Minute,
		GuestRate: 100, GuestBurst: 100, MatchRate: 100, MatchBurst: 100,
		Registry: prometheus.NewRegistry(), Web: webui.Handler(),
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(svc)
	t.Cleanup(srv.Close)
	return &podStack{url: srv.URL + "/", raceServer: rs, gameServer: gs}
}

// oneServer is a fleet of one game server: an allocation lands on it as a GameServerAllocation would
// (Ready or Allocated, the players added to its list), or finds no capacity.
type oneServer struct {
	gs   *agonessdk.Memory
	port int32
}

var _ backend.Backend = oneServer{}

func (b oneServer) Allocate(_ context.Context, req backend.AllocationRequest) (backend.Assignment, error) {
	gs, err := b.gs.ClusterAllocate(req.PlayerIDs)
	if err != nil {
		return backend.Assignment{}, fmt.Errorf("%w: %w", backend.ErrNoCapacity, err)
	}
	if !gs.Status.Lists[agoneswire.PlayersList].Contains(req.PlayerIDs[0]) {
		return backend.Assignment{}, fmt.Errorf("%w: %s is full", backend.ErrNoCapacity, gs.ObjectMeta.Name)
	}
	return backend.Assignment{GameServer: gs.ObjectMeta.Name, Address: "127.0.0.1", Port: b.port}, nil
}
