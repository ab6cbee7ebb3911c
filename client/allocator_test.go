package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/leapfrog-games/leapfrog/contract/token"
	"github.com/leapfrog-games/leapfrog/internal/allocator/api"
	"github.com/leapfrog-games/leapfrog/internal/allocator/backend"
)

// switchBackend answers with a fixed assignment, or err when set.
type switchBackend struct {
	mu  sync.Mutex
	err error
}

func (b *switchBackend) Allocate(_ context.Context, req backend.AllocationRequest) (backend.Assignment, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil {
		return backend.Assignment{}, b.err
	}
	return backend.Assignment{GameServer: "race-1", Address: "127.0.0.1", Port: 7654}, nil
}

func (b *switchBackend) fail(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.err = err
}

// newAllocator serves the real allocator API on 127.0.0.1.
func newAllocator(t *testing.T, b backend.Backend, edit func(*api.Config)) (*Client, *token.Issuer) {
	t.Helper()
	keys, err := token.GenerateKeyset("test")
	if err != nil {
		t.Fatal(err)
	}
	issuer := token.NewIssuer(keys, nil)
	cfg := api.Config{
		Backend: b, Issuer: issuer, GuestTTL: time.Hour, SessionTTL: time.Minute,
		GuestRate: 100, GuestBurst: 100, MatchRate: 100, MatchBurst: 100,
		Registry: prometheus.NewRegistry(),
	}
	if edit != nil {
		edit(&cfg)
	}
	svc, err := api.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(svc)
	t.Cleanup(srv.Close)
	c, err := New(srv.URL, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	return c, issuer
}

func TestGuestAndMatch(t *testing.T) {
	c, issuer := newAllocator(t, &switchBackend{}, nil)
	g, err := c.Guest(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := issuer.VerifyGuest(g.GuestToken); err != nil || g.PlayerID == "" || g.ExpiresAt.IsZero() {
		t.Fatalf("guest %+v: %v", g, err)
	}

	m, err := c.Match(t.Context(), g.GuestToken, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := Match{GameServer: "race-1", Address: "127.0.0.1", Port: 7654, WSURL: "ws://127.0.0.1:7654/ws", PlayerID: g.PlayerID}
	if m.GameServer != want.GameServer || m.Address != want.Address || m.Port != want.Port || m.WSURL != want.WSURL || m.PlayerID != want.PlayerID || m.Seats != nil {
		t.Errorf("match %+v, want %+v", m, want)
	}
	if ps, err := issuer.VerifyPlayerSession(m.PlayerSessionToken, "race-1"); err != nil || ps.PlayerID != g.PlayerID {
		t.Errorf("player session token for %q: %v", ps.PlayerID, err)
	}

	m2, err := c.Match(t.Context(), g.GuestToken, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(m2.Seats) != 2 || m2.Seats[1].PlayerID != g.PlayerID+".2" {
		t.Errorf("two seats: %+v", m2.Seats)
	}
}

func TestMatchErrors(t *testing.T) {
	b := &switchBackend{}
	c, _ := newAllocator(t, b, func(cfg *api.Config) { cfg.RetryAfter = 3 * time.Second })
	g, err := c.Guest(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		token       string
		seats       int
		backendErr  error
		want        error
		wantStatus  int
		wantCode    string
		wantRetry   time.Duration
		wantRetryOK bool
	}{
		{name: "bad token", token: "nope", want: ErrUnauthenticated, wantStatus: 401, wantCode: "unauthenticated"},
		{name: "no token", token: "", want: ErrUnauthenticated, wantStatus: 401, wantCode: "unauthenticated"},
		{name: "too many seats", token: g.GuestToken, seats: 3, want: ErrBadRequest, wantStatus: 400, wantCode: "bad_request"},
		{name: "no capacity", token: g.GuestToken, backendErr: backend.ErrNoCapacity, want: ErrNoCapacity, wantStatus: 503, wantCode: "no_capacity", wantRetry: 3 * time.Second, wantRetryOK: true},
		{name: "internal", token: g.GuestToken, backendErr: errors.New("boom"), wantStatus: 500, wantCode: "internal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b.fail(tt.backendErr)
			_, err := c.Match(t.Context(), tt.token, tt.seats)
			e, ok := errors.AsType[*APIError](err)
			if !ok {
				t.Fatalf("err %v is not an *APIError", err)
			}
			if e.StatusCode != tt.wantStatus || string(e.Code) != tt.wantCode || e.Message == "" {
				t.Errorf("got %+v", e)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("err %v is not %v", err, tt.want)
			}
			if d, ok := RetryAfter(err); d != tt.wantRetry || ok != tt.wantRetryOK {
				t.Errorf("RetryAfter = %v, %v; want %v, %v", d, ok, tt.wantRetry, tt.wantRetryOK)
			}
		})
	}
}

func TestGuestRateLimited(t *testing.T) {
	c, _ := newAllocator(t, &switchBackend{}, func(cfg *api.Config) { cfg.GuestRate, cfg.GuestBurst = 0.2, 1 })
	if _, err := c.Guest(t.Context()); err != nil {
		t.Fatal(err)
	}
	_, err := c.Guest(t.Context())
	if !errors.Is(err, ErrRateLimited) {
		t.Fatalf("err %v, want ErrRateLimited", err)
	}
	if d, ok := RetryAfter(err); !ok || d < time.Second {
		t.Errorf("RetryAfter = %v, %v", d, ok)
	}
}

func TestErrorPageFromAProxy(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		fmt.Fprint(w, "<html>bad gateway</html>")
	}))
	t.Cleanup(srv.Close)
	c, err := New(srv.URL, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Guest(t.Context())
	e, ok := errors.AsType[*APIError](err)
	if !ok || e.StatusCode != http.StatusBadGateway || e.Code != "" || errors.Unwrap(err) != nil {
		t.Errorf("err %#v", err)
	}
}

func TestNewRejectsBadURLs(t *testing.T) {
	for _, u := range []string{"", "127.0.0.1:8080", "ftp://x", "http://", "://"} {
		if _, err := New(u, nil); err == nil {
			t.Errorf("accepted %q", u)
		}
	}
}
