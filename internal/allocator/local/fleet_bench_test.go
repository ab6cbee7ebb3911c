package local

import (
	"context"
	"errors"
	"flag"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/leapfrog-games/leapfrog/contract/agoneswire"
	"github.com/leapfrog-games/leapfrog/contract/token"
	"github.com/leapfrog-games/leapfrog/gameserver/agonessdk"
	"github.com/leapfrog-games/leapfrog/internal/allocator/backend"
	"github.com/leapfrog-games/leapfrog/internal/gameserver/raceserver"
)

// fleetSizes are the warm fleet sizes the allocation benchmarks run on: the
// default local fleet (8) and up. A load run that places a few thousand
// fresh players needs more: -args -fleet-sizes 8,64,512,2048.
var fleetSizes = flag.String("fleet-sizes", "8,64,512", "comma-separated fleet sizes of the allocation benchmarks")

func benchFleetSizes(b *testing.B) []int {
	b.Helper()
	var sizes []int
	for f := range strings.SplitSeq(*fleetSizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			b.Fatalf("-fleet-sizes %q: want positive integers", *fleetSizes)
		}
		sizes = append(sizes, n)
	}
	return sizes
}

// newBenchFleet starts a fleet of n real game servers, all Ready and none
// to be added (buffer = min = max = n). A fleet that does not come up is
// tried once more: two servers drawn with the same random name make the
// fleet lose one and wait for it in vain (likely in fleets of thousands).
func newBenchFleet(b *testing.B, n int) *Fleet {
	b.Helper()
	keys, err := token.GenerateKeyset("bench")
	if err != nil {
		b.Fatal(err)
	}
	for attempt := 1; ; attempt++ {
		f, err := NewFleet(context.Background(), Config{
			BufferSize: n, MinReplicas: n, MaxReplicas: n, Game: raceserver.DefaultGameOptions(),
			Tokens: token.NewIssuer(keys, nil),
		}, prometheus.NewRegistry(), slog.New(slog.DiscardHandler))
		if err == nil {
			b.Cleanup(f.Close)
			return f
		}
		if attempt == 2 {
			b.Fatal(err)
		}
		b.Logf("fleet of %d: %v; trying again", n, err)
	}
}

// allocate places players, waiting (untimed) while the fleet has no room: a
// fleet may learn of emptyFleet's reset asynchronously.
func allocate(b *testing.B, f *Fleet, ids ...string) backend.Assignment {
	b.Helper()
	ctx := context.Background()
	a, err := f.Allocate(ctx, backend.AllocationRequest{PlayerIDs: ids})
	if errors.Is(err, backend.ErrNoCapacity) {
		b.StopTimer()
		for deadline := time.Now().Add(10 * time.Second); errors.Is(err, backend.ErrNoCapacity) && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
			a, err = f.Allocate(ctx, backend.AllocationRequest{PlayerIDs: ids})
		}
		b.StartTimer()
	}
	if err != nil {
		b.Fatalf("allocate %v: %v", ids, err)
	}
	return a
}

// emptyFleet returns every server to Ready with an empty players list, as if
// its match had been played and the server recycled, and waits until the
// fleet sees them all Ready. It runs with the timer stopped.
func emptyFleet(b *testing.B, f *Fleet, n int) {
	b.Helper()
	ctx := context.Background()
	f.mu.Lock()
	sdks := make([]*agonessdk.Memory, 0, len(f.servers))
	for _, s := range f.servers {
		sdks = append(sdks, s.sdk)
	}
	f.mu.Unlock()
	for _, m := range sdks {
		for _, p := range m.Snapshot().Status.Lists[agoneswire.PlayersList].Values {
			if err := m.RemoveListValue(ctx, agoneswire.PlayersList, p); err != nil {
				b.Fatal(err)
			}
		}
		if err := m.Ready(ctx); err != nil {
			b.Fatal(err)
		}
	}
	for deadline := time.Now().Add(10 * time.Second); f.count(agoneswire.StateReady) < n; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d servers Ready after a reset", f.count(agoneswire.StateReady), n)
		}
	}
}

// BenchmarkFleetAllocate places fresh players, one per call, on a warm fleet
// of real game servers: pairs fill servers, as with POST /v1/match. When the
// fleet is full the timer stops and every server is emptied. The fleet sizes
// show how the cost of one call grows with the fleet.
func BenchmarkFleetAllocate(b *testing.B) {
	for _, n := range benchFleetSizes(b) {
		b.Run("servers="+strconv.Itoa(n), func(b *testing.B) {
			f := newBenchFleet(b, n)
			places, i := 2*n, 0
			b.ReportAllocs()
			for b.Loop() {
				if i > 0 && i%places == 0 {
					b.StopTimer()
					emptyFleet(b, f, n)
					b.StartTimer()
				}
				a := allocate(b, f, "p"+strconv.Itoa(i))
				if a.Joined != (i%2 == 1) {
					b.Fatalf("allocation %d: joined=%v: pairs should fill servers", i, a.Joined)
				}
				i++
			}
		})
	}
}

// BenchmarkFleetAllocateRepeat asks again for players who already hold a
// place (the idempotent path of a client retrying POST /v1/match) on a fleet
// where every server holds a pair.
func BenchmarkFleetAllocateRepeat(b *testing.B) {
	for _, n := range benchFleetSizes(b) {
		b.Run("servers="+strconv.Itoa(n), func(b *testing.B) {
			f := newBenchFleet(b, n)
			ctx := context.Background()
			ids := make([]string, n)
			for i := range ids {
				ids[i] = "p" + strconv.Itoa(i)
				allocate(b, f, ids[i], ids[i]+".2")
			}
			i := 0
			b.ReportAllocs()
			for b.Loop() {
				a, err := f.Allocate(ctx, backend.AllocationRequest{PlayerIDs: []string{ids[i%n]}})
				if err != nil || !a.Joined {
					b.Fatalf("repeat %d: %+v, %v", i, a, err)
				}
				i++
			}
		})
	}
}

