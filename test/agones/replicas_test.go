package agones

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	leapfrog "github.com/leapfrog-games/leapfrog/client"
	"github.com/leapfrog-games/leapfrog/test/agones/rig"
)

// placements is the allocator's counter of players placed on its leases.
const placements = `leapfrog_allocator_lease_placements_total{race="new"}`

// TestAllocatorScaleInAndOut has bots race through three allocator replicas
// of a high-density release while the replicas go 3 -> 1 -> 3: a replica
// leaving the Service gets SIGTERM, finishes what it has in flight and
// exits, its leased servers finish their races; a new replica takes matches
// as soon as it is ready. No race may be dropped.
func TestAllocatorScaleInAndOut(t *testing.T) {
	s := needRig(t)
	rel, _ := s.install(t, "scale", s.state.Binary("race-server"), "autoscaler.enabled=false",
		"fleet.racesPerServer=50", "fleet.replicas=8", "race.rules.max-connections-per-ip=100000")
	replicas := []*rig.Allocator{&rel.Allocators[0], s.startAllocator(t, rel), s.startAllocator(t, rel)}
	svc := newService(t, 6, replicas[0].URL, replicas[1].URL, replicas[2].URL)

	loaded := make(chan struct{})
	var sumText string
	var ok bool
	var failures string
	var matchP99 time.Duration
	go func() {
		defer close(loaded)
		sum := botLoad(t, svc.urls(), 80, 8, 300) // 480 races, 48 at once
		sumText, ok, failures, matchP99 = fmt.Sprintf("%s; %d retries", sum, sum.Retries), sum.OK(), sum.FailureReport(), percentile(sum.Match, 0.99)
	}()
	time.Sleep(10 * time.Second)

	// 3 -> 1: two replicas leave the Service, then get SIGTERM together.
	var wg sync.WaitGroup
	stops := make([]time.Duration, 2)
	for i, a := range replicas[1:] {
		svc.remove(a.URL)
		wg.Go(func() {
			began := time.Now()
			a.Stop(15 * time.Second)
			stops[i] = time.Since(began)
		})
	}
	wg.Wait()
	t.Logf("figure: 3 -> 1: the two replicas exited %v after SIGTERM", stops)
	time.Sleep(15 * time.Second)

	// 1 -> 3: two new replicas; each takes matches once ready.
	for range 2 {
		began := time.Now()
		a := s.startAllocator(t, rel)
		ready := time.Since(began)
		svc.add(t, a.URL)
		err := rig.Poll(t.Context(), 30*time.Second, func() (bool, error) {
			return scrape(t, a.URL, placements) > 0, nil
		}, "the new replica %s to place a race", a.URL)
		if err != nil {
			t.Error(err)
			continue
		}
		t.Logf("figure: 1 -> 3: a new replica ready %.1fs after its start, placing races %.1fs after its start", ready.Seconds(), time.Since(began).Seconds())
	}
	<-loaded
	t.Logf("figure: bots through 3 -> 1 -> 3 replicas (480 races, 48 at once): %s; match p99 %.0fms; %d requests the Service could not pass on",
		sumText, ms(matchP99), svc.failed.Load())
	if !ok {
		t.Errorf("races dropped while scaling: %s\n%s", sumText, failures)
	}
}

// TestBurstOf10000OverThreeReplicas: 10,000 new players over three
// allocator replicas, then 10,000 more on one, in the same run, on
// high-density servers of 1,000 races. Players arrive with at most inflight
// matches open at once (players come as fast as they are answered).
func TestBurstOf10000OverThreeReplicas(t *testing.T) {
	s := needRig(t)
	const players, inflight = 10000, 1000
	rel, _ := s.install(t, "burst10k", s.state.Binary("race-server"), "autoscaler.enabled=false",
		"fleet.racesPerServer=1000", "fleet.replicas=16")
	client := &http.Client{Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: inflight}, Timeout: 30 * time.Second}
	apiOfURL := func(url string) *leapfrog.Client {
		api, err := leapfrog.New(url, client)
		if err != nil {
			t.Fatal(err)
		}
		return api
	}
	var three []*leapfrog.Client
	for range 3 {
		three = append(three, apiOfURL(s.startAllocator(t, rel).URL))
	}
	res := s.spreadBurst(t, three, players, inflight)
	t.Logf("figure: three replicas: %s", res)
	one := s.spreadBurst(t, []*leapfrog.Client{apiOfURL(rel.Allocators[0].URL)}, players, inflight)
	t.Logf("figure: one replica: %s", one)
	rateOne := float64(len(one.latency)) / one.wall.Seconds()
	rateThree := float64(len(res.latency)) / res.wall.Seconds()
	t.Logf("figure: matches/s: three replicas %.0f, one replica %.0f (%.2fx) on this 2-core machine", rateThree, rateOne, rateThree/rateOne)
	if res.errors() > 0 {
		t.Errorf("%d of %d players failed over three replicas", res.errors(), players)
	}
	if p99 := percentile(res.latency, 0.99); p99 >= time.Second {
		t.Errorf("three replicas: p99 %v, want < 1 s", p99)
	}
}

// spreadBurst makes n guests, round robin over apis, then asks for their
// matches, each on the replica that made its guest, at most inflight at
// once.
func (s *suite) spreadBurst(t *testing.T, apis []*leapfrog.Client, n, inflight int) burstResult {
	t.Helper()
	guests := make([]leapfrog.Guest, n)
	var wg sync.WaitGroup
	next := make(chan int)
	for range 50 {
		wg.Go(func() {
			for i := range next {
				g, err := apis[i%len(apis)].Guest(t.Context())
				if err != nil {
					t.Errorf("guest %d: %v", i, err)
					continue
				}
				guests[i] = g
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	res := burstResult{n: n, failures: map[string]int{}}
	var mu sync.Mutex
	slots := make(chan struct{}, inflight)
	start := time.Now()
	for i, g := range guests {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			began := time.Now()
			_, err := apis[i%len(apis)].Match(ctx, g.GuestToken, 1)
			took := time.Since(began)
			mu.Lock()
			defer mu.Unlock()
			res.record(took, err)
		})
	}
	wg.Wait()
	res.wall = time.Since(start)
	return res
}
