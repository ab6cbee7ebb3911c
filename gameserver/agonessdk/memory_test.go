package agonessdk_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/leapfrog-games/leapfrog/contract/agoneswire"
	"github.com/leapfrog-games/leapfrog/gameserver/agonessdk"
	"github.com/leapfrog-games/leapfrog/gameserver/agonessdk/sdktest"
)

var epoch = time.Date(2026, 11, 23, 20, 0, 0, 0, time.UTC)

func newMemory(t *testing.T) (*agonessdk.Memory, *sdktest.FakeClock) {
	t.Helper()
	clk := sdktest.NewFakeClock(epoch)
	m := agonessdk.NewMemory(agonessdk.MemoryConfig{
		Name:     "race-1",
		Address:  "127.0.0.1",
		Ports:    []agonessdk.Port{{Name: "default", Port: 7654}},
		Lists:    map[string]agonessdk.List{agoneswire.PlayersList: {Capacity: 2}},
		Counters: map[string]agonessdk.Counter{"rooms": {Count: 1, Capacity: 3}},
		Clock:    clk,
	})
	return m, clk
}

// step is one thing done to a Memory in a state machine test.
type step struct {
	name string
	do   func(context.Context, *agonessdk.Memory, *sdktest.FakeClock) error
}

func ready() step {
	return step{"Ready", func(ctx context.Context, m *agonessdk.Memory, _ *sdktest.FakeClock) error { return m.Ready(ctx) }}
}
func allocate() step {
	return step{"Allocate", func(ctx context.Context, m *agonessdk.Memory, _ *sdktest.FakeClock) error { return m.Allocate(ctx) }}
}
func shutdown() step {
	return step{"Shutdown", func(ctx context.Context, m *agonessdk.Memory, _ *sdktest.FakeClock) error { return m.Shutdown(ctx) }}
}
func reserve(d time.Duration) step {
	return step{"Reserve " + d.String(), func(ctx context.Context, m *agonessdk.Memory, _ *sdktest.FakeClock) error {
		return m.Reserve(ctx, d)
	}}
}
func advance(d time.Duration) step {
	return step{"advance " + d.String(), func(_ context.Context, _ *agonessdk.Memory, c *sdktest.FakeClock) error {
		c.Advance(d)
		return nil
	}}
}
func unhealthy() step {
	return step{"MarkUnhealthy", func(_ context.Context, m *agonessdk.Memory, _ *sdktest.FakeClock) error {
		m.MarkUnhealthy()
		return nil
	}}
}
func clusterAllocate(values ...string) step {
	return step{"ClusterAllocate", func(_ context.Context, m *agonessdk.Memory, _ *sdktest.FakeClock) error {
		_, err := m.ClusterAllocate(values)
		return err
	}}
}

