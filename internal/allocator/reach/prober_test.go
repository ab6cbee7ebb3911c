package reach

import (
	"context"
	"errors"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/leapfrog-games/leapfrog/gameserver/realtime/realtimetest"
)

// fakeDialer answers dials by address, counts them, and can hold them
// until released.
type fakeDialer struct {
	mu    sync.Mutex
	up    map[string]bool
	dials map[string]int
	hold  chan struct{} // nil: answer at once
}

func (d *fakeDialer) set(addr string, up bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.up[addr] = up
}

func (d *fakeDialer) count(addr string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.dials[addr]
}

func (d *fakeDialer) dial(ctx context.Context, _, addr string) (net.Conn, error) {
	d.mu.Lock()
	d.dials[addr]++
	up, hold := d.up[addr], d.hold
	d.mu.Unlock()
	if hold != nil {
		select {
		case <-hold:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if !up {
		return nil, errors.New("connection refused")
	}
	a, b := net.Pipe()
	b.Close()
	return a, nil
}

func newFake(t *testing.T, cfg Config) (*Prober, *fakeDialer, *realtimetest.FakeClock) {
	t.Helper()
	d := &fakeDialer{up: map[string]bool{}, dials: map[string]int{}}
	clock := realtimetest.NewFakeClock(time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC))
	cfg.Dial, cfg.Now = d.dial, clock.Now
	p, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return p, d, clock
}

var gs = Target{Name: "gs-1", Address: "10.0.0.1", Port: 7000}

const gsAddr = "10.0.0.1:7000"

func TestCheckJudgesByDial(t *testing.T) {
	for _, tc := range []struct {
		name  string
		steps []bool // the server's state at each check, a second apart
		want  []Verdict
	}{
		{"up", []bool{true, true}, []Verdict{Reachable, Reachable}},
		{"killed", []bool{true, false}, []Verdict{Reachable, Unreachable}},
		{"never reached is unknown, not unreachable", []bool{false, false}, []Verdict{Unknown, Unknown}},
		{"back", []bool{true, false, true}, []Verdict{Reachable, Unreachable, Reachable}},
		{"reached late, then killed", []bool{false, true, false}, []Verdict{Unknown, Reachable, Unreachable}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, d, clock := newFake(t, Config{})
			for i, up := range tc.steps {
				d.set(gsAddr, up)
				if got := p.Check(t.Context(), gs); got != tc.want[i] {
					t.Fatalf("check %d (server up %v): %s, want %s", i, up, got, tc.want[i])
				}
				clock.Add(DefaultFresh)
			}
			if n := d.count(gsAddr); n != len(tc.steps) {
				t.Fatalf("%d dials for %d checks a period apart, want one each", n, len(tc.steps))
			}
		})
	}
}

// TestAnswersAreSharedAndBounded: checks within Fresh reuse the last
// answer, concurrent checks share one dial, and the rate limit bounds the
// dials whatever the number of servers asked about.
func TestAnswersAreSharedAndBounded(t *testing.T) {
	t.Run("fresh answer reused", func(t *testing.T) {
		p, d, clock := newFake(t, Config{})
		d.set(gsAddr, true)
		p.Check(t.Context(), gs)
		d.set(gsAddr, false)
		clock.Add(DefaultFresh - time.Millisecond)
		if v := p.Check(t.Context(), gs); v != Reachable || d.count(gsAddr) != 1 {
			t.Fatalf("within Fresh: %s after %d dials, want the first answer and one dial", v, d.count(gsAddr))
		}
		clock.Add(time.Millisecond)
		if v := p.Check(t.Context(), gs); v != Unreachable || d.count(gsAddr) != 2 {
			t.Fatalf("after Fresh: %s after %d dials, want a new dial saying unreachable", v, d.count(gsAddr))
		}
	})
	t.Run("one dial in flight", func(t *testing.T) {
		p, d, _ := newFake(t, Config{})
		d.set(gsAddr, true)
		d.hold = make(chan struct{})
		var wg sync.WaitGroup
		verdicts := make(chan Verdict, 50)
		for range 50 {
			wg.Go(func() { verdicts <- p.Check(t.Context(), gs) })
		}
		for d.count(gsAddr) == 0 {
			time.Sleep(time.Millisecond) // the first checker dials
		}
		close(d.hold)
		wg.Wait()
		close(verdicts)
		for v := range verdicts {
			if v != Reachable {
				t.Fatalf("a checker got %s, want the shared dial's answer", v)
			}
		}
		if n := d.count(gsAddr); n != 1 {
			t.Fatalf("%d dials for 50 concurrent checks, want 1", n)
		}
	})
	t.Run("rate limit", func(t *testing.T) {
		p, d, clock := newFake(t, Config{Rate: 5, Burst: 10})
		dials := func() (n int) {
			for i := range 1000 {
				n += d.count("10.0.0.1:" + strconv.Itoa(i))
			}
			return n
		}
		for i := range 1000 {
			p.Check(t.Context(), Target{Name: strconv.Itoa(i), Address: "10.0.0.1", Port: int32(i)})
		}
		if n := dials(); n != 10 {
			t.Fatalf("%d dials for 1000 servers at once, want the burst, 10", n)
		}
		clock.Add(time.Second)
		for i := range 1000 {
			p.Check(t.Context(), Target{Name: strconv.Itoa(i), Address: "10.0.0.1", Port: int32(i)})
		}
		if n := dials(); n != 15 {
			t.Fatalf("%d dials a second later, want 10 + 5", n)
		}
	})
	t.Run("a waiting checker leaves with its context", func(t *testing.T) {
		p, d, _ := newFake(t, Config{})
		d.set(gsAddr, true)
		d.hold = make(chan struct{})
		defer close(d.hold)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if v := p.Check(ctx, gs); v != Unknown {
			t.Fatalf("%s, want unknown while the dial runs", v)
		}
	})
	t.Run("forget", func(t *testing.T) {
		p, d, _ := newFake(t, Config{})
		d.set(gsAddr, true)
		p.Check(t.Context(), gs)
		p.Forget(gs.Name)
		d.set(gsAddr, false)
		if v := p.Check(t.Context(), gs); v != Unknown {
			t.Fatalf("a forgotten server failing: %s, want unknown (never reached since)", v)
		}
	})
}

// TestRealListener probes a real listener on 127.0.0.1, then the same port
// once it is closed, as after a SIGKILL.
func TestRealListener(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	clock := realtimetest.NewFakeClock(time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC))
	p, err := New(Config{Now: clock.Now}, nil)
	if err != nil {
		t.Fatal(err)
	}
	target := Target{Name: "gs", Address: "127.0.0.1", Port: int32(port)}
	if v := p.Check(t.Context(), target); v != Reachable {
		t.Fatalf("listening: %s", v)
	}
	ln.Close()
	clock.Add(DefaultFresh)
	start := time.Now()
	if v := p.Check(t.Context(), target); v != Unreachable {
		t.Fatalf("closed: %s", v)
	}
	if took := time.Since(start); took > DefaultTimeout/2 {
		t.Errorf("a refused dial took %v: want it answered at once", took)
	}
}

func TestNewChecksConfig(t *testing.T) {
	for _, cfg := range []Config{{Timeout: -1}, {Fresh: -1}, {Rate: -1}, {Burst: -1}} {
		if _, err := New(cfg, nil); err == nil {
			t.Errorf("%+v: no error", cfg)
		}
	}
}
