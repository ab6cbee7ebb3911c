package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeAllocator answers like the allocator: guests are "guest-N" with the
// same token, fresh players are paired two to a game server, and a player
// asking again gets the same server (unless moving is set).
type fakeAllocator struct {
	mu       sync.Mutex
	guests   int
	placed   int
	byPlayer map[string]string
	moving   bool // give a player a new server every time
	refuse   int  // answer every refuse-th match with 503 (0: never)
	matches  int
}

func (f *fakeAllocator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch r.URL.Path {
	case "/healthz":
		fmt.Fprintln(w, "ok")
	case "/metrics":
		fmt.Fprintf(w, "# HELP x\nprocess_cpu_seconds_total %d\ngo_memstats_heap_inuse_bytes 1.048576e+06\n", f.matches)
		fmt.Fprintf(w, "leapfrog_allocator_allocations_total{result=\"joined\"} %d\n", f.matches)
	case "/v1/guest":
		f.guests++
		id := fmt.Sprintf("guest-%d", f.guests)
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(map[string]string{"player_id": id, "guest_token": id})
	case "/v1/match":
		f.matches++
		if f.refuse > 0 && f.matches%f.refuse == 0 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, `{"error":{"code":"no_capacity","message":"full"}}`)
			return
		}
		player := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		gs, ok := f.byPlayer[player]
		if !ok || f.moving {
			gs = fmt.Sprintf("race-%d", f.placed/2)
			f.placed++
			f.byPlayer[player] = gs
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"game_server": gs, "address": "127.0.0.1", "port": 7000,
			"player_id": player, "player_session_token": "t-" + player})
	default:
		http.NotFound(w, r)
	}
}

func runAgainst(t *testing.T, f *fakeAllocator, args ...string) (int, string, string) {
	t.Helper()
	f.byPlayer = map[string]string{}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	var stdout, stderr bytes.Buffer
	code := run(append([]string{"-allocator", srv.URL, "-duration", "5s", "-concurrency", "4"}, args...), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// TestPrefill: the players of -prefill are placed before timing and stay
// placed; the timed matches are the -guests on top of them.
func TestPrefill(t *testing.T) {
	f := &fakeAllocator{}
	code, out, errOut := runAgainst(t, f, "-mode", "fresh", "-guests", "30", "-prefill", "10")
	if code != 0 || !strings.Contains(out, "requests=30 ok=30") || !strings.Contains(errOut, "10 players matched") {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	if f.placed != 40 {
		t.Fatalf("%d players placed, want 10 before timing and 30 timed", f.placed)
	}
}

func TestModes(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"-mode", "healthz", "-requests", "40"}, []string{"mode=healthz", "requests=40 ok=40", "errors=none"}},
		{[]string{"-mode", "guest", "-requests", "40"}, []string{"mode=guest", "requests=40 ok=40"}},
		{[]string{"-mode", "repeat", "-requests", "40"}, []string{"mode=repeat", "requests=40 ok=40", "allocations=joined:40"}},
		{[]string{"-mode", "fresh", "-guests", "30"}, []string{"mode=fresh", "requests=30 ok=30", "game_servers=15 most_players_on_one=2"}},
		{[]string{"-mode", "fresh", "-guests", "30", "-rate", "2000"}, []string{"rate=2000/s", "requests=30 ok=30"}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, out, errOut := runAgainst(t, &fakeAllocator{}, tc.args...)
			if code != 0 {
				t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
			}
			if strings.Count(out, "\n") != 1 {
				t.Errorf("want one summary line, got %q", out)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("summary %q lacks %q", out, w)
				}
			}
		})
	}
}

