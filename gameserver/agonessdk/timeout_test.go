package agonessdk_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leapfrog-games/leapfrog/gameserver/agonessdk"
	"github.com/leapfrog-games/leapfrog/gameserver/agonessdk/sdktest"
)

// hangingSidecar answers nothing to its first n requests (until the client
// gives up on them), then behaves.
func hangingSidecar(t *testing.T, n int32) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	side := sdktest.NewSidecar(agonessdk.NewMemory(agonessdk.MemoryConfig{Name: "gs"}))
	var calls atomic.Int32
	stop := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) <= n {
			select {
			case <-r.Context().Done():
			case <-stop:
			}
			return
		}
		side.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(stop) }) // runs first: no handler outlives the test
	return srv, &calls
}

func TestClientCallTimesOutAndRetriesIdempotentCalls(t *testing.T) {
	srv, calls := hangingSidecar(t, 1)
	c, err := agonessdk.NewClient(srv.URL, agonessdk.WithCallTimeout(100*time.Millisecond),
		agonessdk.WithBackoff(agonessdk.Backoff{Initial: time.Millisecond, Max: time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := c.Health(ctx); err != nil {
		t.Fatalf("Health = %v, want success on the second attempt", err)
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("requests = %d, want 2", n)
	}
}

func TestClientCallTimeoutDoesNotResendAnAdd(t *testing.T) {
	srv, calls := hangingSidecar(t, 1)
	c, err := agonessdk.NewClient(srv.URL, agonessdk.WithCallTimeout(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := c.AddListValue(ctx, "players", "p1"); err == nil {
		t.Fatal("AddListValue succeeded, want the timeout: sending it again could add twice")
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("requests = %d, want 1", n)
	}
	if ctx.Err() != nil {
		t.Error("the call waited for the caller's context instead of its own timeout")
	}
}

func TestNewClientRefusesANonPositiveCallTimeout(t *testing.T) {
	if _, err := agonessdk.NewClient("http://localhost:9358", agonessdk.WithCallTimeout(-time.Second)); err == nil {
		t.Fatal("a negative call timeout was accepted")
	}
}

// TestHealthLoopWhileSkipsPingsWhenUnsound: the loop asks before each ping
// and sends none while the server is not sound.
func TestHealthLoopWhileSkipsPingsWhenUnsound(t *testing.T) {
	sdk := &pingSDK{pings: make(chan int, 100), fail: func(int) bool { return false }}
	asked := make(chan struct{})
	var n atomic.Int32
	sound := func() bool {
		if n.Add(1) == 5 {
			close(asked)
		}
		return false
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		agonessdk.HealthLoopWhile(ctx, sdk, time.Millisecond, nil, sound)
		close(done)
	}()
	<-asked
	cancel()
	<-done
	if len(sdk.pings) != 0 {
		t.Fatalf("%d pings sent while unsound, want 0", len(sdk.pings))
	}
}
