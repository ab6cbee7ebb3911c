package bot

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/leapfrog-games/leapfrog/client/internal/racetest"
	"github.com/leapfrog-games/leapfrog/contract/token"
	"github.com/leapfrog-games/leapfrog/internal/allocator/api"
	"github.com/leapfrog-games/leapfrog/internal/allocator/backend"
	"github.com/leapfrog-games/leapfrog/internal/allocator/local"
)

// allocator serves the real allocator API on 127.0.0.1 in front of b; with
// a nil b, in front of the local fleet of real race servers, which edits
// may change.
func allocator(t *testing.T, b backend.Backend, edits ...func(*local.Config)) string {
	t.Helper()
	keys, err := token.GenerateKeyset("test")
	if err != nil {
		t.Fatal(err)
	}
	issuer := token.NewIssuer(keys, nil)
	if b == nil {
		// Enough warm servers for the races played at once: no 503 waits.
		b = racetest.NewFleet(t, issuer, func(c *local.Config) {
			c.BufferSize = 4
			for _, edit := range edits {
				edit(c)
			}
		})
	}
	svc, err := api.New(api.Config{
		Backend: b, Issuer: issuer, GuestTTL: time.Hour, SessionTTL: time.Minute,
		GuestRate: 1000, GuestBurst: 1000, MatchRate: 1000, MatchBurst: 1000,
		// Every bot plays from 127.0.0.1.
		MaxPlacesPerIP: 1000,
		Registry:       prometheus.NewRegistry(),
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(svc)
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestRunPlaysFullRaces(t *testing.T) {
	url := allocator(t, nil)
	sum, err := Run(t.Context(), Config{
		Allocator: url, Races: 6, Concurrency: 3,
		HopDelay: 5 * time.Millisecond, HopJitter: 5 * time.Millisecond, EarlyPress: 0.5,
		HopTimeout: 100 * time.Millisecond, RaceTimeout: 30 * time.Second, Seed: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%v; retries %d, early presses %d", sum, sum.Retries, sum.EarlyPresses)
	if !sum.OK() || sum.Finished != 6 || sum.Failed != 0 {
		t.Fatalf("%v\n%s", sum, sum.FailureReport())
	}
	if len(sum.Match) != 12 {
		t.Errorf("%d match latencies, want 12", len(sum.Match))
	}
	// The winner of each race hops five times, the loser at least once.
	if len(sum.Hop) < 6*6 {
		t.Errorf("%d hop round trips, want at least 36", len(sum.Hop))
	}
	if sum.EarlyPresses == 0 {
		t.Error("no bot pressed early")
	}
	line := sum.String()
	if !strings.HasPrefix(line, "races: 6 finished, 0 failed; match p50=") || !strings.Contains(line, "; hop p50=") {
		t.Errorf("summary line %q", line)
	}
}

type noCapacity struct{}

func (noCapacity) Allocate(context.Context, backend.AllocationRequest) (backend.Assignment, error) {
	return backend.Assignment{}, backend.ErrNoCapacity
}

func TestRunRetriesAndFailsWithoutCapacity(t *testing.T) {
	url := allocator(t, noCapacity{})
	sum, err := Run(t.Context(), Config{Allocator: url, Races: 2, Concurrency: 2, RaceTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if sum.OK() || sum.Finished != 0 || sum.Failed != 2 {
		t.Fatalf("summary %v", sum)
	}
	// The second bot of a race asks only once the first has its match, which
	// never comes: the first bot of each race retries until the race times out.
	if sum.Retries < 2 {
		t.Errorf("%d retries, want each race's first bot to retry", sum.Retries)
	}
	if report := sum.FailureReport(); !strings.Contains(report, "no_capacity") || !strings.Contains(report, "race timeout") {
		t.Errorf("failure report:\n%s", report)
	}
	if !strings.HasPrefix(sum.String(), "races: 0 finished, 2 failed; match p50=- ") {
		t.Errorf("summary line %q", sum.String())
	}
}

func TestRunStopsWithTheContext(t *testing.T) {
	url := allocator(t, noCapacity{})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	sum, err := Run(ctx, Config{Allocator: url, Races: 5, Concurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Failed != 5 || sum.Finished != 0 {
		t.Errorf("summary %v", sum)
	}
}

func TestConfigIsChecked(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"no races", Config{Allocator: "http://127.0.0.1:1", Races: 0, Concurrency: 1}},
		{"no concurrency", Config{Allocator: "http://127.0.0.1:1", Races: 1, Concurrency: 0}},
		{"early press above 1", Config{Allocator: "http://127.0.0.1:1", Races: 1, Concurrency: 1, EarlyPress: 1.5}},
		{"negative delay", Config{Allocator: "http://127.0.0.1:1", Races: 1, Concurrency: 1, HopDelay: -1}},
		{"bad URL", Config{Allocator: "127.0.0.1:1", Races: 1, Concurrency: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Run(t.Context(), tt.cfg); err == nil {
				t.Error("accepted")
			}
		})
	}
}

func TestPercentile(t *testing.T) {
	ms := func(ns ...int) []time.Duration {
		var ds []time.Duration
		for _, n := range ns {
			ds = append(ds, time.Duration(n)*time.Millisecond)
		}
		return ds
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one", ms(7), 99, 7 * time.Millisecond},
		{"median of four", ms(1, 2, 3, 4), 50, 2 * time.Millisecond},
		{"p90 of 100", ms(hundred...), 90, 90 * time.Millisecond},
		{"p99 of 100", ms(hundred...), 99, 99 * time.Millisecond},
		{"p100", ms(1, 2, 3), 100, 3 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Percentile(tt.sorted, tt.p); got != tt.want {
				t.Errorf("Percentile(%v) = %v, want %v", tt.p, got, tt.want)
			}
		})
	}
}

func TestSummaryString(t *testing.T) {
	s := Summary{Races: 3, Finished: 2, Failed: 1,
		Match: []time.Duration{3 * time.Millisecond, time.Millisecond, 2 * time.Millisecond},
		Hop:   []time.Duration{1500 * time.Microsecond}}
	want := "races: 2 finished, 1 failed; match p50=2ms p90=3ms p99=3ms (n=3); hop p50=1.5ms p90=1.5ms p99=1.5ms (n=1)"
	if got := s.String(); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}
