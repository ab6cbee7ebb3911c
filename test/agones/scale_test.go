package agones

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"testing"

	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	leapfrog "github.com/leapfrog-games/leapfrog/client"
	"github.com/leapfrog-games/leapfrog/contract/agonesv1"
	"github.com/leapfrog-games/leapfrog/internal/allocator/agones"
	"github.com/leapfrog-games/leapfrog/internal/allocator/backend"
	"github.com/leapfrog-games/leapfrog/test/agones/rig"
)

// reserve matches n new players who never connect, and returns their
// guests. They are no-shows: their places come back after the no-show time.
func (s *suite) reserve(t *testing.T, api *leapfrog.Client, n int) []leapfrog.Guest {
	t.Helper()
	guests := make([]leapfrog.Guest, n)
	for i := range guests {
		guests[i] = s.guest(t, api)
		s.match(t, api, guests[i])
	}
	return guests
}

// watchFleet polls the Fleet until cond holds and returns how long that took.
func (s *suite) watchFleet(t *testing.T, rel *rig.Release, timeout time.Duration, what string, cond func(rig.Fleet) bool) time.Duration {
	t.Helper()
	start := time.Now()
	var f rig.Fleet
	err := rig.Poll(t.Context(), timeout, func() (bool, error) {
		var err error
		f, err = rig.GetFleet(t.Context(), s.admin, rel.Namespace, rel.Fleet)
		return err == nil && cond(f), err
	}, "Fleet %s/%s: %s", rel.Namespace, rel.Fleet, what)
	if err != nil {
		t.Fatalf("%v; last seen %+v", err, f)
	}
	return time.Since(start)
}

// TestBufferAutoscaler reserves places on the chart's Fleet with its Buffer
// FleetAutoscaler (4 Ready kept, values.yaml): the Fleet grows so that 4 stay
// Ready, then shrinks back to 4 once the no-shows' servers have shut down.
func TestBufferAutoscaler(t *testing.T) {
	s := needRig(t)
	s.waitFleetReady(t, s.main, 4, 2*time.Minute)
	before, err := rig.GetFleet(t.Context(), s.admin, s.main.Namespace, s.main.Fleet)
	if err != nil {
		t.Fatal(err)
	}
	s.reserve(t, s.api, 12) // six servers Allocated
	up := s.watchFleet(t, s.main, 2*time.Minute, "6 Allocated and 4 Ready", func(f rig.Fleet) bool {
		return f.AllocatedReplicas >= 6 && f.ReadyReplicas >= 4
	})
	t.Logf("Buffer policy: from %d replicas to 6 Allocated + 4 Ready in %.1fs", before.Replicas, up.Seconds())
	down := s.watchFleet(t, s.main, 3*time.Minute, "back to 4 replicas", func(f rig.Fleet) bool {
		return f.AllocatedReplicas == 0 && f.Replicas == 4 && f.ReadyReplicas == 4
	})
	t.Logf("Buffer policy: back to 4 replicas %.1fs later (no-show time 10s + empty session 20s + shutdown)", down.Seconds())
}

// TestListAutoscaler installs the chart with the List policy (keep 4 free
// places in the players lists, at least 4 places): filling the free places
// makes the Fleet grow until 4 are free again, and it shrinks back once the
// places are given back.
func TestListAutoscaler(t *testing.T) {
	s := needRig(t)
	rel, api := s.install(t, "list", s.state.Binary("race-server"),
		"autoscaler.policy=List", "autoscaler.list.bufferSize=4", "autoscaler.list.minCapacity=4",
		"autoscaler.list.maxCapacity=40", "fleet.replicas=2")
	s.waitFleetReady(t, rel, 2, 2*time.Minute)
	s.reserve(t, api, 4) // both servers full: no free place left
	up := s.watchFleet(t, rel, 2*time.Minute, "2 Allocated and 2 Ready (4 free places)", func(f rig.Fleet) bool {
		return f.AllocatedReplicas >= 2 && f.ReadyReplicas >= 2
	})
	t.Logf("List policy: every place taken, 4 free places again after %.1fs", up.Seconds())
	s.reserve(t, api, 4) // and again
	up = s.watchFleet(t, rel, 2*time.Minute, "4 Allocated and 2 Ready", func(f rig.Fleet) bool {
		return f.AllocatedReplicas >= 4 && f.ReadyReplicas >= 2
	})
	t.Logf("List policy: 8 places taken, 4 free places again after %.1fs", up.Seconds())
	down := s.watchFleet(t, rel, 3*time.Minute, "back to 2 replicas", func(f rig.Fleet) bool {
		return f.AllocatedReplicas == 0 && f.Replicas == 2 && f.ReadyReplicas == 2
	})
	t.Logf("List policy: back to 2 replicas %.1fs later", down.Seconds())
}

