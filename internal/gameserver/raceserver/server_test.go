package raceserver

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leapfrog-games/leapfrog/contract/agoneswire"
	"github.com/leapfrog-games/leapfrog/contract/token"

	"github.com/leapfrog-games/leapfrog/gameserver/agonessdk"
	"github.com/leapfrog-games/leapfrog/gameserver/agonessdk/sdktest"
	"github.com/leapfrog-games/leapfrog/internal/buildtest"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Options)
		ok     bool
	}{
		{"defaults", func(*Options) {}, true},
		{"reuse", func(o *Options) { o.AfterSession = "ready" }, true},
		{"bad after-race", func(o *Options) { o.AfterSession = "restart" }, false},
		{"bad port", func(o *Options) { o.SDKHTTPPort = 0 }, false},
		{"bad level", func(o *Options) { o.LogLevel = "loud" }, false},
		{"bad rules", func(o *Options) { o.Game.Rules.HopDistance = 0 }, false},
		{"bad tick rate", func(o *Options) { o.Game.TickRate = 0 }, false},
		{"no drain", func(o *Options) { o.DrainGrace = 0 }, false},
		{"negative drain", func(o *Options) { o.DrainGrace = -time.Second }, false},
		{"negative no-show", func(o *Options) { o.Game.NoShowTimeout = -time.Second }, false},
		{"negative countdown", func(o *Options) { o.Game.Rules.Countdown = -time.Second }, false},
		{"no lobby deadline", func(o *Options) { o.Game.Rules.LobbyTimeout = 0 }, false},
		{"negative race deadline", func(o *Options) { o.Game.Rules.Timeout = -time.Minute }, false},
		{"many races", func(o *Options) { o.RacesPerServer = 8000 }, true},
		{"no races", func(o *Options) { o.RacesPerServer = 0 }, false},
		{"too many races", func(o *Options) { o.RacesPerServer = 10001 }, false},
		{"leases never lapse", func(o *Options) { o.LeaseTTL = 0 }, true},
		{"negative lease", func(o *Options) { o.LeaseTTL = -time.Second }, false},
		{"recycled many races", func(o *Options) { o.RacesPerServer, o.MaxRaces, o.MaxAge = 100, 10000, time.Hour }, true},
		{"recycling one race", func(o *Options) { o.MaxRaces = 5 }, false},
		{"aging one race", func(o *Options) { o.MaxAge = time.Hour }, false},
		{"negative max races", func(o *Options) { o.RacesPerServer, o.MaxRaces = 100, -1 }, false},
		{"negative max age", func(o *Options) { o.RacesPerServer, o.MaxAge = 100, -time.Hour }, false},
		{"negative connections", func(o *Options) { o.MaxConnections = -1 }, false},
		{"negative connections per ip", func(o *Options) { o.MaxConnectionsPerIP = -1 }, false},
		{"tls", func(o *Options) { o.TLS = TLSOptions{CertFile: "c.pem", KeyFile: "k.pem"} }, true},
		{"tls with a CA", func(o *Options) { o.TLS = TLSOptions{CertFile: "c.pem", KeyFile: "k.pem", CAFile: "ca.pem"} }, true},
		{"tls without a key", func(o *Options) { o.TLS = TLSOptions{CertFile: "c.pem"} }, false},
		{"tls key alone", func(o *Options) { o.TLS = TLSOptions{KeyFile: "k.pem"} }, false},
		{"tls CA alone", func(o *Options) { o.TLS = TLSOptions{CAFile: "ca.pem"} }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := DefaultOptions()
			tt.change(&o)
			if err := o.Validate(); (err == nil) != tt.ok {
				t.Errorf("Validate() = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

// A server's max age gets up to a tenth more, never less, and not the same
// tenth for every server.
func TestJitterSpreadsMaxAge(t *testing.T) {
	const age = time.Hour
	seen := map[time.Duration]bool{}
	for range 50 {
		d := jitter(age)
		if d < age || d >= age+age/10 {
			t.Fatalf("jitter(%v) = %v, want in [%v, %v)", age, d, age, age+age/10)
		}
		seen[d] = true
	}
	if len(seen) < 2 {
		t.Errorf("50 jittered ages all equal: %v", seen)
	}
	if got := jitter(0); got != 0 {
		t.Errorf("jitter(0) = %v, want 0 (no limit stays no limit)", got)
	}
}

// freeAddr is a loopback address nothing listens on (for now).
var freeAddr = buildtest.FreeAddr

// TestRunServesAdminEndpointsAndStopsCleanly runs the whole process wiring
// against the fake sidecar: Ready, probes, metrics, then a clean stop.
func TestRunServesAdminEndpointsAndStopsCleanly(t *testing.T) {
	p := startProcess(t)
	mem, get, cancel, done := p.mem, p.get, p.cancel, p.done
	if st := mem.Snapshot().Status.State; st != agoneswire.StateReady {
		t.Errorf("state = %s, want Ready", st)
	}
	if code, body := get("/metrics"); code != http.StatusOK || !strings.Contains(body, "leapfrog_realtime_sessions_active") || !strings.Contains(body, "go_goroutines") {
		t.Errorf("/metrics: %d, missing the expected metrics", code)
	}
	if code, _ := get("/healthz"); code != http.StatusOK {
		t.Errorf("/healthz = %d", code)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run = %v, want a clean stop", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after the stop")
	}
}

// process is the race server's Run against the fake sidecar, Ready.
type process struct {
	opts   Options
	mem    *agonessdk.Memory
	keys   *token.Keyset
	get    func(path string) (int, string)
	cancel context.CancelFunc
	done   chan error
}

func startProcess(t *testing.T) *process {
	t.Helper()
	p, err := startProcessWith(t, map[string]agonessdk.List{agoneswire.PlayersList: {Capacity: 2}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// startProcessWith runs the process with opts changed by tweak (if not nil)
// for a GameServer with lists; an error is Run's, returned before Ready.
func startProcessWith(t *testing.T, lists map[string]agonessdk.List, tweak func(*Options)) (*process, error) {
	t.Helper()
	sidecar, mem := sdktest.Start(t, agonessdk.MemoryConfig{Name: "race-x", Lists: lists})
	file := filepath.Join(t.TempDir(), "keys.json")
	key := token.Key{ID: "k", Secret: []byte(strings.Repeat("s", 32))}
	data, _ := token.MarshalKeyFile("k", key)
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	keys, err := token.NewKeyset("k", key)
	if err != nil {
		t.Fatal(err)
	}
	o := DefaultOptions()
	o.Listen, o.AdminListen, o.KeyFile = freeAddr(t), freeAddr(t), file
	o.SDKHTTPPort, _ = strconv.Atoi(sidecar.URL[strings.LastIndex(sidecar.URL, ":")+1:])
	if tweak != nil {
		tweak(&o)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, o, slog.New(slog.DiscardHandler)) }()

	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + o.AdminListen + path)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	deadline := time.Now().Add(20 * time.Second)
	for code, _ := get("/readyz"); code != http.StatusOK; code, _ = get("/readyz") {
		select {
		case err := <-done:
			cancel()
			return nil, err
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz never became 200 (state %s)", mem.Snapshot().Status.State)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return &process{opts: o, mem: mem, keys: keys, get: get, cancel: cancel, done: done}, nil
}

func TestManyRacesPerServer(t *testing.T) {
	many := func(o *Options) { o.RacesPerServer = 4 }
	if _, err := startProcessWith(t, map[string]agonessdk.List{agoneswire.PlayersList: {Capacity: 2}}, many); err == nil ||
		!strings.Contains(err.Error(), "lists.races.capacity 4") {
		t.Fatalf("without a races list: %v, want an error naming the list to add", err)
	}
	p, err := startProcessWith(t, map[string]agonessdk.List{agoneswire.MatchesList: {Capacity: 4}}, many)
	if err != nil {
		t.Fatal(err)
	}
	if code, body := p.get("/metrics"); code != http.StatusOK || !strings.Contains(body, "leapfrog_host_races_running 0") {
		t.Errorf("/metrics: %d, missing leapfrog_host_races_running", code)
	}
	p.cancel()
	if err := <-p.done; err != nil {
		t.Fatalf("Run = %v, want a clean stop", err)
	}
}
