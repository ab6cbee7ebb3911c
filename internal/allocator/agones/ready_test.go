package agones

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/leapfrog-games/leapfrog/internal/allocator/backend"
	"github.com/leapfrog-games/leapfrog/internal/testwait"
)

func TestAPIProbe(t *testing.T) {
	t0 := time.Now()
	now := t0
	calls, down := 0, false
	p, err := NewAPIProbe(func(context.Context) error {
		calls++
		if down {
			return errors.New("connection refused")
		}
		return nil
	}, 2*time.Second, time.Second, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		at        time.Duration
		down      bool
		wantReady bool
		wantCalls int
	}{
		{0, false, true, 1},
		{time.Second, true, true, 1}, // cached
		{2 * time.Second, true, false, 2},
		{3 * time.Second, false, false, 2}, // cached
		{4 * time.Second, false, true, 3},  // back without a restart
	}
	for i, s := range steps {
		now, down = t0.Add(s.at), s.down
		err := p.Ready(t.Context())
		if (err == nil) != s.wantReady || calls != s.wantCalls {
			t.Fatalf("step %d at +%v: Ready() = %v after %d calls; want ready=%v after %d", i, s.at, err, calls, s.wantReady, s.wantCalls)
		}
	}
	if _, err := NewAPIProbe(nil, time.Second, time.Second, nil); err == nil {
		t.Error("accepted a nil check")
	}
	if _, err := NewAPIProbe(p.check, -time.Second, time.Second, nil); err == nil {
		t.Error("accepted a negative ttl")
	}
}

type countingBackend struct{ calls int }

func (b *countingBackend) Allocate(context.Context, backend.AllocationRequest) (backend.Assignment, error) {
	b.calls++
	return backend.Assignment{GameServer: "gs"}, nil
}

// TestFailFast: while the probe's last check failed, matches get
// ErrUnavailable without reaching the backend; a result older than two TTLs
// is not trusted, and a stale one is refreshed in the background.
func TestFailFast(t *testing.T) {
	t0 := time.Now()
	var mu sync.Mutex
	now, down := t0, true
	p, err := NewAPIProbe(func(context.Context) error {
		mu.Lock()
		defer mu.Unlock()
		if down {
			return errors.New("connection refused")
		}
		return nil
	}, 2*time.Second, time.Second, func() time.Time { mu.Lock(); defer mu.Unlock(); return now })
	if err != nil {
		t.Fatal(err)
	}
	set := func(at time.Duration, d bool) { mu.Lock(); now, down = t0.Add(at), d; mu.Unlock() }
	// checked waits for the background check started at +at to be stored.
	checked := func(at time.Duration) {
		t.Helper()
		testwait.Eventually(t, fmt.Sprintf("a background check stored at +%v", at), func() bool {
			r := p.last.Load()
			return r != nil && r.at.Equal(t0.Add(at))
		})
	}
	b := &countingBackend{}
	ff := FailFast{Backend: b, Probe: p}
	req := backend.AllocationRequest{PlayerIDs: []string{"p"}}

	// Nothing known yet: the match goes through, and a check starts.
	if _, err := ff.Allocate(t.Context(), req); err != nil || b.calls != 1 {
		t.Fatalf("unknown API: err %v, backend calls %d", err, b.calls)
	}
	checked(0)
	if _, err := ff.Allocate(t.Context(), req); !errors.Is(err, backend.ErrUnavailable) || b.calls != 1 {
		t.Fatalf("API down: err %v, backend calls %d; want ErrUnavailable without calling the backend", err, b.calls)
	}
	// The API is back; the stale result (older than the TTL) is refreshed in the background.
	set(3*time.Second, false)
	if _, err := ff.Allocate(t.Context(), req); !errors.Is(err, backend.ErrUnavailable) {
		t.Fatalf("stale failure within two TTLs: err %v", err)
	}
	checked(3 * time.Second)
	if _, err := ff.Allocate(t.Context(), req); err != nil || b.calls != 2 {
		t.Fatalf("API back: err %v, backend calls %d", err, b.calls)
	}
	// A failure nobody refreshed for two TTLs is not trusted.
	p.last.Store(&probeResult{at: t0.Add(3 * time.Second), err: errors.New("old")})
	set(7*time.Second, true)
	if _, err := ff.Allocate(t.Context(), req); err != nil || b.calls != 3 {
		t.Fatalf("failure two TTLs old: err %v, backend calls %d", err, b.calls)
	}
	checked(7 * time.Second)
}

// TestAPIProbeCollector scrapes leapfrog_allocator_kube_api_up through an
// outage: each scrape checks the API (within the TTL it reuses the check),
// and the gauge goes to 0 and back to 1 without a restart.
func TestAPIProbeCollector(t *testing.T) {
	t0 := time.Now()
	now, down, calls := t0, false, 0
	p, err := NewAPIProbe(func(context.Context) error {
		calls++
		if down {
			return errors.New("connection refused")
		}
		return nil
	}, 2*time.Second, time.Second, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(p.Collector())
	steps := []struct {
		name      string
		at        time.Duration
		down      bool
		want      float64
		wantCalls int
	}{
		{"first scrape checks", 0, false, 1, 1},
		{"API down, last check reused within the TTL", time.Second, true, 1, 1},
		{"API down, checked again", 3 * time.Second, true, 0, 2},
		{"API back", 6 * time.Second, false, 1, 3},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			now, down = t0.Add(s.at), s.down
			mfs, err := reg.Gather()
			if err != nil || len(mfs) != 1 || len(mfs[0].GetMetric()) != 1 {
				t.Fatalf("gathered %v (%v), want one series", mfs, err)
			}
			if v := mfs[0].GetMetric()[0].GetGauge().GetValue(); v != s.want || calls != s.wantCalls {
				t.Errorf("kube_api_up = %v after %d checks, want %v after %d", v, calls, s.want, s.wantCalls)
			}
		})
	}
}