func TestMemoryStateMachine(t *testing.T) {
	type want struct {
		step
		state agoneswire.GameServerState
		err   error
	}
	w := func(s step, state agoneswire.GameServerState) want { return want{step: s, state: state} }
	wErr := func(s step, state agoneswire.GameServerState, err error) want {
		return want{step: s, state: state, err: err}
	}
	const (
		scheduled = agoneswire.StateScheduled
		readyS    = agoneswire.StateReady
		allocated = agoneswire.StateAllocated
		reserved  = agoneswire.StateReserved
		shutdownS = agoneswire.StateShutdown
		unhealthS = agoneswire.StateUnhealthy
	)
	tests := []struct {
		name  string
		steps []want
	}{
		{"ready from scheduled", []want{w(ready(), readyS)}},
		{"allocate then ready returns to the pool", []want{w(ready(), readyS), w(allocate(), allocated), w(ready(), readyS)}},
		{"allocate from scheduled", []want{w(allocate(), allocated)}},
		{"reserve returns to ready after its duration", []want{
			w(ready(), readyS), w(reserve(5*time.Second), reserved),
			w(advance(4999*time.Millisecond), reserved), w(advance(time.Millisecond), readyS),
		}},
		{"reserve zero lasts", []want{w(reserve(0), reserved), w(advance(24*time.Hour), reserved)}},
		{"allocate cancels the reservation's timeout", []want{
			w(reserve(5*time.Second), reserved), w(allocate(), allocated), w(advance(time.Minute), allocated),
		}},
		{"ready cancels the reservation's timeout", []want{
			w(reserve(5*time.Second), reserved), w(ready(), readyS), w(allocate(), allocated), w(advance(time.Minute), allocated),
		}},
		{"reserving again restarts the timeout", []want{
			w(reserve(5*time.Second), reserved), w(advance(3*time.Second), reserved),
			w(reserve(5*time.Second), reserved), w(advance(3*time.Second), reserved), w(advance(2*time.Second), readyS),
		}},
		{"shutdown is final", []want{
			w(ready(), readyS), w(shutdown(), shutdownS), w(ready(), shutdownS), w(allocate(), shutdownS),
			w(reserve(time.Second), shutdownS), w(unhealthy(), shutdownS),
			wErr(clusterAllocate("p1"), shutdownS, agonessdk.ErrNotAllocatable),
		}},
		{"shutdown during a reservation", []want{
			w(reserve(5*time.Second), reserved), w(shutdown(), shutdownS), w(advance(time.Minute), shutdownS),
		}},
		{"unhealthy is final but for shutdown", []want{
			w(ready(), readyS), w(unhealthy(), unhealthS), w(ready(), unhealthS), w(shutdown(), unhealthS),
		}},
		{"cluster allocation needs ready or allocated", []want{
			wErr(clusterAllocate("p1"), scheduled, agonessdk.ErrNotAllocatable),
			w(ready(), readyS), w(clusterAllocate("p1"), allocated), w(clusterAllocate("p2"), allocated),
			w(reserve(0), reserved), wErr(clusterAllocate("p3"), reserved, agonessdk.ErrNotAllocatable),
		}},
		{"negative reservation is refused", []want{
			w(ready(), readyS), wErr(reserve(-time.Second), readyS, agonessdk.ErrInvalidArgument),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, clk := newMemory(t)
			if got := m.Snapshot().Status.State; got != scheduled {
				t.Fatalf("initial state = %s, want %s", got, scheduled)
			}
			for i, s := range tt.steps {
				err := s.do(t.Context(), m, clk)
				if !errors.Is(err, s.err) || (err != nil) != (s.err != nil) {
					t.Fatalf("step %d %s: err = %v, want %v", i, s.name, err, s.err)
				}
				if got := m.Snapshot().Status.State; got != s.state {
					t.Fatalf("step %d %s: state = %s, want %s", i, s.name, got, s.state)
				}
			}
		})
	}
}

func TestMemoryClusterAllocate(t *testing.T) {
	tests := []struct {
		name   string
		before []string // values added by earlier allocations
		add    []string
		want   []string
	}{
		{"adds to an empty list", nil, []string{"a"}, []string{"a"}},
		{"adds two seats", nil, []string{"a", "b"}, []string{"a", "b"}},
		{"drops values beyond capacity", nil, []string{"a", "b", "c"}, []string{"a", "b"}},
		{"ignores duplicates", []string{"a"}, []string{"a"}, []string{"a"}},
		{"fills the free place of an allocated server", []string{"a"}, []string{"b", "c"}, []string{"a", "b"}},
		{"adds nothing to a full server but still allocates", []string{"a", "b"}, []string{"c"}, []string{"a", "b"}},
		{"allocates with no values", nil, nil, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, clk := newMemory(t)
			if err := m.Ready(t.Context()); err != nil {
				t.Fatal(err)
			}
			if tt.before != nil {
				if _, err := m.ClusterAllocate(tt.before); err != nil {
					t.Fatal(err)
				}
			}
			clk.Advance(time.Second)
			gs, err := m.ClusterAllocate(tt.add)
			if err != nil {
				t.Fatal(err)
			}
			if got := gs.Status.Lists[agoneswire.PlayersList].Values; !slices.Equal(got, tt.want) {
				t.Errorf("returned players = %q, want %q", got, tt.want)
			}
			snap := m.Snapshot()
			if got := snap.Status.Lists[agoneswire.PlayersList].Values; !slices.Equal(got, tt.want) {
				t.Errorf("snapshot players = %q, want %q", got, tt.want)
			}
			if snap.Status.State != agoneswire.StateAllocated {
				t.Errorf("state = %s, want Allocated", snap.Status.State)
			}
			wantTS := epoch.Add(time.Second).Format(time.RFC3339Nano)
			if got := snap.ObjectMeta.Annotations[agoneswire.LastAllocatedAnnotation]; got != wantTS {
				t.Errorf("last-allocated = %q, want %q", got, wantTS)
			}
		})
	}
}

