package placement

import (
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// benchMatches is how many matches the engine holds while the benchmarks place.
const benchMatches = 4000

// benchEngine holds benchMatches started matches, each with its pair of players, on 16 servers of 512, with a clock that moves one
// microsecond per call: pending matches placed by the benchmark expire after
// 2,000 calls, so the engine stays at its size however long it runs.
func benchEngine(b *testing.B) (*Engine, *clock) {
	b.Helper()
	c := newClock()
	e, err := New(Config{SeatsPerMatch: 2, Pending: 2000 * time.Microsecond, MatchPrefix: "bench-", Now: c.Now})
	if err != nil {
		b.Fatal(err)
	}
	const servers, capacity = 16, 512
	for i := range servers {
		e.Upsert(Server{Name: fmt.Sprint("gs-", i), Address: "10.0.0.1", Port: int32(7000 + i), Capacity: capacity}, nil)
	}
	reported := map[string][]string{}
	for i := range benchMatches {
		ids := []string{"seed" + strconv.Itoa(i), "seed" + strconv.Itoa(i) + ".2"}
		p, err := e.Place(ids)
		if err != nil {
			b.Fatal(err)
		}
		if p.Joined {
			b.Fatalf("seed match %d joined %s", i, p.Match)
		}
		reported[p.Server] = append(reported[p.Server], p.Match)
	}
	for i := range servers {
		name := fmt.Sprint("gs-", i)
		e.Upsert(Server{Name: name, Address: "10.0.0.1", Port: int32(7000 + i), Capacity: capacity}, reported[name])
	}
	if s := e.Stats(); s.Started != benchMatches {
		b.Fatalf("seeded %+v, want %d started matches", s, benchMatches)
	}
	return e, c
}

// BenchmarkPlace places fresh players, one per call, in an engine holding
// 4,000 matches: matches/s is what one allocator replica's engine sustains.
func BenchmarkPlace(b *testing.B) {
	e, c := benchEngine(b)
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		c.Advance(time.Microsecond)
		if _, err := e.Place([]string{"p" + strconv.Itoa(i)}); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "matches/s")
}

// BenchmarkPlaceParallel is BenchmarkPlace from GOMAXPROCS goroutines at once.
func BenchmarkPlaceParallel(b *testing.B) {
	e, c := benchEngine(b)
	var n atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			c.Advance(time.Microsecond)
			if _, err := e.Place([]string{"p" + strconv.FormatInt(n.Add(1), 10)}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "matches/s")
}

// BenchmarkPlaceRepeat asks again for players who hold a placement (a client
// retrying POST /v1/match).
func BenchmarkPlaceRepeat(b *testing.B) {
	e, _ := benchEngine(b)
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		p, err := e.Place([]string{"seed" + strconv.Itoa(i%benchMatches)})
		if err != nil || !p.Joined {
			b.Fatalf("repeat %d: %+v, %v", i, p, err)
		}
		i++
	}
}
