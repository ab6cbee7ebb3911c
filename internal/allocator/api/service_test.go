package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/leapfrog-games/leapfrog/contract/matchapi"
	"github.com/leapfrog-games/leapfrog/contract/token"
	"github.com/leapfrog-games/leapfrog/internal/allocator/backend"
)

// fakeBackend places each player on a game server of its own and, like the
// real backends, gives a player the same game server again while it holds a
// reservation. It records every request.
type fakeBackend struct {
	mu       sync.Mutex
	err      error // returned by every call when set
	result   *backend.Assignment
	byPlayer map[string]backend.Assignment
	calls    []backend.AllocationRequest
}

func (f *fakeBackend) Allocate(ctx context.Context, req backend.AllocationRequest) (backend.Assignment, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, backend.AllocationRequest{PlayerIDs: append([]string(nil), req.PlayerIDs...)})
	if f.err != nil {
		return backend.Assignment{}, f.err
	}
	if f.result != nil {
		return *f.result, nil
	}
	if f.byPlayer == nil {
		f.byPlayer = make(map[string]backend.Assignment)
	}
	if a, ok := f.byPlayer[req.PlayerIDs[0]]; ok {
		a.Joined = true
		return a, nil
	}
	n := len(f.byPlayer) + 1
	a := backend.Assignment{GameServer: fmt.Sprintf("race-%d", n), Address: "127.0.0.1", Port: int32(7000 + n)}
	f.byPlayer[req.PlayerIDs[0]] = a
	return a, nil
}

func (f *fakeBackend) recorded() []backend.AllocationRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]backend.AllocationRequest(nil), f.calls...)
}

// clock is a settable clock for tokens and rate limits.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type fixture struct {
	svc     *Service
	url     string
	backend *fakeBackend
	issuer  *token.Issuer
	clock   *clock
	reg     *prometheus.Registry
}

func newFixture(t testing.TB, edit func(*Config)) *fixture {
	t.Helper()
	keys, err := token.GenerateKeyset("test")
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{now: time.Now()}
	f := &fixture{backend: &fakeBackend{}, issuer: token.NewIssuer(keys, clk.Now), clock: clk, reg: prometheus.NewRegistry()}
	cfg := Config{
		Backend:    f.backend,
		Issuer:     f.issuer,
		GuestTTL:   time.Hour,
		SessionTTL: time.Minute,
		GuestRate:  1000, GuestBurst: 1000,
		MatchRate: 1000, MatchBurst: 1000,
		Registry: f.reg,
		Now:      clk.Now,
	}
	if edit != nil {
		edit(&cfg)
	}
	f.svc, err = New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(f.svc)
	t.Cleanup(srv.Close)
	f.url = srv.URL
	return f
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (f *fixture) do(t *testing.T, method, path, auth, body string) response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, f.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

func (f *fixture) guest(t *testing.T) matchapi.Guest {
	t.Helper()
	r := f.do(t, http.MethodPost, "/v1/guest", "", "")
	if r.status != http.StatusCreated {
		t.Fatalf("POST /v1/guest: %d %s", r.status, r.body)
	}
	var g matchapi.Guest
	decodeStrict(t, r.body, &g)
	return g
}

func decodeStrict(t *testing.T, body []byte, v any) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
}

func errorCode(t *testing.T, r response) matchapi.ErrorCode {
	t.Helper()
	var e matchapi.ErrorAnswer
	decodeStrict(t, r.body, &e)
	if e.Error.Message == "" {
		t.Errorf("error without a message: %s", r.body)
	}
	return e.Error.Code
}

func TestGuest(t *testing.T) {
	f := newFixture(t, nil)
	for _, body := range []string{"", "{}"} {
		t.Run(fmt.Sprintf("body %q", body), func(t *testing.T) {
			r := f.do(t, http.MethodPost, "/v1/guest", "", body)
			if r.status != http.StatusCreated {
				t.Fatalf("status %d %s", r.status, r.body)
			}
			var g matchapi.Guest
			decodeStrict(t, r.body, &g)
			got, err := f.issuer.VerifyGuest(g.GuestToken)
			if err != nil {
				t.Fatalf("guest token does not verify: %v", err)
			}
			if got.PlayerID != g.PlayerID || g.PlayerID == "" {
				t.Errorf("token for %q, response says %q", got.PlayerID, g.PlayerID)
			}
			if want := f.clock.Now().Add(time.Hour); g.ExpiresAt.Before(want.Add(-time.Second)) || g.ExpiresAt.After(want) {
				t.Errorf("expires at %v, want about %v", g.ExpiresAt, want)
			}
			if cc := r.header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control %q", cc)
			}
		})
	}
}