func TestMemoryLists(t *testing.T) {
	type op struct {
		add     bool // else remove
		list    string
		value   string
		wantErr error
	}
	add := func(v string, err error) op { return op{true, agoneswire.PlayersList, v, err} }
	remove := func(v string, err error) op { return op{false, agoneswire.PlayersList, v, err} }
	tests := []struct {
		name string
		ops  []op
		want []string
	}{
		{"add two", []op{add("p1", nil), add("p2", nil)}, []string{"p1", "p2"}},
		{"duplicate", []op{add("p1", nil), add("p1", agonessdk.ErrAlreadyExists)}, []string{"p1"}},
		{"full", []op{add("p1", nil), add("p2", nil), add("p3", agonessdk.ErrNoCapacity)}, []string{"p1", "p2"}},
		{"full is reported before duplicate", []op{add("p1", nil), add("p2", nil), add("p1", agonessdk.ErrNoCapacity)}, []string{"p1", "p2"}},
		{"remove", []op{add("p1", nil), add("p2", nil), remove("p1", nil)}, []string{"p2"}},
		{"remove missing", []op{add("p1", nil), remove("nobody", agonessdk.ErrNotFound)}, []string{"p1"}},
		{"remove then add again", []op{add("p1", nil), remove("p1", nil), add("p1", nil)}, []string{"p1"}},
		{"unknown list", []op{{true, "nosuchlist", "x", agonessdk.ErrNotFound}, {false, "nosuchlist", "x", agonessdk.ErrNotFound}}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _ := newMemory(t)
			for i, o := range tt.ops {
				var err error
				if o.add {
					err = m.AddListValue(t.Context(), o.list, o.value)
				} else {
					err = m.RemoveListValue(t.Context(), o.list, o.value)
				}
				if !errors.Is(err, o.wantErr) || (err != nil) != (o.wantErr != nil) {
					t.Fatalf("op %d: err = %v, want %v", i, err, o.wantErr)
				}
			}
			l, err := m.GetList(t.Context(), agoneswire.PlayersList)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(l.Values, tt.want) || l.Name != agoneswire.PlayersList || l.Capacity != 2 {
				t.Errorf("list = %+v, want players capacity 2 values %q", *l, tt.want)
			}
		})
	}
}

