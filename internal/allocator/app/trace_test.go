package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/leapfrog-games/leapfrog/contract/token"
	"github.com/leapfrog-games/leapfrog/gameserver/agonessdk/sdktest"
	"github.com/leapfrog-games/leapfrog/internal/allocator/backend"
	"github.com/leapfrog-games/leapfrog/internal/allocator/local"
	"github.com/leapfrog-games/leapfrog/internal/gameserver/raceserver"
	"github.com/leapfrog-games/leapfrog/internal/tracing/tracingtest"
)

// A client's trace: its traceparent header names the trace and the span
// the allocator's server span continues.
const (
	clientTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
	clientSpan  = "00f067aa0ba902b7"
)

// noOTelEnv clears the variables that would turn tracing on or shape it,
// so that only the test's configuration counts.
func noOTelEnv(t *testing.T) {
	for _, k := range []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_SDK_DISABLED",
		"OTEL_TRACES_SAMPLER", "OTEL_TRACES_SAMPLER_ARG", "OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES", "LEAPFROG_OTLP_ENDPOINT"} {
		t.Setenv(k, "")
	}
}

// match asks for a place for a new guest, with header traceparent if not
// empty, and returns the status code.
func match(t *testing.T, base, traceparent string) int {
	t.Helper()
	code, g := post(t, base+"/v1/guest", "", "")
	if code != http.StatusCreated {
		t.Fatalf("guest: %d %v", code, g)
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, base+"/v1/match", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+g["guest_token"].(string))
	if traceparent != "" {
		req.Header.Set("traceparent", traceparent)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// tree is a span and its children by name, for assertions on a trace.
type tree struct {
	tracingtest.Span
	children map[string][]tree
}

func buildTree(c *tracingtest.Collector, s tracingtest.Span) tree {
	n := tree{Span: s, children: map[string][]tree{}}
	for _, ch := range c.Children(s) {
		n.children[ch.Name] = append(n.children[ch.Name], buildTree(c, ch))
	}
	return n
}

// child returns the only child of that name.
func (n tree) child(t *testing.T, name string) tree {
	t.Helper()
	cs := n.children[name]
	if len(cs) != 1 {
		t.Fatalf("span %q has %d children %q, want 1 (children: %v)", n.Name, len(cs), name, n.names())
	}
	return cs[0]
}

func (n tree) names() []string {
	var out []string
	for name := range n.children {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

// want checks attributes of a span.
func (n tree) want(t *testing.T, attrs map[string]string) {
	t.Helper()
	for k, v := range attrs {
		if got, ok := n.Attrs[k]; !ok || got != v {
			t.Errorf("span %q: %s = %q (set %v), want %q", n.Name, k, got, ok, v)
		}
	}
}

// matchTraces returns the trees of the POST /v1/match spans, in the order
// they were received.
func matchTraces(t *testing.T, c *tracingtest.Collector) []tree {
	t.Helper()
	var out []tree
	for _, s := range c.Named("POST /v1/match") {
		out = append(out, buildTree(c, s))
	}
	return out
}

// noPlayerData fails if any span carries a player id or a token.
func noPlayerData(t *testing.T, c *tracingtest.Collector) {
	t.Helper()
	for _, s := range c.Spans() {
		for k, v := range s.Attrs {
			if strings.HasPrefix(v, "eyJ") || strings.Contains(strings.ToLower(k), "player") || strings.Contains(strings.ToLower(k), "token") {
				t.Errorf("span %q carries %s = %q: no player ids or tokens in traces", s.Name, k, v)
			}
		}
	}
}

func localFleet(ctx context.Context, tokens *token.Issuer, reg prometheus.Registerer, logger *slog.Logger) (backend.Backend, func(), error) {
	f, err := local.NewFleet(ctx, local.Config{Host: "127.0.0.1", BufferSize: 1, MaxReplicas: 2, Game: raceserver.DefaultGameOptions(), Tokens: tokens}, reg, logger)
	if err != nil {
		return nil, nil, err
	}
	return f, f.Close, nil
}

// TestTracesLocal: matches served by the embedded fleet, traced to an
// OTLP/HTTP collector; a client's sampled traceparent is continued, an
// unsampled one is not recorded; spans are flushed on shutdown.
func TestTracesLocal(t *testing.T) {
	noOTelEnv(t)
	t.Setenv("OTEL_SERVICE_NAME", "allocator-under-test")
	collector := tracingtest.NewCollector(t)
	cfg := DefaultConfig()
	cfg.OTLPEndpoint = collector.URL
	base, stop := started(t, cfg, Deps{LocalFleet: localFleet})

	for _, tp := range []string{"", "00-" + clientTrace + "-" + clientSpan + "-01", "00-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-" + clientSpan + "-00"} {
		if code := match(t, base, tp); code != http.StatusOK {
			t.Fatalf("match with traceparent %q: %d", tp, code)
		}
	}
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if collector.Requests() == 0 {
		t.Fatal("no spans exported by shutdown")
	}
	traces := matchTraces(t, collector)
	if len(traces) != 2 {
		t.Fatalf("%d match traces, want 2: the unsampled client's match is not recorded", len(traces))
	}
	for i, m := range traces {
		if m.Kind != tracepb.Span_SPAN_KIND_SERVER || m.Status == tracepb.Status_STATUS_CODE_ERROR {
			t.Errorf("match span kind %v status %v", m.Kind, m.Status)
		}
		m.want(t, map[string]string{"http.request.method": "POST", "http.route": "/v1/match", "url.path": "/v1/match",
			"http.response.status_code": "200", "url.scheme": "http"})
		if m.Resource["service.name"] != "allocator-under-test" {
			t.Errorf("service.name %q: OTEL_SERVICE_NAME not honoured", m.Resource["service.name"])
		}
		alloc := m.child(t, "allocate")
		// The second player joins the first's match: waiting players meet.
		result := map[int]string{0: "created", 1: "joined"}[i]
		alloc.want(t, map[string]string{"leapfrog.allocation.mode": "local", "leapfrog.allocation.result": result, "leapfrog.seats": "1"})
		if alloc.Attrs["leapfrog.game_server"] == "" {
			t.Error("allocate span names no game server")
		}
		m.child(t, "mint tokens").want(t, map[string]string{"leapfrog.seats": "1"})
		if i == 1 && (m.TraceID != clientTrace || m.ParentID != clientSpan) {
			t.Errorf("match with a client's traceparent: trace %s parent %s, want %s %s", m.TraceID, m.ParentID, clientTrace, clientSpan)
		}
		if i == 0 && m.ParentID != "" {
			t.Errorf("match without traceparent has parent %s", m.ParentID)
		}
	}
	if n := len(collector.Named("POST /v1/guest")); n != 3 {
		t.Errorf("%d guest spans, want 3 (no client sent a traceparent there)", n)
	}
	noPlayerData(t, collector)
}

// TestTracesOff: without an endpoint nothing is exported, even with a
// collector listening and clients sending traceparent.
func TestTracesOff(t *testing.T) {
	noOTelEnv(t)
	collector := tracingtest.NewCollector(t)
	// The collector is there, but nothing names it.
	base, stop := started(t, DefaultConfig(), Deps{LocalFleet: localFleet})
	if code := match(t, base, "00-"+clientTrace+"-"+clientSpan+"-01"); code != http.StatusOK {
		t.Fatalf("match: %d", code)
	}
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if n := collector.Requests(); n != 0 {
		t.Errorf("%d exports with tracing off", n)
	}
}

// TestTracesAgones: one match per game server, against a fake Kubernetes
// API: the match's allocate span holds the GameServerAllocation's client
// span; with the API down the match is a 503 and its spans are errors.
func TestTracesAgones(t *testing.T) {
	noOTelEnv(t)
	collector := tracingtest.NewCollector(t)
	keyFile := writeKeyFile(t)
	var down atomic.Bool
	restCfg, _ := fakeKubernetes(t, "games", &down)
	clk := sdktest.NewFakeClock(time.Now())
	cfg := DefaultConfig()
	cfg.Backend, cfg.Namespace, cfg.KeyFile, cfg.OTLPEndpoint = BackendAgones, "games", keyFile, collector.URL+"/"
	base, stop := started(t, cfg, Deps{RESTConfig: restCfg, Now: clk.Now})

	if code := match(t, base, ""); code != http.StatusOK {
		t.Fatalf("match: %d", code)
	}
	down.Store(true)
	clk.Advance(readyCacheTTL)
	if code, _ := get(t, base+"/readyz"); code != http.StatusServiceUnavailable {
		t.Fatalf("/readyz with the API down: %d", code)
	}
	if code := match(t, base, ""); code != http.StatusServiceUnavailable {
		t.Fatalf("match with the API down: %d, want 503", code)
	}
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	traces := matchTraces(t, collector)
	if len(traces) != 2 {
		t.Fatalf("%d match traces, want 2", len(traces))
	}
	ok, refused := traces[0], traces[1]
	alloc := ok.child(t, "allocate")
	alloc.want(t, map[string]string{"leapfrog.allocation.mode": "one-race", "leapfrog.allocation.result": "created",
		"leapfrog.game_server": "leapfrog-race-abc"})
	gsa := alloc.child(t, "create GameServerAllocation")
	if gsa.Kind != tracepb.Span_SPAN_KIND_CLIENT {
		t.Errorf("GameServerAllocation span kind %v, want client", gsa.Kind)
	}
	gsa.want(t, map[string]string{"agones.allocation.outcome": "Allocated", "k8s.namespace.name": "games",
		"agones.fleet.name": "leapfrog-race", "agones.gameserver.name": "leapfrog-race-abc"})
	ok.child(t, "mint tokens")

	refused.want(t, map[string]string{"http.response.status_code": "503", "error.type": "503", "leapfrog.error.code": "unavailable"})
	if refused.Status != tracepb.Status_STATUS_CODE_ERROR {
		t.Errorf("503 match span status %v, want error", refused.Status)
	}
	failed := refused.child(t, "allocate")
	failed.want(t, map[string]string{"leapfrog.allocation.result": "unavailable"})
	if failed.Status != tracepb.Status_STATUS_CODE_ERROR || !slices.Contains(failed.Events, "exception") {
		t.Errorf("allocate span of the 503: status %v events %v, want the error recorded", failed.Status, failed.Events)
	}
	if _, minted := refused.children["mint tokens"]; minted {
		t.Error("tokens minted for a refused match")
	}
	noPlayerData(t, collector)
}

// TestTracesHighDensity: matches placed in memory on the game server the
// replica leased at start: the allocate span holds the placement, with no
// Kubernetes call.
func TestTracesHighDensity(t *testing.T) {
	noOTelEnv(t)
	collector := tracingtest.NewCollector(t)
	keyFile := writeKeyFile(t)
	restCfg, _ := fakeKubernetes(t, "games", nil)
	cfg := DefaultConfig()
	cfg.Backend, cfg.Namespace, cfg.KeyFile, cfg.OTLPEndpoint = BackendAgones, "games", keyFile, collector.URL
	cfg.MatchesPerServer, cfg.ReplicaID = 8, "alloc-0"
	base, stop := started(t, cfg, Deps{RESTConfig: restCfg})
	for range 2 {
		if code := match(t, base, ""); code != http.StatusOK {
			t.Fatalf("match: %d", code)
		}
	}
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	traces := matchTraces(t, collector)
	if len(traces) != 2 {
		t.Fatalf("%d match traces, want 2", len(traces))
	}
	for i, result := range []string{"created", "joined"} {
		alloc := traces[i].child(t, "allocate")
		alloc.want(t, map[string]string{"leapfrog.allocation.mode": "high-density", "leapfrog.allocation.result": result})
		places := alloc.children["place"]
		if wait, waited := alloc.children["wait for lease"]; waited {
			// The first match came before the lease of the start had
			// ended: none free, a wait, then placed.
			if i != 0 || len(places) != 2 || places[0].Status != tracepb.Status_STATUS_CODE_ERROR || wait[0].Status == tracepb.Status_STATUS_CODE_ERROR {
				t.Fatalf("match %d waited for a lease: %d place spans (want a failed one, then one), wait status %v", i, len(places), wait[0].Status)
			}
			// A lease this match started is its child; one started at
			// start-up belongs to no match.
			for _, l := range wait[0].children["lease"] {
				l.child(t, "create GameServerAllocation").want(t, map[string]string{"agones.allocation.outcome": "Allocated"})
			}
			places = places[1:]
		}
		if len(places) != 1 {
			t.Fatalf("match %d: %d place spans", i, len(places))
		}
		tree{Span: places[0].Span}.want(t, map[string]string{"leapfrog.joined": fmt.Sprint(i == 1), "leapfrog.again": "false",
			"agones.gameserver.name": "leapfrog-race-abc"})
		if _, called := alloc.children["create GameServerAllocation"]; called {
			t.Errorf("match %d called Kubernetes", i)
		}
		traces[i].child(t, "mint tokens")
	}
	noPlayerData(t, collector)
}