// TestMatchLatencyAndBurst measures, on a Fleet large enough for every
// player: /v1/match next to a raw GameServerAllocation of the same shape (the
// allocator's own request, sent straight to the API server), interleaved in
// the same run; then a burst of 200 new players at once.
func TestMatchLatencyAndBurst(t *testing.T) {
	s := needRig(t)
	const samples, burst = 20, 200
	replicas := (2*samples+burst)/2 + 10
	rel, api := s.install(t, "burst", s.state.Binary("race-server"),
		"autoscaler.enabled=false", "fleet.replicas="+strconv.Itoa(replicas))
	t.Logf("Fleet of %d GameServers Ready %.1fs after the apply", replicas, rel.FleetReady.Seconds())
	s.logMemory(t, rel)

	// The allocator's own request, made with the rig's admin credentials.
	scheme := runtime.NewScheme()
	if err := agonesv1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	cfg, err := s.state.RESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	creator, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := agones.New(creator, agones.Config{Namespace: rel.Namespace, Fleet: rel.Fleet, PortName: "default"}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	var viaAPI, direct []time.Duration
	for i := range samples {
		g := s.guest(t, api)
		start := time.Now()
		s.match(t, api, g)
		viaAPI = append(viaAPI, time.Since(start))
		start = time.Now()
		if _, err := raw.Allocate(t.Context(), backend.AllocationRequest{PlayerIDs: []string{fmt.Sprintf("raw-%d", i)}}); err != nil {
			t.Fatalf("raw allocation %d: %v", i, err)
		}
		direct = append(direct, time.Since(start))
	}
	t.Logf("latency over %d each, interleaved: /v1/match median %.0fms p99 %.0fms; raw GameServerAllocation median %.0fms p99 %.0fms",
		samples, ms(percentile(viaAPI, 0.5)), ms(percentile(viaAPI, 0.99)), ms(percentile(direct, 0.5)), ms(percentile(direct, 0.99)))

	res := s.burst(t, api, burst)
	t.Log(res)
	if res.unclean() > 0 {
		t.Errorf("a burst of %d players with room for all: %d failed other than with 503 no_capacity", burst, res.unclean())
	}
}

// burstResult is what a burst of matches gave.
type burstResult struct {
	n        int
	wall     time.Duration
	latency  []time.Duration
	failures map[string]int
}

// record counts one match: its latency, or its failure by kind.
func (r *burstResult) record(took time.Duration, err error) {
	var apiErr *leapfrog.APIError
	switch {
	case err == nil:
		r.latency = append(r.latency, took)
	case errors.As(err, &apiErr):
		r.failures[fmt.Sprintf("HTTP %d %s", apiErr.StatusCode, apiErr.Code)]++
	case errors.Is(err, context.DeadlineExceeded):
		r.failures["timeout"]++
	default:
		r.failures[err.Error()]++
	}
}

func (r burstResult) errors() int {
	n := 0
	for _, c := range r.failures {
		n += c
	}
	return n
}

// unclean counts the failures other than 503 no_capacity with Retry-After:
// the allocations that lost to others on the same servers until their
// retries ran out, which is what Agones' allocation rate gives under a burst
// and what a client retries. Anything else, an API the allocator could not
// reach in time included, is a fault.
func (r burstResult) unclean() int {
	n := 0
	for kind, c := range r.failures {
		if kind != "HTTP 503 no_capacity" {
			n += c
		}
	}
	return n
}

func (r burstResult) String() string {
	var fails []string
	for k, v := range r.failures {
		fails = append(fails, fmt.Sprintf("%s: %d", k, v))
	}
	return fmt.Sprintf("burst of %d new players: %d matched, %d failed [%s] in %.1fs: %.1f matches/s, p50 %.0fms, p99 %.0fms",
		r.n, len(r.latency), r.errors(), strings.Join(fails, ", "), r.wall.Seconds(),
		float64(len(r.latency))/r.wall.Seconds(), ms(percentile(r.latency, 0.5)), ms(percentile(r.latency, 0.99)))
}

// burst makes n guests first, then asks for all their matches at once, each
// with a 30 s client timeout.
func (s *suite) burst(t *testing.T, api *leapfrog.Client, n int) burstResult {
	t.Helper()
	return s.spreadBurst(t, []*leapfrog.Client{api}, n, n)
}

// logMemory reports the resident memory of the release's race servers and
// their sdk-servers.
func (s *suite) logMemory(t *testing.T, rel *rig.Release) {
	t.Helper()
	pods, err := rig.Pods(s.state.PodLogs)
	if err != nil {
		t.Logf("memory: %v", err)
		return
	}
	var game, sdk int64
	n := 0
	for key, p := range pods {
		if !strings.HasPrefix(key, rel.Namespace+"/") {
			continue
		}
		g, err1 := rig.RSS(p.GamePID)
		k, err2 := rig.RSS(p.SDKPID)
		if err1 != nil || err2 != nil {
			continue
		}
		game, sdk, n = game+g, sdk+k, n+1
	}
	if n == 0 {
		t.Log("memory: no pods found")
		return
	}
	t.Logf("resident memory per GameServer over %d idle Ready servers: race server %.1f MiB, sdk-server %.1f MiB, together %.1f MiB",
		n, mib(game)/float64(n), mib(sdk)/float64(n), mib(game+sdk)/float64(n))
}
