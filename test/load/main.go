// Command load drives an allocator's HTTP API hard over loopback and prints
// one summary line: requests, successful requests per second, latency
// percentiles and errors by HTTP code. It exits 0 only if no request failed
// unexpectedly.
//
//	go run ./test/load -allocator http://127.0.0.1:8080 -mode fresh -concurrency 64 -duration 10s -guests 4000
//
// Modes (what one timed request is):
//
//   - fresh: POST /v1/match for a guest never matched before, so every
//     request places a new player (pairs fill game servers). The guests are
//     made before timing (POST /v1/guest); the run ends when they are used up.
//   - repeat: POST /v1/match for the worker's own guest, matched once before
//     timing: the idempotent path (same game server every time, no new slot).
//   - guest: POST /v1/guest (mint one identity).
//   - healthz: GET /healthz, the HTTP floor of the same server.
//
// By default each worker sends its next request as soon as the last one was
// answered (closed loop); -rate starts requests on a fixed schedule instead
// and counts each latency from its scheduled start (open loop). See README.md
// for what the numbers mean and the allocator flags a run needs.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/leapfrog-games/leapfrog/test/load/internal/loadstat"
)

// Modes.
const (
	modeFresh   = "fresh"
	modeRepeat  = "repeat"
	modeGuest   = "guest"
	modeHealthz = "healthz"
)

// Bounds on the flags, so that a typo cannot start an endless or huge run.
const (
	maxConcurrency = 4096
	maxDuration    = 10 * time.Minute
	maxRequests    = 10_000_000
	maxGuests      = 1_000_000
	maxBody        = 64 << 10
)

