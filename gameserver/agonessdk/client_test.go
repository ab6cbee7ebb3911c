package agonessdk_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leapfrog-games/leapfrog/contract/agoneswire"
	"github.com/leapfrog-games/leapfrog/gameserver/agonessdk"
	"github.com/leapfrog-games/leapfrog/gameserver/agonessdk/sdktest"
	"github.com/leapfrog-games/leapfrog/internal/buildtest"
)

var fastBackoff = agonessdk.WithBackoff(agonessdk.Backoff{Initial: time.Millisecond, Max: 10 * time.Millisecond})

func newClient(t *testing.T, url string, opts ...agonessdk.Option) *agonessdk.Client {
	t.Helper()
	c, err := agonessdk.NewClient(url, append([]agonessdk.Option{fastBackoff}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func startSidecar(t *testing.T) (*agonessdk.Client, *agonessdk.Memory, *sdktest.FakeClock) {
	t.Helper()
	clk := sdktest.NewFakeClock(epoch)
	srv, mem := sdktest.Start(t, agonessdk.MemoryConfig{
		Name:     "race-1",
		Address:  "127.0.0.1",
		Ports:    []agonessdk.Port{{Name: "default", Port: 7654}},
		Lists:    map[string]agonessdk.List{agoneswire.PlayersList: {Capacity: 2}},
		Counters: map[string]agonessdk.Counter{"rooms": {Count: 1, Capacity: 3}},
		Clock:    clk,
	})
	return newClient(t, srv.URL), mem, clk
}

func TestClientAgainstSidecar(t *testing.T) {
	type call func(*agonessdk.Client, context.Context) error
	tests := []struct {
		name    string
		calls   []call // all but the last must succeed
		wantErr error
		check   func(*testing.T, agonessdk.GameServer)
	}{
		{"ready", []call{(*agonessdk.Client).Ready}, nil, state(agoneswire.StateReady)},
		{"allocate", []call{(*agonessdk.Client).Allocate}, nil, state(agoneswire.StateAllocated)},
		{"ready after allocate", []call{(*agonessdk.Client).Allocate, (*agonessdk.Client).Ready}, nil, state(agoneswire.StateReady)},
		{"shutdown", []call{(*agonessdk.Client).Shutdown}, nil, state(agoneswire.StateShutdown)},
		{"reserve", []call{func(c *agonessdk.Client, ctx context.Context) error { return c.Reserve(ctx, 0) }},
			nil, state(agoneswire.StateReserved)},
		{"label", []call{func(c *agonessdk.Client, ctx context.Context) error { return c.SetLabel(ctx, "race_phase", "waiting") }},
			nil, func(t *testing.T, gs agonessdk.GameServer) {
				if got := gs.ObjectMeta.Labels["agones.dev/sdk-race_phase"]; got != "waiting" {
					t.Errorf("labels = %v", gs.ObjectMeta.Labels)
				}
			}},
		{"invalid label key", []call{func(c *agonessdk.Client, ctx context.Context) error { return c.SetLabel(ctx, "no spaces", "x") }},
			agonessdk.ErrInvalidArgument, nil},
		{"annotation", []call{func(c *agonessdk.Client, ctx context.Context) error { return c.SetAnnotation(ctx, "note", "hello") }},
			nil, func(t *testing.T, gs agonessdk.GameServer) {
				if got := gs.ObjectMeta.Annotations["agones.dev/sdk-note"]; got != "hello" {
					t.Errorf("annotations = %v", gs.ObjectMeta.Annotations)
				}
			}},
		{"add list values", []call{addValue("p1"), addValue("p2")}, nil, players("p1", "p2")},
		{"add duplicate", []call{addValue("p1"), addValue("p1")}, agonessdk.ErrAlreadyExists, players("p1")},
		{"add over capacity", []call{addValue("p1"), addValue("p2"), addValue("p3")}, agonessdk.ErrNoCapacity, players("p1", "p2")},
		{"remove", []call{addValue("p1"), addValue("p2"), removeValue("p2")}, nil, players("p1")},
		{"remove missing", []call{addValue("p1"), removeValue("nobody")}, agonessdk.ErrNotFound, players("p1")},
		{"add to unknown list", []call{func(c *agonessdk.Client, ctx context.Context) error { return c.AddListValue(ctx, "nosuchlist", "x") }},
			agonessdk.ErrNotFound, nil},
		{"list capacity", []call{addValue("p1"), addValue("p2"),
			func(c *agonessdk.Client, ctx context.Context) error { return c.SetListCapacity(ctx, "players", 1) }},
			nil, func(t *testing.T, gs agonessdk.GameServer) {
				if l := gs.Status.Lists["players"]; l.Capacity != 1 || !slices.Equal(l.Values, []string{"p1"}) {
					t.Errorf("players = %+v", l)
				}
			}},
		{"list capacity out of range", []call{func(c *agonessdk.Client, ctx context.Context) error { return c.SetListCapacity(ctx, "players", 1001) }},
			agonessdk.ErrOutOfRange, nil},
		{"counter count", []call{func(c *agonessdk.Client, ctx context.Context) error { return c.SetCounterCount(ctx, "rooms", 3) }},
			nil, rooms(3, 3)},
		{"counter capacity", []call{func(c *agonessdk.Client, ctx context.Context) error { return c.SetCounterCapacity(ctx, "rooms", 9) }},
			nil, rooms(1, 9)},
		{"counter decrement", []call{func(c *agonessdk.Client, ctx context.Context) error { return c.IncrementCounter(ctx, "rooms", -1) }},
			nil, rooms(0, 3)},
		{"counter out of range", []call{func(c *agonessdk.Client, ctx context.Context) error { return c.IncrementCounter(ctx, "rooms", 5) }},
			agonessdk.ErrOutOfRange, rooms(1, 3)},
		{"unknown counter", []call{func(c *agonessdk.Client, ctx context.Context) error { return c.SetCounterCount(ctx, "nosuch", 1) }},
			agonessdk.ErrNotFound, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, mem, _ := startSidecar(t)
			for i, call := range tt.calls {
				err := call(c, t.Context())
				want := error(nil)
				if i == len(tt.calls)-1 {
					want = tt.wantErr
				}
				if !errors.Is(err, want) || (err != nil) != (want != nil) {
					t.Fatalf("call %d: err = %v, want %v", i, err, want)
				}
				var apiErr *agonessdk.APIError
				if err != nil && !errors.As(err, &apiErr) {
					t.Fatalf("call %d: %v is not an *APIError", i, err)
				}
			}
			if tt.check == nil {
				return
			}
			tt.check(t, mem.Snapshot())
			// What the client reads back agrees with the Memory.
			gs, err := c.GameServer(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, *gs)
		})
	}
}

func state(want agoneswire.GameServerState) func(*testing.T, agonessdk.GameServer) {
	return func(t *testing.T, gs agonessdk.GameServer) {
		t.Helper()
		if gs.Status.State != want {
			t.Errorf("state = %s, want %s", gs.Status.State, want)
		}
	}
}

func players(want ...string) func(*testing.T, agonessdk.GameServer) {
	return func(t *testing.T, gs agonessdk.GameServer) {
		t.Helper()
		if got := gs.Status.Lists["players"].Values; !slices.Equal(got, want) {
			t.Errorf("players = %q, want %q", got, want)
		}
	}
}

func rooms(count, capacity agonessdk.Int64) func(*testing.T, agonessdk.GameServer) {
	return func(t *testing.T, gs agonessdk.GameServer) {
		t.Helper()
		if got := gs.Status.Counters["rooms"]; got.Count != count || got.Capacity != capacity {
			t.Errorf("rooms = %+v, want count %d capacity %d", got, count, capacity)
		}
	}
}

func addValue(v string) func(*agonessdk.Client, context.Context) error {
	return func(c *agonessdk.Client, ctx context.Context) error { return c.AddListValue(ctx, "players", v) }
}

func removeValue(v string) func(*agonessdk.Client, context.Context) error {
	return func(c *agonessdk.Client, ctx context.Context) error { return c.RemoveListValue(ctx, "players", v) }
}

func TestClientReads(t *testing.T) {
	c, mem, _ := startSidecar(t)
	ctx := t.Context()
	if err := mem.AddListValue(ctx, "players", "p1"); err != nil {
		t.Fatal(err)
	}
	l, err := c.GetList(ctx, "players")
	if err != nil {
		t.Fatal(err)
	}
	if l.Name != "players" || l.Capacity != 2 || !slices.Equal(l.Values, []string{"p1"}) {
		t.Errorf("GetList = %+v", *l)
	}
	if _, err := c.GetList(ctx, "nosuchlist"); !errors.Is(err, agonessdk.ErrNotFound) {
		t.Errorf("GetList(nosuchlist) = %v, want ErrNotFound", err)
	}
	n, err := c.GetCounter(ctx, "rooms")
	if err != nil {
		t.Fatal(err)
	}
	if *n != (agonessdk.Counter{Name: "rooms", Count: 1, Capacity: 3}) {
		t.Errorf("GetCounter = %+v", *n)
	}
	if _, err := c.GetCounter(ctx, "nosuch"); !errors.Is(err, agonessdk.ErrNotFound) {
		t.Errorf("GetCounter(nosuch) = %v, want ErrNotFound", err)
	}
	gs, err := c.GameServer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := mem.Snapshot()
	if gs.ObjectMeta.Name != "race-1" || gs.ObjectMeta.UID != want.ObjectMeta.UID ||
		gs.ObjectMeta.ResourceVersion != want.ObjectMeta.ResourceVersion || gs.Status.Address != "127.0.0.1" {
		t.Errorf("GameServer = %+v, want %+v", gs.ObjectMeta, want.ObjectMeta)
	}
	if p, ok := gs.Status.PortByName("default"); !ok || p != 7654 {
		t.Errorf("port default = %d %v", p, ok)
	}
}

func TestClientHealth(t *testing.T) {
	c, mem, clk := startSidecar(t)
	for range 3 {
		if err := c.Health(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if got := mem.HealthCount(); got != 3 {
		t.Errorf("HealthCount = %d, want 3", got)
	}
	if got := mem.LastHealth(); !got.Equal(clk.Now()) {
		t.Errorf("LastHealth = %v, want %v", got, clk.Now())
	}
}

func TestClientReserveRoundsUpToSeconds(t *testing.T) {
	tests := []struct {
		d         time.Duration
		wantAfter time.Duration // when the server is Ready again
	}{
		{1500 * time.Millisecond, 2 * time.Second},
		{2 * time.Second, 2 * time.Second},
		{time.Millisecond, time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.d.String(), func(t *testing.T) {
			c, mem, clk := startSidecar(t)
			if err := c.Ready(t.Context()); err != nil {
				t.Fatal(err)
			}
			if err := c.Reserve(t.Context(), tt.d); err != nil {
				t.Fatal(err)
			}
			clk.Advance(tt.wantAfter - time.Millisecond)
			if s := mem.Snapshot().Status.State; s != agoneswire.StateReserved {
				t.Fatalf("state just before %v = %s, want Reserved", tt.wantAfter, s)
			}
			clk.Advance(time.Millisecond)
			if s := mem.Snapshot().Status.State; s != agoneswire.StateReady {
				t.Fatalf("state at %v = %s, want Ready", tt.wantAfter, s)
			}
		})
	}
	t.Run("negative", func(t *testing.T) {
		c, _, _ := startSidecar(t)
		if err := c.Reserve(t.Context(), -time.Second); !errors.Is(err, agonessdk.ErrInvalidArgument) {
			t.Fatalf("err = %v, want ErrInvalidArgument", err)
		}
	})
}

// dialWatcher reports every failed round trip.
type dialWatcher struct {
	base     http.RoundTripper
	failures chan error
}

func (d dialWatcher) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := d.base.RoundTrip(r)
	if err != nil {
		select {
		case d.failures <- err:
		default:
		}
	}
	return resp, err
}

// freeAddr is a loopback address nothing listens on (for now).
var freeAddr = buildtest.FreeAddr

func TestClientRetriesUntilTheSidecarListens(t *testing.T) {
	addr := freeAddr(t)
	failures := make(chan error, 1)
	c := newClient(t, "http://"+addr, agonessdk.WithHTTPClient(&http.Client{
		Transport: dialWatcher{base: http.DefaultTransport, failures: failures},
	}))
	done := make(chan error, 1)
	go func() { done <- c.Ready(t.Context()) }()

	// Let it fail to connect a few times before the sidecar comes up.
	for range 3 {
		if err := <-failures; err == nil {
			t.Fatal("nil failure")
		}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen again on %s: %v", addr, err)
	}
	mem := agonessdk.NewMemory(agonessdk.MemoryConfig{Name: "late"})
	srv := httptest.NewUnstartedServer(sdktest.NewSidecar(mem))
	_ = srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)

	if err := <-done; err != nil {
		t.Fatalf("Ready = %v, want success once the sidecar listens", err)
	}
	if s := mem.Snapshot().Status.State; s != agoneswire.StateReady {
		t.Errorf("state = %s, want Ready", s)
	}
}

func TestClientGivesUpWhenTheContextEnds(t *testing.T) {
	addr := freeAddr(t)
	failures := make(chan error, 1)
	c := newClient(t, "http://"+addr, agonessdk.WithHTTPClient(&http.Client{
		Transport: dialWatcher{base: http.DefaultTransport, failures: failures},
	}))
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- c.Health(ctx) }()
	<-failures
	cancel()
	err := <-done
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Health = %v, want context.Canceled", err)
	}
}