func TestMatch(t *testing.T) {
	f := newFixture(t, nil)
	g := f.guest(t)

	t.Run("one seat", func(t *testing.T) {
		r := f.do(t, http.MethodPost, "/v1/match", "Bearer "+g.GuestToken, "{}")
		if r.status != http.StatusOK {
			t.Fatalf("status %d %s", r.status, r.body)
		}
		var m matchapi.Match
		decodeStrict(t, r.body, &m)
		if m.GameServer == "" || m.Address != "127.0.0.1" || m.Port == 0 || m.PlayerID != g.PlayerID || m.Seats != nil {
			t.Errorf("response %+v", m)
		}
		if want := fmt.Sprintf("ws://127.0.0.1:%d/ws", m.Port); m.WSURL != want {
			t.Errorf("ws_url %q, want %q", m.WSURL, want)
		}
		ps, err := f.issuer.VerifyPlayerSession(m.PlayerSessionToken, m.GameServer)
		if err != nil {
			t.Fatalf("player session token: %v", err)
		}
		if ps.PlayerID != g.PlayerID || !ps.ExpiresAt.Equal(m.ExpiresAt) {
			t.Errorf("token claims %+v, response %+v", ps, m)
		}
	})

	t.Run("two seats", func(t *testing.T) {
		g := f.guest(t)
		r := f.do(t, http.MethodPost, "/v1/match", "Bearer "+g.GuestToken, `{"seats":2}`)
		if r.status != http.StatusOK {
			t.Fatalf("status %d %s", r.status, r.body)
		}
		var m matchapi.Match
		decodeStrict(t, r.body, &m)
		if len(m.Seats) != 2 {
			t.Fatalf("seats %+v", m.Seats)
		}
		if m.Seats[0].PlayerID != g.PlayerID || m.Seats[0].PlayerSessionToken != m.PlayerSessionToken {
			t.Errorf("first seat %+v is not the top-level player", m.Seats[0])
		}
		if m.Seats[1].PlayerID != g.PlayerID+".2" {
			t.Errorf("second seat is %q", m.Seats[1].PlayerID)
		}
		for _, s := range m.Seats {
			ps, err := f.issuer.VerifyPlayerSession(s.PlayerSessionToken, m.GameServer)
			if err != nil || ps.PlayerID != s.PlayerID {
				t.Errorf("seat %s: token for %q, %v", s.PlayerID, ps.PlayerID, err)
			}
		}
		calls := f.backend.recorded()
		if got := calls[len(calls)-1].PlayerIDs; len(got) != 2 || got[0] != g.PlayerID || got[1] != g.PlayerID+".2" {
			t.Errorf("backend asked for %v", got)
		}
	})
}

func TestMatchSamePlayerTwiceGetsTheSameAssignment(t *testing.T) {
	f := newFixture(t, nil)
	g := f.guest(t)
	var got []matchapi.Match
	for range 2 {
		r := f.do(t, http.MethodPost, "/v1/match", "Bearer "+g.GuestToken, "{}")
		if r.status != http.StatusOK {
			t.Fatalf("status %d %s", r.status, r.body)
		}
		var m matchapi.Match
		decodeStrict(t, r.body, &m)
		got = append(got, m)
	}
	if got[0].GameServer != got[1].GameServer || got[0].Port != got[1].Port {
		t.Errorf("first %s:%d, then %s:%d", got[0].GameServer, got[0].Port, got[1].GameServer, got[1].Port)
	}
	calls := f.backend.recorded()
	if len(calls) != 2 {
		t.Fatalf("backend called %d times", len(calls))
	}
	for i, c := range calls {
		if len(c.PlayerIDs) != 1 || c.PlayerIDs[0] != g.PlayerID {
			t.Errorf("call %d for %v, want [%s]", i, c.PlayerIDs, g.PlayerID)
		}
	}
	other := f.guest(t)
	r := f.do(t, http.MethodPost, "/v1/match", "Bearer "+other.GuestToken, "{}")
	var m matchapi.Match
	decodeStrict(t, r.body, &m)
	if m.GameServer == got[0].GameServer {
		t.Errorf("another player got the same reservation %s", m.GameServer)
	}
}