type config struct {
	allocator   *url.URL
	mode        string
	concurrency int
	duration    time.Duration
	requests    int
	guests      int
	prefill     int
	seats       int
	timeout     time.Duration
	rate        float64
	allow       map[int]bool
	metrics     bool
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "load:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	cl := newClient(cfg)
	defer cl.close()
	l := &loader{cfg: cfg, cl: cl, log: stderr}
	if err := l.setup(ctx); err != nil {
		fmt.Fprintln(stderr, "load: setup:", err)
		return 2
	}
	res := l.measure(ctx)
	fmt.Fprintln(stdout, res.summary(cfg))
	if res.unexpected > 0 {
		for _, e := range res.samples {
			fmt.Fprintln(stderr, "load: example failure:", e)
		}
		return 1
	}
	if res.ok == 0 {
		fmt.Fprintln(stderr, "load: no request succeeded")
		return 1
	}
	return 0
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	cfg := config{mode: modeFresh, concurrency: 64, duration: 10 * time.Second, guests: 2000, seats: 1, timeout: 5 * time.Second}
	base := "http://127.0.0.1:8080"
	allow := ""
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&base, "allocator", base, "allocator base URL; loopback only (127.0.0.0/8, ::1, localhost)")
	fs.StringVar(&cfg.mode, "mode", cfg.mode, "what to measure: fresh, repeat, guest or healthz (see the package comment)")
	fs.IntVar(&cfg.concurrency, "concurrency", cfg.concurrency, "requests in flight at once (one connection each)")
	fs.DurationVar(&cfg.duration, "duration", cfg.duration, "time limit of the timed phase")
	fs.IntVar(&cfg.requests, "requests", 0, "most timed requests; 0 for no limit other than -duration (and -guests in fresh mode)")
	fs.IntVar(&cfg.guests, "guests", cfg.guests, "fresh: guest identities made before timing, the most matches the run can ask for")
	fs.IntVar(&cfg.prefill, "prefill", 0, "fresh: players matched before timing and left in their races, so that the fleet holds their races "+
		"(-prefill 8000 is 4,000 races of two) while the timed matches run")
	fs.IntVar(&cfg.seats, "seats", cfg.seats, "fresh, repeat: seats per match request (2 = living-room play, a whole race per request)")
	fs.DurationVar(&cfg.timeout, "timeout", cfg.timeout, "time limit of one request")
	fs.Float64Var(&cfg.rate, "rate", 0, "open loop: start this many requests per second in all (at most -concurrency in flight), "+
		"latency counted from each request's scheduled start; 0 = closed loop, each worker sends as soon as its last answer came")
	fs.StringVar(&allow, "allow", "", "HTTP codes that count as expected refusals, not failures, e.g. 503 (comma-separated)")
	fs.BoolVar(&cfg.metrics, "metrics", true, "read the allocator's /metrics before and after the timed phase (its CPU time, heap, allocations)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: load [flags]\n\nDrives the allocator's HTTP API over loopback and prints one summary line.")
		fmt.Fprintln(stderr, "Exits 0 only if no request failed unexpectedly.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	var errs []error
	if fs.NArg() > 0 {
		errs = append(errs, fmt.Errorf("unexpected arguments %q", fs.Args()))
	}
	u, err := loopbackURL(base)
	if err != nil {
		errs = append(errs, err)
	}
	cfg.allocator = u
	switch cfg.mode {
	case modeFresh, modeRepeat, modeGuest, modeHealthz:
	default:
		errs = append(errs, fmt.Errorf("-mode %q: want fresh, repeat, guest or healthz", cfg.mode))
	}
	if cfg.concurrency < 1 || cfg.concurrency > maxConcurrency {
		errs = append(errs, fmt.Errorf("-concurrency %d: want 1..%d", cfg.concurrency, maxConcurrency))
	}
	if cfg.duration <= 0 || cfg.duration > maxDuration {
		errs = append(errs, fmt.Errorf("-duration %v: want more than 0 and at most %v", cfg.duration, maxDuration))
	}
	if cfg.requests < 0 || cfg.requests > maxRequests {
		errs = append(errs, fmt.Errorf("-requests %d: want 0..%d", cfg.requests, maxRequests))
	}
	if cfg.guests < 1 || cfg.guests > maxGuests {
		errs = append(errs, fmt.Errorf("-guests %d: want 1..%d", cfg.guests, maxGuests))
	}
	if cfg.prefill < 0 || cfg.prefill > maxGuests {
		errs = append(errs, fmt.Errorf("-prefill %d: want 0..%d", cfg.prefill, maxGuests))
	}
	if cfg.seats < 1 || cfg.seats > 2 {
		errs = append(errs, fmt.Errorf("-seats %d: want 1 or 2", cfg.seats))
	}
	if cfg.rate < 0 || cfg.rate > 1e6 {
		errs = append(errs, fmt.Errorf("-rate %v: want 0..1e6 requests per second", cfg.rate))
	}
	if cfg.timeout <= 0 || cfg.timeout > time.Minute {
		errs = append(errs, fmt.Errorf("-timeout %v: want more than 0 and at most 1m", cfg.timeout))
	}
	cfg.allow = map[int]bool{}
	for f := range strings.SplitSeq(allow, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		code, err := strconv.Atoi(f)
		if err != nil || code < 100 || code > 599 {
			errs = append(errs, fmt.Errorf("-allow %q: want HTTP status codes", allow))
			break
		}
		cfg.allow[code] = true
	}
	return cfg, errors.Join(errs...)
}

// loopbackURL accepts only http URLs whose host is a loopback address, so
// that the tool cannot be pointed at someone else's server.
func loopbackURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("-allocator %q: %w", raw, err)
	}
	if u.Scheme != "http" || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return nil, fmt.Errorf("-allocator %q: want http://<loopback address>:<port>", raw)
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); (ip == nil || !ip.IsLoopback()) && host != "localhost" {
		return nil, fmt.Errorf("-allocator %q: %q is not a loopback address; this tool only loads 127.0.0.0/8, ::1 or localhost", raw, host)
	}
	u.Path = ""
	return u, nil
}

// newHTTPClient keeps one connection per worker alive for the whole run.
type loader struct {
	cfg config
	cl  *client
	log io.Writer

	guests []guest // fresh: the pool; repeat: one per worker
	homes  []string
	body   []byte
}

type guest struct {
	PlayerID   string `json:"player_id"`
	GuestToken string `json:"guest_token"`
}