func TestClientRetriesUnavailable(t *testing.T) {
	mem := agonessdk.NewMemory(agonessdk.MemoryConfig{Name: "gs"})
	side := sdktest.NewSidecar(mem)
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) <= 2 { // the gateway is up, its gRPC server not yet
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"code":14,"message":"connection error","details":[]}`))
			return
		}
		side.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	c := newClient(t, srv.URL)
	if err := c.Allocate(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := calls.Load(); n != 3 {
		t.Errorf("requests = %d, want 3", n)
	}
	if s := mem.Snapshot().Status.State; s != agoneswire.StateAllocated {
		t.Errorf("state = %s", s)
	}
}

func TestClientDoesNotRetryErrors(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(`{"code":2, "message":"something broke", "details":[]}`))
	}))
	t.Cleanup(srv.Close)
	c := newClient(t, srv.URL)
	err := c.AddListValue(t.Context(), "players", "p1")
	var apiErr *agonessdk.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("err = %v, want *APIError", err)
	}
	if *apiErr != (agonessdk.APIError{StatusCode: 500, Code: 2, Message: "something broke"}) {
		t.Errorf("APIError = %+v", *apiErr)
	}
	for _, s := range []error{agonessdk.ErrNotFound, agonessdk.ErrAlreadyExists, agonessdk.ErrNoCapacity, agonessdk.ErrOutOfRange} {
		if errors.Is(err, s) {
			t.Errorf("an unknown error matched %v", s)
		}
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("requests = %d, want 1", n)
	}
}

func TestAPIErrorSentinels(t *testing.T) {
	tests := []struct {
		code int
		msg  string
		want error
	}{
		{2, "list not found: nosuchlist", agonessdk.ErrNotFound},
		{2, "counter not found: rooms", agonessdk.ErrNotFound},
		{2, "not found: value nobody not in list players", agonessdk.ErrNotFound},
		{2, "not found. players List not found", agonessdk.ErrNotFound},              // local sidecar
		{2, "not found. Value: x not found in List: players", agonessdk.ErrNotFound}, // local sidecar
		{2, "already exists. Value: p1 already in List: players", agonessdk.ErrAlreadyExists},
		{2, "out of range. No available capacity. Current Capacity: 2, List Size: 2", agonessdk.ErrNoCapacity},
		{2, "out of range. Count must be within range [0,Capacity]. Found Count: 4, Capacity: 3", agonessdk.ErrOutOfRange},
		{3, `invalid label key "a b": name part must consist of ...`, agonessdk.ErrInvalidArgument},
		{5, "Not Found", agonessdk.ErrNotFound},
		{2, "no gameservers for fleet", nil},
		{2, "CountsAndLists not enabled", nil},
	}
	all := []error{agonessdk.ErrNotFound, agonessdk.ErrAlreadyExists, agonessdk.ErrNoCapacity,
		agonessdk.ErrOutOfRange, agonessdk.ErrInvalidArgument}
	for _, tt := range tests {
		t.Run(tt.msg, func(t *testing.T) {
			err := error(&agonessdk.APIError{StatusCode: 500, Code: tt.code, Message: tt.msg})
			for _, s := range all {
				if got := errors.Is(err, s); got != (s == tt.want) {
					t.Errorf("errors.Is(%v) = %v", s, got)
				}
			}
		})
	}
}

func TestNewClient(t *testing.T) {
	tests := []struct {
		url     string
		wantErr bool
	}{
		{"http://localhost:9358", false},
		{"http://127.0.0.1:9358/", false},
		{"localhost:9358", true},
		{"ftp://localhost", true},
		{"http://", true},
		{"::", true},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			_, err := agonessdk.NewClient(tt.url)
			if (err != nil) != tt.wantErr {
				t.Errorf("err = %v, wantErr %v", err, tt.wantErr)
			}
		})
	}
}

func TestNewClientFromEnv(t *testing.T) {
	srv, mem := sdktest.Start(t, agonessdk.MemoryConfig{Name: "env"})
	_, port, err := net.SplitHostPort(srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("AGONES_SDK_HTTP_PORT", port)
	c, err := agonessdk.NewClientFromEnv(fastBackoff)
	if err != nil {
		t.Fatal(err)
	}
	// localhost may resolve to ::1 first, where nothing listens: the
	// client's dialer falls back to 127.0.0.1.
	if err := c.Ready(t.Context()); err != nil {
		t.Fatal(err)
	}
	if s := mem.Snapshot().Status.State; s != agoneswire.StateReady {
		t.Errorf("state = %s", s)
	}
	for _, bad := range []string{"x", "0", "70000"} {
		t.Setenv("AGONES_SDK_HTTP_PORT", bad)
		if _, err := agonessdk.NewClientFromEnv(); err == nil {
			t.Errorf("port %q accepted", bad)
		}
	}
}

func TestClientWatch(t *testing.T) {
	c, mem, _ := startSidecar(t)
	ch := watchStates(t, c)
	if gs := <-ch; gs.Status.State != agoneswire.StateScheduled {
		t.Fatalf("first state %s", gs.Status.State)
	}
	steps := []struct {
		do   func() error
		want agoneswire.GameServerState
	}{
		{func() error { return c.Ready(t.Context()) }, agoneswire.StateReady},
		{func() error { _, err := mem.ClusterAllocate([]string{"p1", "p2"}); return err }, agoneswire.StateAllocated},
		{func() error { return c.RemoveListValue(t.Context(), "players", "p2") }, agoneswire.StateAllocated},
		{func() error { return c.Shutdown(t.Context()) }, agoneswire.StateShutdown},
	}
	for i, s := range steps {
		if err := s.do(); err != nil {
			t.Fatal(err)
		}
		gs := <-ch
		if gs.Status.State != s.want {
			t.Fatalf("step %d: watched %s, want %s", i, gs.Status.State, s.want)
		}
		if want := mem.Snapshot().ObjectMeta.ResourceVersion; gs.ObjectMeta.ResourceVersion != want {
			t.Fatalf("step %d: watched version %s, want %s", i, gs.ObjectMeta.ResourceVersion, want)
		}
	}
}

func TestClientWatchReconnects(t *testing.T) {
	tests := []struct {
		name     string
		failFrom int32 // watch requests from this one on fail once with a 500; 0 never
		cut      bool  // cut the stream after the first state
	}{
		{"stream cut", 0, true},
		{"first attempt refused", 1, false},
		{"cut then refused", 2, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := agonessdk.NewMemory(agonessdk.MemoryConfig{Name: "gs"})
			side := sdktest.NewSidecar(mem)
			var watches atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/watch/gameserver" {
					if n := watches.Add(1); n == tt.failFrom {
						w.Header().Set("Content-Type", "application/json")
						w.WriteHeader(http.StatusInternalServerError)
						_, _ = w.Write([]byte(`{"code":2,"message":"transient","details":[]}`))
						return
					}
				}
				side.ServeHTTP(w, r)
			}))
			t.Cleanup(func() { srv.CloseClientConnections(); srv.Close() })
			c := newClient(t, srv.URL)
			ch := watchStates(t, c)

			first := <-ch
			if first.Status.State != agoneswire.StateScheduled {
				t.Fatalf("first state %s", first.Status.State)
			}
			if tt.cut {
				srv.CloseClientConnections()
				// After reconnecting, the sidecar sends the current state again.
				if again := <-ch; again.ObjectMeta.ResourceVersion != first.ObjectMeta.ResourceVersion {
					t.Fatalf("after reconnect: version %s, want %s", again.ObjectMeta.ResourceVersion, first.ObjectMeta.ResourceVersion)
				}
			}
			if err := mem.Allocate(t.Context()); err != nil {
				t.Fatal(err)
			}
			if gs := <-ch; gs.Status.State != agoneswire.StateAllocated {
				t.Fatalf("state after reconnect %s, want Allocated", gs.Status.State)
			}
			wantWatches := int32(1)
			if tt.cut {
				wantWatches++
			}
			if tt.failFrom > 0 {
				wantWatches++
			}
			if n := watches.Load(); n != wantWatches {
				t.Errorf("watch requests = %d, want %d", n, wantWatches)
			}
		})
	}
}

// TestClientWatchInterval: with an interval, a burst of changes reaches the
// watcher as a few GameServers, the last one current.
func TestClientWatchInterval(t *testing.T) {
	const every = 50 * time.Millisecond
	srv, mem := sdktest.Start(t, agonessdk.MemoryConfig{
		Name: "race-1", Lists: map[string]agonessdk.List{agoneswire.MatchesList: {Capacity: 1000}},
	})
	c := newClient(t, srv.URL, agonessdk.WithWatchInterval(every))
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	var calls atomic.Int32
	last := make(chan int, 1)
	start := time.Now()
	go func() {
		_ = c.WatchGameServer(ctx, func(gs *agonessdk.GameServer) {
			calls.Add(1)
			select {
			case <-last:
			default:
			}
			last <- len(gs.Status.Lists[agoneswire.MatchesList].Values)
		})
	}()
	const changes = 300
	for i := range changes {
		if err := mem.AddListValue(ctx, agoneswire.MatchesList, fmt.Sprint("r", i)); err != nil {
			t.Fatal(err)
		}
	}
	for n := 0; n != changes; {
		select {
		case n = <-last:
		case <-ctx.Done():
			t.Fatalf("the watch never showed the %d matches", changes)
		}
	}
	// One call at the start and at most one per interval since.
	if n, most := int(calls.Load()), int(time.Since(start)/every)+2; n > most {
		t.Errorf("%d calls in %v, want at most %d", n, time.Since(start), most)
	}
	if _, err := agonessdk.NewClient(srv.URL, agonessdk.WithWatchInterval(-time.Second)); err == nil {
		t.Error("a negative watch interval was taken")
	}
}
