package app

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"

	"github.com/leapfrog-games/leapfrog/contract/agonesv1"
	"github.com/leapfrog-games/leapfrog/contract/agoneswire"
	"github.com/leapfrog-games/leapfrog/contract/token"
	"github.com/leapfrog-games/leapfrog/gameserver/agonessdk/sdktest"
	"github.com/leapfrog-games/leapfrog/internal/allocator/agones"
	"github.com/leapfrog-games/leapfrog/internal/allocator/backend"
)

type fixedBackend struct{ a backend.Assignment }

func (f fixedBackend) Allocate(context.Context, backend.AllocationRequest) (backend.Assignment, error) {
	return f.a, nil
}

// started runs Run on a 127.0.0.1 port and returns its base URL once it
// serves, and a function that stops it and returns Run's error.
func started(t *testing.T, cfg Config, deps Deps) (string, func() error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deps.Listener = ln
	ready := make(chan struct{})
	var once sync.Once
	deps.Ready = func(net.Addr) { once.Do(func() { close(ready) }) }
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg, deps) }()
	select {
	case <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("Run returned before serving: %v", err)
	}
	stopped := false
	stop := func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		return <-done
	}
	t.Cleanup(func() { _ = stop() })
	return "http://" + ln.Addr().String(), stop
}

func post(t *testing.T, url, bearer, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("POST %s: %d, body: %v", url, resp.StatusCode, err)
	}
	return resp.StatusCode, out
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func guestAndMatch(t *testing.T, base string) map[string]any {
	t.Helper()
	code, g := post(t, base+"/v1/guest", "", "")
	if code != http.StatusCreated {
		t.Fatalf("guest: %d %v", code, g)
	}
	code, m := post(t, base+"/v1/match", g["guest_token"].(string), "{}")
	if code != http.StatusOK {
		t.Fatalf("match: %d %v", code, m)
	}
	return m
}

func TestRunLocal(t *testing.T) {
	var stopped atomic.Bool
	var gotTokens *token.Issuer
	deps := Deps{
		LocalFleet: func(_ context.Context, tokens *token.Issuer, reg prometheus.Registerer, _ *slog.Logger) (backend.Backend, func(), error) {
			gotTokens = tokens
			return fixedBackend{backend.Assignment{GameServer: "local-1", Address: "127.0.0.1", Port: 7001}}, func() { stopped.Store(true) }, nil
		},
		Web: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "frogs") }),
	}
	base, stop := started(t, DefaultConfig(), deps)

	m := guestAndMatch(t, base)
	if m["ws_url"] != "ws://127.0.0.1:7001/ws" || m["game_server"] != "local-1" {
		t.Errorf("match %v", m)
	}
	// The fleet verifies with the allocator's own keys.
	if _, err := gotTokens.VerifyPlayerSession(m["player_session_token"].(string), "local-1"); err != nil {
		t.Errorf("the fleet cannot verify the allocator's tokens: %v", err)
	}
	for path, want := range map[string]string{"/": "frogs", "/healthz": "ok\n", "/readyz": "ok\n"} {
		if code, body := get(t, base+path); code != http.StatusOK || body != want {
			t.Errorf("GET %s: %d %q", path, code, body)
		}
	}
	_, metrics := get(t, base+"/metrics")
	for _, name := range []string{"leapfrog_allocator_allocations_total", "go_goroutines", "process_cpu_seconds_total"} {
		if !strings.Contains(metrics, name) {
			t.Errorf("/metrics lacks %s", name)
		}
	}
	if err := stop(); err != nil {
		t.Errorf("Run: %v", err)
	}
	if !stopped.Load() {
		t.Error("local fleet not stopped")
	}
}

func TestRunLocalWithoutFleet(t *testing.T) {
	if err := Run(t.Context(), DefaultConfig(), Deps{}); !errors.Is(err, ErrNoLocalFleet) {
		t.Errorf("err %v, want ErrNoLocalFleet", err)
	}
}