type matchAnswer struct {
	GameServer         string `json:"game_server"`
	Port               int    `json:"port"`
	PlayerID           string `json:"player_id"`
	PlayerSessionToken string `json:"player_session_token"`
	Seats              []struct {
		PlayerID string `json:"player_id"`
	} `json:"seats"`
}

// setup does the untimed work: guest identities, first matches, and one
// request per worker so that every connection is open before timing.
func (l *loader) setup(ctx context.Context) error {
	l.body = []byte("{}")
	if l.cfg.seats > 1 {
		l.body = []byte(`{"seats":` + strconv.Itoa(l.cfg.seats) + `}`)
	}
	switch l.cfg.mode {
	case modeFresh:
		n := l.cfg.guests
		if l.cfg.requests > 0 {
			n = min(n, l.cfg.requests)
		}
		start := time.Now()
		gs, err := l.makeGuests(ctx, n)
		if err != nil {
			return err
		}
		l.guests = gs
		fmt.Fprintf(l.log, "load: %d guest identities made in %v (untimed)\n", n, time.Since(start).Round(time.Millisecond))
		if err := l.prefill(ctx); err != nil {
			return err
		}
	case modeRepeat:
		gs, err := l.makeGuests(ctx, l.cfg.concurrency)
		if err != nil {
			return err
		}
		l.guests = gs
		l.homes = make([]string, len(gs))
		err = l.parallel(ctx, len(gs), func(i int) error {
			m, err := l.match(ctx, gs[i])
			if err != nil {
				return fmt.Errorf("first match of %s: %w (the fleet needs room for -concurrency x -seats players)", gs[i].PlayerID, err)
			}
			l.homes[i] = m.GameServer
			return nil
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(l.log, "load: %d players matched once (untimed)\n", len(gs))
	default:
		err := l.parallel(ctx, l.cfg.concurrency, func(int) error {
			if l.cfg.mode == modeHealthz {
				_, _, err := l.do(ctx, http.MethodGet, "/healthz", "", nil)
				return err
			}
			_, err := l.guest(ctx)
			return err
		})
		if err != nil {
			return fmt.Errorf("warm-up: %w", err)
		}
	}
	return nil
}

// prefill matches cfg.prefill fresh players, untimed, so that the fleet
// holds their places while the timed matches run.
func (l *loader) prefill(ctx context.Context) error {
	if l.cfg.prefill == 0 {
		return nil
	}
	start := time.Now()
	gs, err := l.makeGuests(ctx, l.cfg.prefill)
	if err != nil {
		return err
	}
	err = l.parallel(ctx, len(gs), func(i int) error {
		if _, err := l.match(ctx, gs[i]); err != nil {
			return fmt.Errorf("prefill match of %s: %w (the fleet needs room for -prefill + -guests players)", gs[i].PlayerID, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(l.log, "load: %d players matched in %v to fill the fleet (untimed)\n", len(gs), time.Since(start).Round(time.Millisecond))
	return nil
}

// makeGuests gets n guest identities, concurrency at a time.
func (l *loader) makeGuests(ctx context.Context, n int) ([]guest, error) {
	gs := make([]guest, n)
	err := l.parallel(ctx, n, func(i int) error {
		g, err := l.guest(ctx)
		if err != nil {
			return fmt.Errorf("guest identity: %w (raise the allocator's --guest-rate and --guest-burst for load runs)", err)
		}
		gs[i] = g
		return nil
	})
	return gs, err
}

// parallel runs fn(0..n-1) on cfg.concurrency workers and returns the first error.
func (l *loader) parallel(ctx context.Context, n int, fn func(i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var next atomic.Int64
	var once sync.Once
	var first error
	var wg sync.WaitGroup
	for range min(l.cfg.concurrency, n) {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := fn(i); err != nil {
					once.Do(func() { first = err; cancel() })
					return
				}
			}
		})
	}
	wg.Wait()
	if first == nil && ctx.Err() != nil {
		first = context.Cause(ctx)
	}
	return first
}

// statusError is an answer with an unexpected HTTP status.
type statusError struct {
	code int
	body string
}

func (e *statusError) Error() string { return fmt.Sprintf("HTTP %d: %s", e.code, e.body) }

// checkError is a 2xx answer that is wrong (bad JSON, another player, another server).
type checkError struct{ msg string }

func (e *checkError) Error() string { return e.msg }

// do sends one request and reads the whole answer; any status but want is a *statusError.
func (l *loader) do(ctx context.Context, method, path, bearer string, body []byte) ([]byte, int, error) {
	code, data, err := l.cl.do(ctx, method, path, bearer, body)
	if err != nil {
		return nil, 0, err
	}
	want := http.StatusOK
	if path == "/v1/guest" {
		want = http.StatusCreated
	}
	if code != want {
		return data, code, &statusError{code: code, body: strings.TrimSpace(string(data))}
	}
	return data, code, nil
}

func (l *loader) guest(ctx context.Context) (guest, error) {
	data, _, err := l.do(ctx, http.MethodPost, "/v1/guest", "", []byte("{}"))
	if err != nil {
		return guest{}, err
	}
	var g guest
	if err := json.Unmarshal(data, &g); err != nil || g.PlayerID == "" || g.GuestToken == "" {
		return guest{}, &checkError{fmt.Sprintf("guest answer %q: no player id or token", data)}
	}
	return g, nil
}

// match asks for g's match and checks that the answer is for g and complete.
func (l *loader) match(ctx context.Context, g guest) (matchAnswer, error) {
	data, _, err := l.do(ctx, http.MethodPost, "/v1/match", g.GuestToken, l.body)
	if err != nil {
		return matchAnswer{}, err
	}
	var m matchAnswer
	if err := json.Unmarshal(data, &m); err != nil {
		return m, &checkError{fmt.Sprintf("match answer %q: %v", data, err)}
	}
	if m.PlayerID != g.PlayerID || m.GameServer == "" || m.Port <= 0 || m.PlayerSessionToken == "" {
		return m, &checkError{fmt.Sprintf("match answer for %s is incomplete or for someone else: %s", g.PlayerID, data)}
	}
	if l.cfg.seats > 1 && len(m.Seats) != l.cfg.seats {
		return m, &checkError{fmt.Sprintf("match answer for %s has %d seats, want %d", g.PlayerID, len(m.Seats), l.cfg.seats)}
	}
	return m, nil
}

// result is what the timed phase saw.
type result struct {
	elapsed    time.Duration
	latencies  []time.Duration // of every answered request, successful or not
	ok         int
	unexpected int
	errors     map[string]int // by HTTP code, "net" or "check"
	samples    []string       // a few unexpected failures, for stderr
	servers    map[string]int // fresh: players placed per game server
	before     metricsSample
	after      metricsSample
	loadCPU    time.Duration
	machineCPU time.Duration // busy CPU time of the whole machine, or -1
	loadavg    [2]string     // 1-minute load average before and after
}

type workerResult struct {
	latencies []time.Duration
	ok        int
	errors    map[string]int
	samples   []string
	servers   map[string]int
	unexpect  int
}

// measure runs the timed phase: cfg.concurrency workers, each with one
// request in flight, until the duration, the request count or the guest pool
// runs out.
func (l *loader) measure(ctx context.Context) result {
	var res result
	if l.cfg.metrics {
		res.before = l.scrape(ctx)
	}
	limit := int64(l.cfg.requests)
	if l.cfg.mode == modeFresh {
		limit = int64(len(l.guests))
	}
	if limit == 0 {
		limit = maxRequests
	}
	var next atomic.Int64
	start := time.Now()
	deadline := start.Add(l.cfg.duration)
	// Bound the whole phase even if requests hang: each also has cfg.timeout.
	ctx, cancel := context.WithDeadline(ctx, deadline.Add(l.cfg.timeout))
	defer cancel()

	cpu0, busy0 := loadstat.SelfCPU(), loadstat.MachineBusy()
	res.loadavg[0] = loadstat.LoadAverage()
	workers := make([]workerResult, l.cfg.concurrency)
	var wg sync.WaitGroup
	for w := range workers {
		wr := &workers[w]
		wr.errors = map[string]int{}
		wr.servers = map[string]int{}
		wg.Go(func() {
			for ctx.Err() == nil && time.Now().Before(deadline) {
				i := next.Add(1) - 1
				if i >= limit {
					return
				}
				t0 := time.Now()
				if l.cfg.rate > 0 {
					// Request i is due at its place in the schedule; a late
					// start (every worker busy) counts in its latency.
					due := start.Add(time.Duration(float64(i) / l.cfg.rate * float64(time.Second)))
					if !due.Before(deadline) {
						return
					}
					if wait := time.Until(due); wait > 0 {
						select {
						case <-time.After(wait):
						case <-ctx.Done():
							return
						}
					}
					t0 = due
				}
				kind, err := l.one(ctx, w, int(i), wr)
				d := time.Since(t0)
				if kind != "net" {
					wr.latencies = append(wr.latencies, d)
				}
				if err == nil {
					wr.ok++
				} else {
					wr.errors[kind]++
					if code, _ := strconv.Atoi(kind); !l.cfg.allow[code] {
						wr.unexpect++
						if len(wr.samples) < 3 {
							wr.samples = append(wr.samples, err.Error())
						}
					}
				}
			}
		})
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	res.loadCPU = loadstat.SelfCPU() - cpu0
	res.machineCPU = -1
	if busy1 := loadstat.MachineBusy(); busy0 >= 0 && busy1 >= 0 {
		res.machineCPU = busy1 - busy0
	}
	res.loadavg[1] = loadstat.LoadAverage()
	if l.cfg.metrics {
		res.after = l.scrape(context.Background())
	}

	res.errors = map[string]int{}
	res.servers = map[string]int{}
	for _, wr := range workers {
		res.latencies = append(res.latencies, wr.latencies...)
		res.ok += wr.ok
		res.unexpected += wr.unexpect
		for k, v := range wr.errors {
			res.errors[k] += v
		}
		for k, v := range wr.servers {
			res.servers[k] += v
		}
		if len(res.samples) < 3 {
			res.samples = append(res.samples, wr.samples...)
		}
	}
	slices.Sort(res.latencies)
	return res
}

// one sends the timed request number i for worker w. kind classifies a
// failure: the HTTP code, "net" for no answer, "check" for a wrong answer.
func (l *loader) one(ctx context.Context, w, i int, wr *workerResult) (kind string, err error) {
	switch l.cfg.mode {
	case modeHealthz:
		_, _, err = l.do(ctx, http.MethodGet, "/healthz", "", nil)
	case modeGuest:
		_, err = l.guest(ctx)
	case modeRepeat:
		var m matchAnswer
		g := l.guests[w]
		if m, err = l.match(ctx, g); err == nil && m.GameServer != l.homes[w] {
			err = &checkError{fmt.Sprintf("player %s moved from %s to %s: the idempotent path placed it again", g.PlayerID, l.homes[w], m.GameServer)}
		}
	case modeFresh:
		var m matchAnswer
		if m, err = l.match(ctx, l.guests[i]); err == nil {
			wr.servers[m.GameServer] += l.cfg.seats
		}
	}
	if err == nil {
		return "", nil
	}
	if se, ok := errors.AsType[*statusError](err); ok {
		return strconv.Itoa(se.code), err
	}
	if _, ok := errors.AsType[*checkError](err); ok {
		return "check", err
	}
	return "net", err
}

func (r result) percentile(p float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	// Nearest rank.
	i := int(p*float64(len(r.latencies))+0.999999) - 1
	return r.latencies[min(max(i, 0), len(r.latencies)-1)]
}

func (r result) summary(cfg config) string {
	var b strings.Builder
	requests := len(r.latencies) + r.errors["net"]
	fmt.Fprintf(&b, "mode=%s concurrency=%d", cfg.mode, cfg.concurrency)
	if cfg.rate > 0 {
		fmt.Fprintf(&b, " rate=%.0f/s", cfg.rate)
	}
	fmt.Fprintf(&b, " requests=%d ok=%d elapsed=%s ok/s=%.0f",
		requests, r.ok, r.elapsed.Round(time.Millisecond), float64(r.ok)/r.elapsed.Seconds())
	if cfg.seats > 1 {
		fmt.Fprintf(&b, " seats=%d players/s=%.0f", cfg.seats, float64(r.ok*cfg.seats)/r.elapsed.Seconds())
	}
	fmt.Fprintf(&b, " p50=%s p90=%s p99=%s max=%s", ms(r.percentile(0.50)), ms(r.percentile(0.90)),
		ms(r.percentile(0.99)), ms(r.percentile(1)))
	fmt.Fprintf(&b, " errors=%s unexpected=%d", loadstat.Counts(r.errors), r.unexpected)
	if cfg.mode == modeFresh && len(r.servers) > 0 {
		most := 0
		for _, n := range r.servers {
			most = max(most, n)
		}
		fmt.Fprintf(&b, " game_servers=%d most_players_on_one=%d", len(r.servers), most)
	}
	if r.before.ok && r.after.ok && requests > 0 {
		cpu := r.after.cpuSeconds - r.before.cpuSeconds
		fmt.Fprintf(&b, " allocator_cpu=%.2fs (%.0fus/req, %.2f cores)", cpu, cpu*1e6/float64(requests), cpu/r.elapsed.Seconds())
		fmt.Fprintf(&b, " allocator_heap_inuse=%.1fMiB rss=%.1fMiB", r.after.heapInuse/(1<<20), r.after.rss/(1<<20))
		if cfg.mode == modeFresh || cfg.mode == modeRepeat {
			d := map[string]int{}
			for k, v := range r.after.allocations {
				if n := int(v - r.before.allocations[k]); n != 0 {
					d[k] = n
				}
			}
			fmt.Fprintf(&b, " allocations=%s", loadstat.Counts(d))
		}
	}
	fmt.Fprintf(&b, " load_cpu=%.2fs", r.loadCPU.Seconds())
	if r.machineCPU >= 0 && r.before.ok && r.after.ok {
		// What neither the allocator nor this tool used: other work on the
		// machine that competed for the cores during the timed phase.
		other := r.machineCPU.Seconds() - (r.after.cpuSeconds - r.before.cpuSeconds) - r.loadCPU.Seconds()
		fmt.Fprintf(&b, " other_cpu=%.2fs", max(other, 0))
	}
	if r.loadavg[0] != "" {
		fmt.Fprintf(&b, " loadavg=%s->%s", r.loadavg[0], r.loadavg[1])
	}
	return b.String()
}

func ms(d time.Duration) string { return strconv.FormatFloat(float64(d)/1e6, 'f', 2, 64) + "ms" }

// metricsSample is what the allocator's /metrics said at one moment.
type metricsSample struct {
	ok          bool
	cpuSeconds  float64
	heapInuse   float64
	rss         float64
	allocations map[string]float64 // leapfrog_allocator_allocations_total by result
}

// scrape reads a few series from /metrics; a failure only leaves them out of
// the summary.
func (l *loader) scrape(ctx context.Context) metricsSample {
	ctx, cancel := context.WithTimeout(ctx, l.cfg.timeout)
	defer cancel()
	data, _, err := l.do(ctx, http.MethodGet, "/metrics", "", nil)
	if err != nil {
		fmt.Fprintln(l.log, "load: /metrics:", err)
		return metricsSample{}
	}
	return parseMetrics(data)
}

func parseMetrics(data []byte) metricsSample {
	s := metricsSample{allocations: map[string]float64{}}
	seen := 0
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		name, value, ok := strings.Cut(line, " ")
		if !ok || strings.HasPrefix(line, "#") {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil {
			continue
		}
		switch {
		case name == "process_cpu_seconds_total":
			s.cpuSeconds = v
			seen++
		case name == "go_memstats_heap_inuse_bytes":
			s.heapInuse = v
		case name == "process_resident_memory_bytes":
			s.rss = v
		case strings.HasPrefix(name, `leapfrog_allocator_allocations_total{result="`):
			r := strings.TrimSuffix(strings.TrimPrefix(name, `leapfrog_allocator_allocations_total{result="`), `"}`)
			s.allocations[r] = v
		}
	}
	s.ok = seen == 1
	return s
}