// highDensityBenchMatches is how many running matches the high-density fleet holds
// while the high-density benchmarks place players.
const highDensityBenchMatches = 4000

// newHighDensityBenchFleet starts 16 high-density servers of 512 matches, with
// highDensityBenchMatches matches running on them (reported in their matches lists, as
// game servers do when players come). Placed matches nobody joins are
// forgotten after noShow on the clock now, so that the fleet keeps room
// however long a benchmark runs, as matches ending would.
func newHighDensityBenchFleet(b *testing.B, now func() time.Time, noShow time.Duration) *Fleet {
	b.Helper()
	keys, err := token.GenerateKeyset("bench")
	if err != nil {
		b.Fatal(err)
	}
	const servers, perServer = 16, 512
	g := raceserver.DefaultGameOptions()
	g.NoShowTimeout = noShow
	f, err := NewFleet(context.Background(), Config{
		MatchesPerServer: perServer, BufferSize: servers * perServer, MinReplicas: servers, MaxReplicas: servers,
		Game: g, Tokens: token.NewIssuer(keys, nil), Now: now,
	}, prometheus.NewRegistry(), slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(f.Close)
	ctx := context.Background()
	for i := range highDensityBenchMatches {
		id := "seed" + strconv.Itoa(i)
		a := allocate(b, f, id, id+".2")
		if err := serverNamed(f, a.GameServer).sdk.AddListValue(ctx, agoneswire.MatchesList, a.Match); err != nil {
			b.Fatal(err)
		}
	}
	for deadline := time.Now().Add(10 * time.Second); f.highDensity.Stats().Started < highDensityBenchMatches; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			b.Fatalf("the fleet sees %+v, want %d matches started", f.highDensity.Stats(), highDensityBenchMatches)
		}
	}
	return f
}

// stepClock, once started, moves one microsecond each time it is read:
// placed matches are forgotten after a fixed number of calls, as if the
// fleet's matches ended at the pace they start.
type stepClock struct {
	ns      atomic.Int64
	running atomic.Bool
}

func newStepClock() *stepClock {
	c := &stepClock{}
	c.ns.Store(time.Now().UnixNano())
	return c
}

func (c *stepClock) Now() time.Time {
	if !c.running.Load() {
		return time.Unix(0, c.ns.Load())
	}
	return time.Unix(0, c.ns.Add(int64(time.Microsecond)))
}

// BenchmarkHighDensityAllocate places fresh players, one per call, on a
// high-density fleet running 4,000 matches: pairs fill matches. Placed matches
// are forgotten after a few thousand calls.
func BenchmarkHighDensityAllocate(b *testing.B) {
	clk := newStepClock()
	f := newHighDensityBenchFleet(b, clk.Now, 4*time.Millisecond)
	clk.running.Store(true)
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		allocate(b, f, "p"+strconv.Itoa(i))
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "matches/s")
}

// BenchmarkHighDensityAllocateParallel is BenchmarkHighDensityAllocate from 64
// goroutines on two cores: 64 clients in a closed loop.
func BenchmarkHighDensityAllocateParallel(b *testing.B) {
	clk := newStepClock()
	f := newHighDensityBenchFleet(b, clk.Now, 4*time.Millisecond)
	clk.running.Store(true)
	var n atomic.Int64
	b.SetParallelism(32)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			id := "p" + strconv.FormatInt(n.Add(1), 10)
			if _, err := f.Allocate(ctx, backend.AllocationRequest{PlayerIDs: []string{id}}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "matches/s")
}

// BenchmarkHighDensityAllocateOpenLoop places b.N fresh players at 5,000 a second
// on a fixed schedule (a goroutine per call, as requests arrive) and
// reports the latency percentiles, each counted from the call's scheduled
// start (what a client waits, with this benchmark's own lateness in
// starting it), and those of the call alone (svc-): -benchtime 10000x is
// two seconds.
func BenchmarkHighDensityAllocateOpenLoop(b *testing.B) {
	const rate = 5000
	f := newHighDensityBenchFleet(b, time.Now, time.Second)
	lat, svc := make([]time.Duration, b.N), make([]time.Duration, b.N)
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		at := start.Add(time.Duration(i) * time.Second / rate)
		time.Sleep(time.Until(at))
		wg.Go(func() {
			t0 := time.Now()
			if _, err := f.Allocate(context.Background(), backend.AllocationRequest{PlayerIDs: []string{"p" + strconv.Itoa(i)}}); err != nil {
				b.Error(err)
			}
			lat[i], svc[i] = time.Since(at), time.Since(t0)
		})
	}
	wg.Wait()
	b.StopTimer()
	for _, d := range []struct {
		prefix string
		lat    []time.Duration
	}{{"", lat}, {"svc-", svc}} {
		slices.Sort(d.lat)
		for _, q := range []struct {
			name string
			at   float64
		}{{"p50-ms", 0.50}, {"p99-ms", 0.99}, {"max-ms", 1}} {
			b.ReportMetric(float64(d.lat[min(int(q.at*float64(len(d.lat))), len(d.lat)-1)])/float64(time.Millisecond), d.prefix+q.name)
		}
	}
}