// fakeKubernetes is an API server on 127.0.0.1 that serves discovery for
// allocation.agones.dev/v1 and allocates every GameServerAllocation.
func fakeKubernetes(t *testing.T, namespace string, down *atomic.Bool) (*rest.Config, *atomic.Int32) {
	t.Helper()
	var creates atomic.Int32
	gv := agonesv1.AllocationGroupVersion.String()
	mux := http.NewServeMux()
	writeJSON := func(w http.ResponseWriter, status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	mux.HandleFunc("GET /api", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, 200, metav1.APIVersions{TypeMeta: metav1.TypeMeta{Kind: "APIVersions"}, Versions: []string{"v1"}})
	})
	mux.HandleFunc("GET /api/v1", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, 200, metav1.APIResourceList{TypeMeta: metav1.TypeMeta{Kind: "APIResourceList"}, GroupVersion: "v1"})
	})
	mux.HandleFunc("GET /apis", func(w http.ResponseWriter, _ *http.Request) {
		v := metav1.GroupVersionForDiscovery{GroupVersion: gv, Version: "v1"}
		gsv := metav1.GroupVersionForDiscovery{GroupVersion: agonesv1.GroupVersion.String(), Version: "v1"}
		writeJSON(w, 200, metav1.APIGroupList{TypeMeta: metav1.TypeMeta{Kind: "APIGroupList", APIVersion: "v1"},
			Groups: []metav1.APIGroup{{Name: agonesv1.AllocationGroupVersion.Group, Versions: []metav1.GroupVersionForDiscovery{v}, PreferredVersion: v},
				{Name: agonesv1.GroupVersion.Group, Versions: []metav1.GroupVersionForDiscovery{gsv}, PreferredVersion: gsv}}})
	})
	mux.HandleFunc("GET /apis/"+gv, func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, 200, metav1.APIResourceList{TypeMeta: metav1.TypeMeta{Kind: "APIResourceList", APIVersion: "v1"}, GroupVersion: gv,
			APIResources: []metav1.APIResource{{Name: "gameserverallocations", Namespaced: true, Kind: "GameServerAllocation", Verbs: []string{"create"}}}})
	})
	mux.HandleFunc("POST /apis/"+gv+"/namespaces/"+namespace+"/gameserverallocations", func(w http.ResponseWriter, r *http.Request) {
		creates.Add(1)
		var gsa agonesv1.GameServerAllocation
		if err := json.NewDecoder(r.Body).Decode(&gsa); err != nil {
			writeJSON(w, 400, map[string]string{"error": err.Error()})
			return
		}
		gsa.Status = agonesv1.GameServerAllocationStatus{
			State: agonesv1.GameServerAllocationAllocated, GameServerName: "leapfrog-race-abc", Address: "10.1.2.3",
			Ports: []agonesv1.GameServerPort{{Name: "default", Port: 7042}},
			Lists: map[string]agonesv1.ListStatus{agoneswire.PlayersList: {Capacity: 2, Values: gsa.Spec.Lists[agoneswire.PlayersList].AddValues}},
		}
		if _, lease := gsa.Spec.Selectors[0].Lists[agoneswire.MatchesList]; lease {
			gsa.Status.Lists = map[string]agonesv1.ListStatus{agoneswire.MatchesList: {Capacity: 8, Values: []string{}}}
		}
		writeJSON(w, 201, &gsa)
	})
	// The high density's watch of the Fleet's GameServers and GameServerSets:
	// none, and no event.
	gsGV := agonesv1.GroupVersion.String()
	mux.HandleFunc("GET /apis/"+gsGV, func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, 200, metav1.APIResourceList{TypeMeta: metav1.TypeMeta{Kind: "APIResourceList", APIVersion: "v1"}, GroupVersion: gsGV,
			APIResources: []metav1.APIResource{
				{Name: "gameservers", Namespaced: true, Kind: "GameServer", Verbs: []string{"get", "list", "watch", "patch"}},
				{Name: "gameserversets", Namespaced: true, Kind: "GameServerSet", Verbs: []string{"get", "list", "watch"}},
			}})
	})
	for resource, kind := range map[string]string{"gameservers": "GameServer", "gameserversets": "GameServerSet"} {
		mux.HandleFunc("GET /apis/"+gsGV+"/namespaces/"+namespace+"/"+resource, func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Query().Get("labelSelector") != agoneswire.FleetLabel+"=leapfrog-race" {
				t.Errorf("%s listed with selector %q", resource, r.URL.Query().Get("labelSelector"))
			}
			if r.URL.Query().Get("watch") == "true" {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(200)
				// The end of the (empty) initial list, for a streaming list.
				_, _ = io.WriteString(w, `{"type":"BOOKMARK","object":{"kind":"`+kind+`","apiVersion":"`+gsGV+
					`","metadata":{"resourceVersion":"1","annotations":{"k8s.io/initial-events-end":"true"}}}}`+"\n")
				w.(http.Flusher).Flush()
				<-r.Context().Done()
				return
			}
			writeJSON(w, 200, map[string]any{"kind": kind + "List", "apiVersion": gsGV, "metadata": map[string]any{"resourceVersion": "1"}, "items": []any{}})
		})
	}
	mux.HandleFunc("PATCH /apis/"+gsGV+"/namespaces/"+namespace+"/gameservers/{name}", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, agonesv1.GameServer{TypeMeta: metav1.TypeMeta{Kind: "GameServer", APIVersion: gsGV},
			ObjectMeta: metav1.ObjectMeta{Name: r.PathValue("name"), Namespace: namespace}})
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Logf("fake Kubernetes: unexpected %s %s", r.Method, r.URL.Path)
		http.NotFound(w, r)
	})
	// down plays an API outage: every request answers 503, as the
	// kube-apiserver does when the aggregated Agones API is unreachable.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down != nil && down.Load() {
			if r.Method == http.MethodPost {
				creates.Add(1)
			}
			writeJSON(w, http.StatusServiceUnavailable, metav1.Status{TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"},
				Status: metav1.StatusFailure, Code: http.StatusServiceUnavailable, Reason: metav1.StatusReasonServiceUnavailable, Message: "the server is currently unable to handle the request"})
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return &rest.Config{Host: srv.URL}, &creates
}