func TestMemoryListCapacity(t *testing.T) {
	tests := []struct {
		name     string
		capacity int64
		wantErr  error
		wantCap  agonessdk.Int64
		want     []string
	}{
		{"grow", 3, nil, 3, []string{"p1", "p2"}},
		{"shrink drops the tail", 1, nil, 1, []string{"p1"}},
		{"zero", 0, nil, 0, []string{}},
		{"negative", -1, agonessdk.ErrOutOfRange, 2, []string{"p1", "p2"}},
		{"over 1000", 1001, agonessdk.ErrOutOfRange, 2, []string{"p1", "p2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _ := newMemory(t)
			for _, v := range []string{"p1", "p2"} {
				if err := m.AddListValue(t.Context(), agoneswire.PlayersList, v); err != nil {
					t.Fatal(err)
				}
			}
			err := m.SetListCapacity(t.Context(), agoneswire.PlayersList, tt.capacity)
			if !errors.Is(err, tt.wantErr) || (err != nil) != (tt.wantErr != nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			l, err := m.GetList(t.Context(), agoneswire.PlayersList)
			if err != nil {
				t.Fatal(err)
			}
			if l.Capacity != tt.wantCap || !slices.Equal(l.Values, tt.want) {
				t.Errorf("list = %+v, want capacity %d values %q", *l, tt.wantCap, tt.want)
			}
		})
	}
	t.Run("unknown list", func(t *testing.T) {
		m, _ := newMemory(t)
		if err := m.SetListCapacity(t.Context(), "nosuchlist", 1); !errors.Is(err, agonessdk.ErrNotFound) {
			t.Fatalf("err = %v, want ErrNotFound", err)
		}
	})
}

func TestMemoryCounters(t *testing.T) {
	// The counter "rooms" starts at count 1, capacity 3.
	tests := []struct {
		name    string
		do      func(context.Context, *agonessdk.Memory) error
		wantErr error
		want    agonessdk.Counter
	}{
		{"set count", func(ctx context.Context, m *agonessdk.Memory) error { return m.SetCounterCount(ctx, "rooms", 3) },
			nil, agonessdk.Counter{Count: 3, Capacity: 3}},
		{"count over capacity", func(ctx context.Context, m *agonessdk.Memory) error { return m.SetCounterCount(ctx, "rooms", 4) },
			agonessdk.ErrOutOfRange, agonessdk.Counter{Count: 1, Capacity: 3}},
		{"negative count", func(ctx context.Context, m *agonessdk.Memory) error { return m.SetCounterCount(ctx, "rooms", -1) },
			agonessdk.ErrOutOfRange, agonessdk.Counter{Count: 1, Capacity: 3}},
		{"increment", func(ctx context.Context, m *agonessdk.Memory) error { return m.IncrementCounter(ctx, "rooms", 2) },
			nil, agonessdk.Counter{Count: 3, Capacity: 3}},
		{"decrement", func(ctx context.Context, m *agonessdk.Memory) error { return m.IncrementCounter(ctx, "rooms", -1) },
			nil, agonessdk.Counter{Count: 0, Capacity: 3}},
		{"decrement below zero", func(ctx context.Context, m *agonessdk.Memory) error { return m.IncrementCounter(ctx, "rooms", -2) },
			agonessdk.ErrOutOfRange, agonessdk.Counter{Count: 1, Capacity: 3}},
		{"capacity", func(ctx context.Context, m *agonessdk.Memory) error { return m.SetCounterCapacity(ctx, "rooms", 9) },
			nil, agonessdk.Counter{Count: 1, Capacity: 9}},
		{"capacity below count", func(ctx context.Context, m *agonessdk.Memory) error { return m.SetCounterCapacity(ctx, "rooms", 0) },
			agonessdk.ErrOutOfRange, agonessdk.Counter{Count: 1, Capacity: 3}},
		{"negative capacity", func(ctx context.Context, m *agonessdk.Memory) error { return m.SetCounterCapacity(ctx, "rooms", -1) },
			agonessdk.ErrOutOfRange, agonessdk.Counter{Count: 1, Capacity: 3}},
		{"unknown counter", func(ctx context.Context, m *agonessdk.Memory) error { return m.IncrementCounter(ctx, "nosuch", 1) },
			agonessdk.ErrNotFound, agonessdk.Counter{Count: 1, Capacity: 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _ := newMemory(t)
			err := tt.do(t.Context(), m)
			if !errors.Is(err, tt.wantErr) || (err != nil) != (tt.wantErr != nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			c, err := m.GetCounter(t.Context(), "rooms")
			if err != nil {
				t.Fatal(err)
			}
			tt.want.Name = "rooms"
			if *c != tt.want {
				t.Errorf("counter = %+v, want %+v", *c, tt.want)
			}
			if got := m.Snapshot().Status.Counters["rooms"]; got.Count != tt.want.Count || got.Capacity != tt.want.Capacity {
				t.Errorf("status counter = %+v, want %+v", got, tt.want)
			}
		})
	}
	t.Run("get unknown", func(t *testing.T) {
		m, _ := newMemory(t)
		if _, err := m.GetCounter(t.Context(), "nosuch"); !errors.Is(err, agonessdk.ErrNotFound) {
			t.Fatalf("err = %v, want ErrNotFound", err)
		}
	})
}

func TestMemoryMetadata(t *testing.T) {
	tests := []struct {
		name      string
		label     bool
		key, val  string
		wantErr   error
		wantKey   string
		wantValue string
	}{
		{"label", true, "race_phase", "waiting", nil, "agones.dev/sdk-race_phase", "waiting"},
		{"annotation", false, "note", "hello world!", nil, "agones.dev/sdk-note", "hello world!"},
		{"label key with a space", true, "bad key", "v", agonessdk.ErrInvalidArgument, "", ""},
		{"label value with a space", true, "k", "bad value", agonessdk.ErrInvalidArgument, "", ""},
		{"empty annotation key", false, "", "v", agonessdk.ErrInvalidArgument, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _ := newMemory(t)
			set, get := m.SetAnnotation, func(g agonessdk.GameServer) map[string]string { return g.ObjectMeta.Annotations }
			if tt.label {
				set, get = m.SetLabel, func(g agonessdk.GameServer) map[string]string { return g.ObjectMeta.Labels }
			}
			err := set(t.Context(), tt.key, tt.val)
			if !errors.Is(err, tt.wantErr) || (err != nil) != (tt.wantErr != nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			got := get(m.Snapshot())
			if tt.wantErr != nil {
				if len(got) != 0 {
					t.Errorf("metadata = %v after a refused change", got)
				}
				return
			}
			if got[tt.wantKey] != tt.wantValue {
				t.Errorf("metadata = %v, want %s=%s", got, tt.wantKey, tt.wantValue)
			}
		})
	}
}

func TestMemoryHealth(t *testing.T) {
	m, clk := newMemory(t)
	if !m.LastHealth().IsZero() || m.HealthCount() != 0 {
		t.Fatalf("before any ping: last %v count %d", m.LastHealth(), m.HealthCount())
	}
	for range 3 {
		clk.Advance(2 * time.Second)
		if err := m.Health(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := m.LastHealth(), epoch.Add(6*time.Second); !got.Equal(want) {
		t.Errorf("LastHealth = %v, want %v", got, want)
	}
	if got := m.HealthCount(); got != 3 {
		t.Errorf("HealthCount = %d, want 3", got)
	}
}

func TestMemoryCancelledContext(t *testing.T) {
	m, _ := newMemory(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := m.Ready(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Ready = %v, want context.Canceled", err)
	}
	if got := m.Snapshot().Status.State; got != agoneswire.StateScheduled {
		t.Errorf("state = %s after a cancelled Ready", got)
	}
	if err := m.WatchGameServer(ctx, func(*agonessdk.GameServer) {}); !errors.Is(err, context.Canceled) {
		t.Errorf("WatchGameServer = %v, want context.Canceled", err)
	}
}

func TestMemorySnapshotIsACopy(t *testing.T) {
	m, _ := newMemory(t)
	if err := m.AddListValue(t.Context(), agoneswire.PlayersList, "p1"); err != nil {
		t.Fatal(err)
	}
	s := m.Snapshot()
	s.ObjectMeta.Labels["x"] = "y"
	s.Status.Lists[agoneswire.PlayersList].Values[0] = "changed"
	s.Status.Ports[0].Port = 1
	gs, err := m.GameServer(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	gs.Status.Counters["rooms"] = agonessdk.Counter{Count: 99}
	again := m.Snapshot()
	if _, ok := again.ObjectMeta.Labels["x"]; ok {
		t.Error("label change leaked into the Memory")
	}
	if v := again.Status.Lists[agoneswire.PlayersList].Values[0]; v != "p1" {
		t.Errorf("list value = %q, want p1", v)
	}
	if p := again.Status.Ports[0].Port; p != 7654 {
		t.Errorf("port = %d, want 7654", p)
	}
	if c := again.Status.Counters["rooms"]; c.Count != 1 {
		t.Errorf("counter = %+v, want count 1", c)
	}
}

// watchStates runs WatchGameServer on m and sends what fn sees to the returned channel.
func watchStates(t *testing.T, sdk agonessdk.SDK) <-chan *agonessdk.GameServer {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	ch := make(chan *agonessdk.GameServer, 64)
	done := make(chan error, 1)
	go func() { done <- sdk.WatchGameServer(ctx, func(gs *agonessdk.GameServer) { ch <- gs }) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("WatchGameServer returned %v, want context.Canceled", err)
		}
	})
	return ch
}

func TestMemoryWatchInOrder(t *testing.T) {
	m, _ := newMemory(t)
	ch := watchStates(t, m)
	next := func(want agoneswire.GameServerState) *agonessdk.GameServer {
		t.Helper()
		gs := <-ch
		if gs.Status.State != want {
			t.Fatalf("watched state %s, want %s", gs.Status.State, want)
		}
		return gs
	}
	first := next(agoneswire.StateScheduled)
	steps := []struct {
		do   func() error
		want agoneswire.GameServerState
	}{
		{func() error { return m.Ready(t.Context()) }, agoneswire.StateReady},
		{func() error { _, err := m.ClusterAllocate([]string{"p1"}); return err }, agoneswire.StateAllocated},
		{func() error { return m.SetLabel(t.Context(), "race_phase", "running") }, agoneswire.StateAllocated},
		{func() error { return m.RemoveListValue(t.Context(), agoneswire.PlayersList, "p1") }, agoneswire.StateAllocated},
		{func() error { return m.Shutdown(t.Context()) }, agoneswire.StateShutdown},
	}
	prev := first
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatal(err)
		}
		gs := next(s.want)
		if gs.ObjectMeta.ResourceVersion == prev.ObjectMeta.ResourceVersion {
			t.Errorf("resource version did not change: %s", gs.ObjectMeta.ResourceVersion)
		}
		prev = gs
	}
	if prev.ObjectMeta.Labels["agones.dev/sdk-race_phase"] != "running" || len(prev.Status.Lists["players"].Values) != 0 {
		t.Errorf("final state = %+v", prev)
	}
}

func TestMemorySlowWatcherDoesNotBlockMutators(t *testing.T) {
	m, _ := newMemory(t)
	release := make(chan struct{})
	seen := make(chan *agonessdk.GameServer, 64)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go func() {
		_ = m.WatchGameServer(ctx, func(gs *agonessdk.GameServer) {
			seen <- gs
			<-release // the first call blocks until all the changes are done
		})
	}()
	first := <-seen
	// Each mutation would deadlock here if it waited for the watcher.
	for i := range 50 {
		if err := m.AddListValue(t.Context(), agoneswire.PlayersList, "p"); err != nil {
			t.Fatal(i, err)
		}
		if err := m.RemoveListValue(t.Context(), agoneswire.PlayersList, "p"); err != nil {
			t.Fatal(i, err)
		}
	}
	if err := m.SetLabel(t.Context(), "phase", "last"); err != nil {
		t.Fatal(err)
	}
	want := m.Snapshot().ObjectMeta.ResourceVersion
	close(release)
	got := <-seen
	if got.ObjectMeta.ResourceVersion != want || got.ObjectMeta.Labels["agones.dev/sdk-phase"] != "last" {
		t.Errorf("after the backlog the watcher saw version %s, want the latest %s", got.ObjectMeta.ResourceVersion, want)
	}
	if first.ObjectMeta.ResourceVersion == want {
		t.Errorf("first state already had the latest version")
	}
	// Each call got its own copy: changing one does not touch the Memory.
	got.ObjectMeta.Labels["agones.dev/sdk-phase"] = "tampered"
	if m.Snapshot().ObjectMeta.Labels["agones.dev/sdk-phase"] != "last" {
		t.Error("a watcher's change leaked into the Memory")
	}
}

func TestMemoryWatchersAreIndependent(t *testing.T) {
	m, _ := newMemory(t)
	a, b := watchStates(t, m), watchStates(t, m)
	for _, ch := range []<-chan *agonessdk.GameServer{a, b} {
		if gs := <-ch; gs.Status.State != agoneswire.StateScheduled {
			t.Fatalf("first state %s", gs.Status.State)
		}
	}
	if err := m.Ready(t.Context()); err != nil {
		t.Fatal(err)
	}
	ga, gb := <-a, <-b
	if ga.Status.State != agoneswire.StateReady || gb.Status.State != agoneswire.StateReady {
		t.Fatalf("states %s %s", ga.Status.State, gb.Status.State)
	}
	ga.Status.Lists[agoneswire.PlayersList] = agonessdk.List{Capacity: 9}
	if gb.Status.Lists[agoneswire.PlayersList].Capacity != 2 {
		t.Error("watchers share a GameServer")
	}
}

func TestLobbiesRoundTrip(t *testing.T) {
	if v := agoneswire.EncodeLobbies(nil); v != "" {
		t.Fatalf("no lobbies encoded as %q, want empty", v)
	}
	in := map[string][]string{"r-2": {"b", "a"}, "r-1": nil}
	v := agoneswire.EncodeLobbies(in)
	if want := `{"r-1":[],"r-2":["a","b"]}`; v != want {
		t.Fatalf("encoded %s, want %s", v, want)
	}
	out, err := agoneswire.DecodeLobbies(v)
	if err != nil || len(out) != 2 || len(out["r-1"]) != 0 || !slices.Equal(out["r-2"], []string{"a", "b"}) {
		t.Fatalf("decoded %v, %v", out, err)
	}
	if out, err := agoneswire.DecodeLobbies(""); err != nil || out != nil {
		t.Fatalf("empty value: %v, %v", out, err)
	}
	if _, err := agoneswire.DecodeLobbies(`["r-1"]`); err == nil {
		t.Fatal("a value that is not an object was read")
	}
}