func TestMatchErrors(t *testing.T) {
	otherKeys, err := token.GenerateKeyset("other")
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, nil)
	g := f.guest(t)
	bearer := "Bearer " + g.GuestToken
	forged, _, err := token.NewIssuer(otherKeys, nil).MintGuest(time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	session, _, err := f.issuer.MintPlayerSession(g.PlayerID, "race-1", time.Hour)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name       string
		method     string
		path       string
		auth       string
		body       string
		backendErr error
		incomplete bool
		wantStatus int
		wantCode   matchapi.ErrorCode
	}{
		{name: "no authorization", auth: "", body: "{}", wantStatus: 401, wantCode: matchapi.CodeUnauthenticated},
		{name: "basic auth", auth: "Basic dXNlcjpwdw==", body: "{}", wantStatus: 401, wantCode: matchapi.CodeUnauthenticated},
		{name: "bearer without token", auth: "Bearer ", body: "{}", wantStatus: 401, wantCode: matchapi.CodeUnauthenticated},
		{name: "garbage token", auth: "Bearer not.a.jwt", body: "{}", wantStatus: 401, wantCode: matchapi.CodeUnauthenticated},
		{name: "token of another key", auth: "Bearer " + forged, body: "{}", wantStatus: 401, wantCode: matchapi.CodeUnauthenticated},
		{name: "player session token as guest", auth: "Bearer " + session, body: "{}", wantStatus: 401, wantCode: matchapi.CodeUnauthenticated},
		{name: "lower-case scheme", auth: "bearer " + g.GuestToken, body: "{}", wantStatus: 200},
		{name: "empty body", auth: bearer, body: "", wantStatus: 200},
		{name: "not JSON", auth: bearer, body: "seats=2", wantStatus: 400, wantCode: matchapi.CodeBadRequest},
		{name: "unknown field", auth: bearer, body: `{"seats":1,"region":"eu"}`, wantStatus: 400, wantCode: matchapi.CodeBadRequest},
		{name: "trailing data", auth: bearer, body: `{}{}`, wantStatus: 400, wantCode: matchapi.CodeBadRequest},
		{name: "seats of the wrong type", auth: bearer, body: `{"seats":"2"}`, wantStatus: 400, wantCode: matchapi.CodeBadRequest},
		{name: "zero seats", auth: bearer, body: `{"seats":0}`, wantStatus: 400, wantCode: matchapi.CodeBadRequest},
		{name: "three seats", auth: bearer, body: `{"seats":3}`, wantStatus: 400, wantCode: matchapi.CodeBadRequest},
		{name: "array body", auth: bearer, body: `[]`, wantStatus: 400, wantCode: matchapi.CodeBadRequest},
		{name: "body over the limit", auth: bearer, body: `{"seats":1` + strings.Repeat(" ", maxBodyBytes) + `}`, wantStatus: 400, wantCode: matchapi.CodeBadRequest},
		{name: "no capacity", auth: bearer, body: "{}", backendErr: fmt.Errorf("fleet x: %w", backend.ErrNoCapacity), wantStatus: 503, wantCode: matchapi.CodeNoCapacity},
		{name: "API unavailable", auth: bearer, body: "{}", backendErr: fmt.Errorf("create: %w: 503 from the API server", backend.ErrUnavailable), wantStatus: 503, wantCode: matchapi.CodeUnavailable},
		{name: "more seats than a match has", auth: bearer, body: `{"seats":2}`, backendErr: fmt.Errorf("place: %w: 2 players, but a match has 1 seats", backend.ErrTooManySeats), wantStatus: 400, wantCode: matchapi.CodeBadRequest},
		{name: "seats taken", auth: bearer, body: `{"seats":2}`, backendErr: fmt.Errorf("race-1: %w", backend.ErrSeatsTaken), wantStatus: 409, wantCode: matchapi.CodeConflict},
		{name: "backend failure", auth: bearer, body: "{}", backendErr: errors.New("connection refused"), wantStatus: 500, wantCode: matchapi.CodeInternal},
		{name: "incomplete assignment", auth: bearer, body: "{}", incomplete: true, wantStatus: 500, wantCode: matchapi.CodeInternal},
		{name: "wrong method", method: http.MethodGet, wantStatus: 405, wantCode: matchapi.CodeMethodNotAllowed},
		{name: "unknown API path", method: http.MethodPost, path: "/v1/lobby", wantStatus: 404, wantCode: matchapi.CodeNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.backend.mu.Lock()
			f.backend.err = tt.backendErr
			f.backend.result = nil
			if tt.incomplete {
				f.backend.result = &backend.Assignment{GameServer: "race-x"}
			}
			f.backend.mu.Unlock()
			method, path := cmpOr(tt.method, http.MethodPost), cmpOr(tt.path, "/v1/match")
			r := f.do(t, method, path, tt.auth, tt.body)
			if r.status != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", r.status, tt.wantStatus, r.body)
			}
			if tt.wantStatus == 200 {
				return
			}
			if code := errorCode(t, r); code != tt.wantCode {
				t.Errorf("code %q, want %q", code, tt.wantCode)
			}
			switch tt.wantStatus {
			case 401:
				if r.header.Get("WWW-Authenticate") == "" {
					t.Error("401 without WWW-Authenticate")
				}
			case 503, 500, 409:
				if ra := r.header.Get("Retry-After"); tt.wantStatus == 503 && ra != "2" {
					t.Errorf("Retry-After %q, want 2", ra)
				}
				if strings.Contains(string(r.body), "connection refused") || strings.Contains(string(r.body), "API server") || strings.Contains(string(r.body), "race-1") {
					t.Errorf("internal detail leaked: %s", r.body)
				}
			case 405:
				if allow := r.header.Get("Allow"); allow != http.MethodPost {
					t.Errorf("Allow %q", allow)
				}
			}
		})
	}
}