func TestRunAgones(t *testing.T) {
	keyFile := writeKeyFile(t)
	restCfg, creates := fakeKubernetes(t, "games", nil)
	cfg := DefaultConfig()
	cfg.Backend, cfg.Namespace, cfg.KeyFile, cfg.PublicAddress = BackendAgones, "games", keyFile, "192.0.2.1"
	base, stop := started(t, cfg, Deps{RESTConfig: restCfg})

	m := guestAndMatch(t, base)
	if m["ws_url"] != "ws://192.0.2.1:7042/ws" || m["game_server"] != "leapfrog-race-abc" {
		t.Errorf("match %v", m)
	}
	if n := creates.Load(); n != 1 {
		t.Errorf("%d GameServerAllocations created", n)
	}
	keys, err := token.LoadKeyset(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := token.NewIssuer(keys, nil).VerifyPlayerSession(m["player_session_token"].(string), "leapfrog-race-abc"); err != nil {
		t.Errorf("token not signed with the key file: %v", err)
	}
	if err := stop(); err != nil {
		t.Errorf("Run: %v", err)
	}
}

// TestRunAgonesHighDensity: with --races-per-server > 1 the first match leases
// a game server, the next ones are placed in memory, and tokens name matches.
func TestRunAgonesHighDensity(t *testing.T) {
	keyFile := writeKeyFile(t)
	restCfg, creates := fakeKubernetes(t, "games", nil)
	cfg := DefaultConfig()
	cfg.Backend, cfg.Namespace, cfg.KeyFile = BackendAgones, "games", keyFile
	cfg.MatchesPerServer, cfg.ReplicaID = 8, "alloc-0"
	base, stop := started(t, cfg, Deps{RESTConfig: restCfg})

	keys, err := token.LoadKeyset(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	var matches []string
	for range 3 {
		m := guestAndMatch(t, base)
		if m["game_server"] != "leapfrog-race-abc" || m["ws_url"] != "ws://10.1.2.3:7042/ws" {
			t.Fatalf("match %v", m)
		}
		ps, err := token.NewIssuer(keys, nil).VerifyPlayerSession(m["player_session_token"].(string), "leapfrog-race-abc")
		if err != nil || !strings.HasPrefix(ps.Match, agones.MatchPrefix("alloc-0")) {
			t.Fatalf("token %+v, %v: want a match of replica alloc-0", ps, err)
		}
		matches = append(matches, ps.Match)
	}
	if matches[0] != matches[1] || matches[2] == matches[0] {
		t.Errorf("matches %v: want two players in the first, the third in a new one", matches)
	}
	if n := creates.Load(); n != 1 {
		t.Errorf("%d GameServerAllocations for three matches, want 1 (the lease)", n)
	}
	if err := stop(); err != nil {
		t.Errorf("Run: %v", err)
	}
}

// TestHighDensityAPIOutage: with the API down, a replica that holds leases
// stays ready and goes on placing matches on them until its renewals are
// 2 x renew old; then it answers 503 and is no longer ready.
func TestHighDensityAPIOutage(t *testing.T) {
	keyFile := writeKeyFile(t)
	var down atomic.Bool
	restCfg, creates := fakeKubernetes(t, "games", &down)
	clk := sdktest.NewFakeClock(time.Now())
	cfg := DefaultConfig()
	cfg.Backend, cfg.Namespace, cfg.KeyFile = BackendAgones, "games", keyFile
	cfg.MatchesPerServer, cfg.ReplicaID = 8, "alloc-0"
	base, _ := started(t, cfg, Deps{RESTConfig: restCfg, Now: clk.Now})
	guestAndMatch(t, base) // the lease

	down.Store(true)
	clk.Advance(readyCacheTTL)
	if code, body := get(t, base+"/readyz"); code != http.StatusOK {
		t.Fatalf("/readyz with leases and the API down: %d %s", code, body)
	}
	before := creates.Load()
	for range 4 {
		guestAndMatch(t, base)
	}
	if n := creates.Load() - before; n != 0 {
		t.Errorf("%d allocations for matches on a lease", n)
	}

	clk.Advance(2 * cfg.LeaseRenew)
	if code, body := get(t, base+"/readyz"); code != http.StatusServiceUnavailable {
		t.Fatalf("/readyz with leases not renewed for 2 x renew: %d %s", code, body)
	}
	code, g := post(t, base+"/v1/guest", "", "")
	if code != http.StatusCreated {
		t.Fatalf("guest: %d %v", code, g)
	}
	if code, m := post(t, base+"/v1/match", g["guest_token"].(string), "{}"); code != http.StatusServiceUnavailable {
		t.Fatalf("match on leases not renewed, the API down: %d %v", code, m)
	}
}

// TestAgonesAPIOutage: with the API down, /readyz fails and a match answers
// 503 unavailable with Retry-After (never 500) at once, without trying the
// API it knows is down (allocator/agones tests the retries of an allocation
// that meets the outage); both recover when the API is back, without a
// restart.
func TestAgonesAPIOutage(t *testing.T) {
	keyFile := writeKeyFile(t)
	var down atomic.Bool
	restCfg, creates := fakeKubernetes(t, "games", &down)
	clk := sdktest.NewFakeClock(time.Now())
	cfg := DefaultConfig()
	cfg.Backend, cfg.Namespace, cfg.KeyFile = BackendAgones, "games", keyFile
	base, _ := started(t, cfg, Deps{RESTConfig: restCfg, Now: clk.Now})

	if code, body := get(t, base+"/readyz"); code != http.StatusOK {
		t.Fatalf("/readyz with the API up: %d %s", code, body)
	}
	guestAndMatch(t, base)
	before := creates.Load()
	down.Store(true)
	clk.Advance(readyCacheTTL)
	if code, body := get(t, base+"/readyz"); code != http.StatusServiceUnavailable {
		t.Fatalf("/readyz with the API down: %d %s", code, body)
	}
	code, g := post(t, base+"/v1/guest", "", "")
	if code != http.StatusCreated {
		t.Fatalf("guest: %d %v", code, g)
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, base+"/v1/match", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+g["guest_token"].(string))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var e struct {
		Error struct{ Code, Message string }
	}
	_ = json.NewDecoder(resp.Body).Decode(&e)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || e.Error.Code != "unavailable" || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("match with the API down: %d %+v Retry-After %q", resp.StatusCode, e, resp.Header.Get("Retry-After"))
	}
	if n := creates.Load() - before; n != 0 {
		t.Errorf("%d creates with the API known down, want none: the match fails fast", n)
	}

	down.Store(false)
	clk.Advance(readyCacheTTL)
	if code, body := get(t, base+"/readyz"); code != http.StatusOK {
		t.Fatalf("/readyz after the API came back: %d %s", code, body)
	}
	guestAndMatch(t, base)
}

func writeKeyFile(t *testing.T) string {
	t.Helper()
	keyFile := filepath.Join(t.TempDir(), "keys.json")
	data, err := token.MarshalKeyFile("k1", token.Key{ID: "k1", Secret: []byte(strings.Repeat("s", token.MinSecretBytes))})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return keyFile
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Config)
		ok   bool
	}{
		{"defaults", func(*Config) {}, true},
		{"agones with a key file", func(c *Config) { c.Backend, c.KeyFile = BackendAgones, "/k.json" }, true},
		{"agones without a key file", func(c *Config) { c.Backend = BackendAgones }, false},
		{"agones without a fleet", func(c *Config) { c.Backend, c.KeyFile, c.Fleet = BackendAgones, "/k.json", "" }, false},
		{"unknown backend", func(c *Config) { c.Backend = "gamelift" }, false},
		{"listen without a port", func(c *Config) { c.Listen = "127.0.0.1" }, false},
		{"zero session ttl", func(c *Config) { c.SessionTTL = 0 }, false},
		{"zero match rate", func(c *Config) { c.MatchRate = 0 }, false},
		{"zero guest burst", func(c *Config) { c.GuestBurst = 0 }, false},
		{"bad log level", func(c *Config) { c.LogLevel = "chatty" }, false},
		{"negative guest ttl", func(c *Config) { c.GuestTTL = -time.Hour }, false},
		{"negative place hold", func(c *Config) { c.PlaceHold = -time.Second }, false},
		{"zero places per IP", func(c *Config) { c.MaxPlacesPerIP = 0 }, false},
		{"negative places per IP", func(c *Config) { c.MaxPlacesPerIP = -1 }, false},
		{"negative conns per IP", func(c *Config) { c.MaxConnsPerIP = -5 }, false},
		{"per-IP conns above the total", func(c *Config) { c.MaxConnsPerIP, c.MaxConns = 10, 5 }, false},
		{"negative guest rate", func(c *Config) { c.GuestRate = -1 }, false},
		{"high density", func(c *Config) { c.Backend, c.KeyFile, c.MatchesPerServer = BackendAgones, "/k.json", 100 }, true},
		{"high density on the local backend", func(c *Config) { c.MatchesPerServer = 4 }, false},
		{"no match per server", func(c *Config) { c.MatchesPerServer = 0 }, false},
		{"more matches than an Agones list holds", func(c *Config) { c.Backend, c.KeyFile, c.MatchesPerServer = BackendAgones, "/k.json", 1001 }, false},
		{"zero lease renew", func(c *Config) { c.LeaseRenew = 0 }, false},
		{"negative low water", func(c *Config) { c.LeaseLowWater = -1 }, false},
		{"no players", func(c *Config) { c.Players = 0 }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			tt.edit(&c)
			if err := c.Validate(); (err == nil) != tt.ok {
				t.Errorf("Validate() = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

func TestReplicaID(t *testing.T) {
	host, err := os.Hostname()
	if err != nil {
		t.Skip("no host name here")
	}
	for _, tc := range []struct{ flag, env, want string }{
		{"alloc-7", "leapfrog-allocator-abc", "alloc-7"},
		{"", "leapfrog-allocator-abc", "leapfrog-allocator-abc"},
		{"", "", host},
	} {
		t.Setenv("POD_NAME", tc.env)
		c := DefaultConfig()
		c.ReplicaID = tc.flag
		if got, err := c.replicaID(); err != nil || got != tc.want {
			t.Errorf("flag %q, POD_NAME %q: %q, %v; want %q", tc.flag, tc.env, got, err, tc.want)
		}
	}
}