func TestFailures(t *testing.T) {
	t.Run("refusals are failures", func(t *testing.T) {
		code, out, _ := runAgainst(t, &fakeAllocator{refuse: 3}, "-mode", "fresh", "-guests", "30")
		if code != 1 || !strings.Contains(out, "errors=503:10 unexpected=10") {
			t.Fatalf("exit %d, summary %q: want exit 1 and ten 503s", code, out)
		}
	})
	t.Run("allowed refusals are not", func(t *testing.T) {
		code, out, _ := runAgainst(t, &fakeAllocator{refuse: 3}, "-mode", "fresh", "-guests", "30", "-allow", "503")
		if code != 0 || !strings.Contains(out, "errors=503:10 unexpected=0") {
			t.Fatalf("exit %d, summary %q: want exit 0 and ten allowed 503s", code, out)
		}
	})
	t.Run("a player moved on the idempotent path", func(t *testing.T) {
		code, out, errOut := runAgainst(t, &fakeAllocator{moving: true}, "-mode", "repeat", "-requests", "8")
		if code != 1 || !strings.Contains(out, "errors=check:8") || !strings.Contains(errOut, "moved from") {
			t.Fatalf("exit %d, summary %q, stderr %q: want every request a check failure", code, out, errOut)
		}
	})
	t.Run("setup failure", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, `{"error":{"code":"rate_limited"}}`, http.StatusTooManyRequests)
		}))
		defer srv.Close()
		var stdout, stderr bytes.Buffer
		code := run([]string{"-allocator", srv.URL, "-mode", "fresh", "-guests", "4"}, &stdout, &stderr)
		if code != 2 || !strings.Contains(stderr.String(), "--guest-rate") {
			t.Fatalf("exit %d, stderr %q: want 2 and a hint about the guest rate limit", code, stderr.String())
		}
	})
}

func TestFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-allocator", "http://10.0.0.1:8080"},
		{"-allocator", "http://example.com:8080"},
		{"-allocator", "https://127.0.0.1:8080"},
		{"-allocator", "http://127.0.0.1:8080/v1"},
		{"-mode", "sideways"},
		{"-concurrency", "0"},
		{"-duration", "0s"},
		{"-duration", "1h"},
		{"-seats", "3"},
		{"-allow", "abc"},
		{"-rate", "-1"},
		{"extra"},
	} {
		var stderr bytes.Buffer
		if _, err := parseFlags(args, &stderr); err == nil {
			t.Errorf("%q: accepted", args)
		}
	}
	for _, a := range []string{"http://127.0.0.1:8080", "http://127.1.2.3:1/", "http://[::1]:8080", "http://localhost:8080"} {
		var stderr bytes.Buffer
		if _, err := parseFlags([]string{"-allocator", a}, &stderr); err != nil {
			t.Errorf("%s: %v", a, err)
		}
	}
}

func TestPercentile(t *testing.T) {
	r := result{}
	for i := 1; i <= 100; i++ {
		r.latencies = append(r.latencies, time.Duration(i)*time.Millisecond)
	}
	for p, want := range map[float64]time.Duration{0.5: 50 * time.Millisecond, 0.99: 99 * time.Millisecond, 1: 100 * time.Millisecond} {
		if got := r.percentile(p); got != want {
			t.Errorf("p%v = %v, want %v", p*100, got, want)
		}
	}
	if got := (result{}).percentile(0.5); got != 0 {
		t.Errorf("empty: %v", got)
	}
}

func TestParseMetrics(t *testing.T) {
	s := parseMetrics([]byte("# HELP process_cpu_seconds_total x\nprocess_cpu_seconds_total 12.5\n" +
		"go_memstats_heap_inuse_bytes 4.5e+06\nprocess_resident_memory_bytes 3e+07\n" +
		"leapfrog_allocator_allocations_total{result=\"created\"} 7\nleapfrog_allocator_allocations_total{result=\"joined\"} 8\n"))
	if !s.ok || s.cpuSeconds != 12.5 || s.heapInuse != 4.5e6 || s.rss != 3e7 || s.allocations["created"] != 7 || s.allocations["joined"] != 8 {
		t.Fatalf("parsed %+v", s)
	}
	if parseMetrics([]byte("up 1\n")).ok {
		t.Error("metrics without process CPU taken as complete")
	}
}