func cmpOr(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func TestExpiredGuestToken(t *testing.T) {
	f := newFixture(t, nil)
	g := f.guest(t)
	f.clock.Advance(time.Hour + time.Minute) // past the TTL and the verifier's leeway
	r := f.do(t, http.MethodPost, "/v1/match", "Bearer "+g.GuestToken, "{}")
	if r.status != http.StatusUnauthorized {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	if !strings.Contains(string(r.body), "expired") {
		t.Errorf("message does not say expired: %s", r.body)
	}
	if n := len(f.backend.recorded()); n != 0 {
		t.Errorf("backend called %d times for an expired identity", n)
	}
}

func TestRateLimits(t *testing.T) {
	t.Run("guests per client address", func(t *testing.T) {
		f := newFixture(t, func(c *Config) { c.GuestRate, c.GuestBurst = 0.5, 2 })
		for i := range 2 {
			if r := f.do(t, http.MethodPost, "/v1/guest", "", ""); r.status != http.StatusCreated {
				t.Fatalf("guest %d: %d", i, r.status)
			}
		}
		r := f.do(t, http.MethodPost, "/v1/guest", "", "")
		if r.status != http.StatusTooManyRequests || errorCode(t, r) != matchapi.CodeRateLimited {
			t.Fatalf("third guest: %d %s", r.status, r.body)
		}
		if ra := r.header.Get("Retry-After"); ra != "2" {
			t.Errorf("Retry-After %q, want 2 (one token at 0.5/s)", ra)
		}
		f.clock.Advance(2 * time.Second)
		if r := f.do(t, http.MethodPost, "/v1/guest", "", ""); r.status != http.StatusCreated {
			t.Errorf("after waiting: %d", r.status)
		}
	})
	t.Run("matches per player", func(t *testing.T) {
		f := newFixture(t, func(c *Config) { c.MatchRate, c.MatchBurst = 4, 1 })
		a, b := f.guest(t), f.guest(t)
		if r := f.do(t, http.MethodPost, "/v1/match", "Bearer "+a.GuestToken, "{}"); r.status != http.StatusOK {
			t.Fatalf("first match: %d", r.status)
		}
		r := f.do(t, http.MethodPost, "/v1/match", "Bearer "+a.GuestToken, "{}")
		if r.status != http.StatusTooManyRequests || errorCode(t, r) != matchapi.CodeRateLimited {
			t.Fatalf("second match: %d %s", r.status, r.body)
		}
		if ra := r.header.Get("Retry-After"); ra != "1" {
			t.Errorf("Retry-After %q, want 1 (rounded up from 250ms)", ra)
		}
		if r := f.do(t, http.MethodPost, "/v1/match", "Bearer "+b.GuestToken, "{}"); r.status != http.StatusOK {
			t.Errorf("another player was limited too: %d", r.status)
		}
		if n := len(f.backend.recorded()); n != 2 {
			t.Errorf("backend called %d times, want 2", n)
		}
	})
}

func TestMetrics(t *testing.T) {
	f := newFixture(t, nil)
	g := f.guest(t)
	match := func(err error) {
		f.backend.mu.Lock()
		f.backend.err = err
		f.backend.mu.Unlock()
		f.do(t, http.MethodPost, "/v1/match", "Bearer "+g.GuestToken, "{}")
	}
	match(nil)                   // created
	match(nil)                   // joined: same player again
	match(backend.ErrNoCapacity) // no_capacity
	match(errors.New("boom"))    // error
	f.do(t, http.MethodPost, "/v1/match", "", "{}")

	for result, want := range map[string]float64{resultCreated: 1, resultJoined: 1, resultNoCapacity: 1, resultError: 1} {
		if got := counterValue(t, f.reg, "leapfrog_allocator_allocations_total", "result", result); got != want {
			t.Errorf("allocations{result=%q} = %v, want %v", result, got, want)
		}
	}
	for code, want := range map[string]float64{"200": 2, "503": 1, "500": 1, "401": 1} {
		if got := counterValue(t, f.reg, "leapfrog_allocator_http_requests_total", "route", "match", "code", code); got != want {
			t.Errorf("requests{route=match,code=%s} = %v, want %v", code, got, want)
		}
	}
	r := f.do(t, http.MethodGet, "/metrics", "", "")
	for _, name := range []string{
		"leapfrog_allocator_http_requests_total", "leapfrog_allocator_allocations_total",
		"leapfrog_allocator_allocation_duration_seconds_bucket", "leapfrog_allocator_http_request_duration_seconds_bucket",
	} {
		if !strings.Contains(string(r.body), name) {
			t.Errorf("/metrics lacks %s", name)
		}
	}
}

// counterValue reads one counter from the registry; labels are name, value pairs.
func counterValue(t *testing.T, reg prometheus.Gatherer, name string, labels ...string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range families {
		if mf.GetName() != name {
			continue
		}
	metrics:
		for _, m := range mf.GetMetric() {
			for i := 0; i < len(labels); i += 2 {
				found := false
				for _, lp := range m.GetLabel() {
					if lp.GetName() == labels[i] && lp.GetValue() == labels[i+1] {
						found = true
					}
				}
				if !found {
					continue metrics
				}
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}

func TestProbesAndWeb(t *testing.T) {
	web := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "web:"+r.URL.Path)
	})
	var notReady error
	var mu sync.Mutex
	f := newFixture(t, func(c *Config) {
		c.Web = web
		c.Ready = func(context.Context) error {
			mu.Lock()
			defer mu.Unlock()
			return notReady
		}
	})
	bare := newFixture(t, nil)

	tests := []struct {
		name       string
		fx         *fixture
		path       string
		notReady   error
		wantStatus int
		wantBody   string
	}{
		{"healthz", f, "/healthz", nil, 200, "ok\n"},
		{"ready", f, "/readyz", nil, 200, "ok\n"},
		{"not ready", f, "/readyz", errors.New("fleet starting"), 503, "not ready: fleet starting\n"},
		{"web root", f, "/", nil, 200, "web:/"},
		{"web asset", f, "/app.js", nil, 200, "web:/app.js"},
		{"no web handler", bare, "/", nil, 404, "404 page not found\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mu.Lock()
			notReady = tt.notReady
			mu.Unlock()
			r := tt.fx.do(t, http.MethodGet, tt.path, "", "")
			if r.status != tt.wantStatus || string(r.body) != tt.wantBody {
				t.Errorf("GET %s: %d %q, want %d %q", tt.path, r.status, r.body, tt.wantStatus, tt.wantBody)
			}
		})
	}
}

func TestNewValidates(t *testing.T) {
	keys, err := token.GenerateKeyset("k")
	if err != nil {
		t.Fatal(err)
	}
	valid := Config{
		Backend: &fakeBackend{}, Issuer: token.NewIssuer(keys, nil), GuestTTL: time.Hour, SessionTTL: time.Minute,
		GuestRate: 1, GuestBurst: 1, MatchRate: 1, MatchBurst: 1,
	}
	tests := []struct {
		name string
		edit func(*Config)
	}{
		{"no backend", func(c *Config) { c.Backend = nil }},
		{"no issuer", func(c *Config) { c.Issuer = nil }},
		{"no registry", func(c *Config) { c.Registry = nil }},
		{"zero session TTL", func(c *Config) { c.SessionTTL = 0 }},
		{"zero guest rate", func(c *Config) { c.GuestRate = 0 }},
		{"zero match burst", func(c *Config) { c.MatchBurst = 0 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := valid
			cfg.Registry = prometheus.NewRegistry()
			tt.edit(&cfg)
			if _, err := New(cfg); err == nil {
				t.Error("accepted")
			}
		})
	}
	t.Run("valid", func(t *testing.T) {
		cfg := valid
		cfg.Registry = prometheus.NewRegistry()
		if _, err := New(cfg); err != nil {
			t.Error(err)
		}
	})
}

func BenchmarkMatch(b *testing.B) {
	f := newFixture(b, func(c *Config) { c.MatchRate, c.MatchBurst = 1e9, 1<<30 })
	f.backend.result = &backend.Assignment{GameServer: "race-1", Address: "127.0.0.1", Port: 7001}
	raw, _, err := f.issuer.MintGuest(time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/v1/match", strings.NewReader("{}"))
		req.Header.Set("Authorization", "Bearer "+raw)
		rec := httptest.NewRecorder()
		f.svc.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}
