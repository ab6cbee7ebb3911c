package agones

import (
	"bufio"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	leapfrog "github.com/leapfrog-games/leapfrog/client"
	"github.com/leapfrog-games/leapfrog/client/bot"
	"github.com/leapfrog-games/leapfrog/contract/agoneswire"
	"github.com/leapfrog-games/leapfrog/test/agones/rig"
	"github.com/leapfrog-games/leapfrog/test/internal/playtest"
)

// leaseAllocations is the allocator's counter of lease GameServerAllocations
// that seated a server.
const leaseAllocations = `leapfrog_allocator_lease_allocations_total{result="allocated"}`

// scrape reads one sample of the allocator's /metrics ("name{labels}").
func scrape(t *testing.T, base, sample string) float64 {
	t.Helper()
	resp, err := loopback.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 1<<20), 1<<20)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), sample+" "); ok {
			v, err := strconv.ParseFloat(rest, 64)
			if err != nil {
				t.Fatalf("%s: %v", sample, err)
			}
			return v
		}
	}
	return 0
}

// installDense installs a release whose race servers host racesPerServer
// races each, with its own allocator in lease mode.
func (s *suite) installDense(t *testing.T, name string, racesPerServer, replicas int) (*rig.Release, *apiOf) {
	t.Helper()
	rel, api := s.install(t, name, s.state.Binary("race-server"), "autoscaler.enabled=false",
		"fleet.racesPerServer="+strconv.Itoa(racesPerServer), "fleet.replicas="+strconv.Itoa(replicas),
		"race.rules.max-connections-per-ip=100000") // every bot comes from 127.0.0.1
	return rel, &apiOf{api: api, base: rel.Allocators[len(rel.Allocators)-1].URL}
}

// TestHighDensityRaceOnRealAgones pairs two players in one race of a
// high-density server, races it, and follows the GameServer: leased
// (Allocated, the allocator's lessee label), the race in its races list while
// it runs and gone once it ends, with one allocation for both players.
func TestHighDensityRaceOnRealAgones(t *testing.T) {
	s := needRig(t)
	rel, dense := s.installDense(t, "dense", 16, 1)
	ga, gb := s.guest(t, dense.api), s.guest(t, dense.api)
	ma, mb := s.match(t, dense.api, ga), s.match(t, dense.api, gb)
	if ma.GameServer != mb.GameServer {
		t.Fatalf("paired on %s and %s, want one high-density server", ma.GameServer, mb.GameServer)
	}
	players := []playtest.Player{
		playtest.Join(t, ma.WSURL, ga.PlayerID, ma.PlayerSessionToken),
		playtest.Join(t, mb.WSURL, gb.PlayerID, mb.PlayerSessionToken),
	}
	// The race runs while the GameServer is read: its list shows the race.
	listed := make(chan rig.GameServer, 1)
	go func() {
		gs, err := rig.GetGameServer(t.Context(), s.admin, rel.Namespace, ma.GameServer)
		for deadline := time.Now().Add(30 * time.Second); err == nil && len(gs.Races) != 1 && time.Now().Before(deadline); {
			time.Sleep(100 * time.Millisecond)
			gs, err = rig.GetGameServer(t.Context(), s.admin, rel.Namespace, ma.GameServer)
		}
		listed <- gs
	}()
	playtest.CheckOneWinner(t, players, playtest.Race(t, players...))
	gs := <-listed
	if gs.State != "Allocated" || len(gs.Races) != 1 || gs.Labels["leapfrog.dev/lessee"] == "" || gs.RaceCapacity != 16 {
		t.Errorf("the leased server during the race: state %s, races %v of %d, lessee %q; want Allocated, one race of 16, a lessee",
			gs.State, gs.Races, gs.RaceCapacity, gs.Labels["leapfrog.dev/lessee"])
	}
	s.waitGameServer(t, rel, ma.GameServer, 60*time.Second, "the finished race gone from the list", func(gs rig.GameServer) bool {
		return len(gs.Races) == 0
	})
	if n := scrape(t, dense.base, leaseAllocations); n != 1 {
		t.Errorf("%v lease allocations for one race, want 1", n)
	}
}

// TestHighDensityNoShowSeatGoesToTheNextPlayer: on a high-density server, a
// player placed next to one who came, who never comes himself, leaves a
// seat the race server reports (the annotation agones.dev/sdk-lobbies,
// written through the real sdk-server) once the race has waited the no-show
// window; the allocator reads it from its GameServer watch and gives the
// seat to the next player once the no-show's token has expired. The one who
// waited races the newcomer.
func TestHighDensityNoShowSeatGoesToTheNextPlayer(t *testing.T) {
	s := needRig(t)
	// values.yaml: no-show-timeout 10s; tokens of 5s: a seat is given back
	// 11s (5s, the 5s leeway and a second) after its player was placed.
	rel, api := s.install(t, "dense-noshow", s.state.Binary("race-server"), "autoscaler.enabled=false",
		"fleet.racesPerServer=16", "fleet.replicas=1", "allocator.sessionTTL=5s")
	ga, gb, gc := s.guest(t, api), s.guest(t, api), s.guest(t, api)
	ma := s.match(t, api, ga)
	a := playtest.Join(t, ma.WSURL, ga.PlayerID, ma.PlayerSessionToken)
	mb := s.match(t, api, gb)
	placed := time.Now()
	if mb.GameServer != ma.GameServer {
		t.Fatalf("b on %s, want a's server %s", mb.GameServer, ma.GameServer)
	}
	// b never comes. The server reports a's race waiting with a alone.
	gs := s.waitGameServer(t, rel, ma.GameServer, time.Minute, "a race reported waiting for players", func(gs rig.GameServer) bool {
		lobbies, err := agoneswire.DecodeLobbies(gs.Annotations[agoneswire.LobbiesAnnotation])
		for _, players := range lobbies {
			if err == nil && len(players) == 1 && players[0] == ga.PlayerID {
				return true
			}
		}
		return false
	})
	t.Logf("figure: no-show's race reported waiting %.1fs after the no-show was placed (%s)", time.Since(placed).Seconds(), gs.Annotations[agoneswire.LobbiesAnnotation])
	time.Sleep(time.Until(placed.Add(12 * time.Second)))
	mc := s.match(t, api, gc)
	if mc.GameServer != ma.GameServer {
		t.Fatalf("c on %s, want the no-show's seat on %s", mc.GameServer, ma.GameServer)
	}
	c := playtest.Join(t, mc.WSURL, gc.PlayerID, mc.PlayerSessionToken)
	t.Logf("figure: the no-show's seat taken by the next player %.1fs after the no-show was placed", time.Since(placed).Seconds())
	players := []playtest.Player{a, c}
	playtest.CheckOneWinner(t, players, playtest.Race(t, players...))
	s.waitGameServer(t, rel, ma.GameServer, time.Minute, "the race off the list and no race reported waiting", func(gs rig.GameServer) bool {
		return len(gs.Races) == 0 && gs.Annotations[agoneswire.LobbiesAnnotation] == ""
	})
}

// TestBurstOf1000BothModes: a burst of new players on the one-allocation-per-
// player mode (as many as this machine's sidecars allow), then 1,000 on high
// density, in the same run; then bots race on the high-density release to
// count the allocations per race in steady state and the memory per race.
func TestBurstOf1000BothModes(t *testing.T) {
	s := needRig(t)
	const single, burst = 100, 1000

	relSingle, apiSingle := s.install(t, "burst-single", s.state.Binary("race-server"),
		"autoscaler.enabled=false", "fleet.replicas="+strconv.Itoa(single/2+5))
	t.Logf("one race per GameServer: Fleet of %d Ready %.1fs after the apply", single/2+5, relSingle.FleetReady.Seconds())
	s.logMemory(t, relSingle)
	one := s.burst(t, apiSingle, single)
	t.Logf("figure: one allocation per player: %s", one)

	const perServer = 500
	relDense, dense := s.installDense(t, "burst-dense", perServer, 3)
	t.Logf("high density: Fleet of 3 servers x %d races Ready %.1fs after the apply", perServer, relDense.FleetReady.Seconds())
	res := s.burst(t, dense.api, burst)
	t.Logf("figure: high density: %s", res)
	leases := scrape(t, dense.base, leaseAllocations)
	t.Logf("figure: %v lease allocations for the burst's %d players", leases, burst)
	if res.errors() > 0 {
		t.Errorf("a burst of %d players with room for all: %d failed", burst, res.errors())
	}
	if p99 := percentile(res.latency, 0.99); p99 >= time.Second {
		t.Errorf("burst p99 %v, want < 1 s", p99)
	}
	rateOne := float64(len(one.latency)) / one.wall.Seconds()
	rateDense := float64(len(res.latency)) / res.wall.Seconds()
	t.Logf("figure: matches/s: high density %.0f vs one allocation per player %.1f: %.0fx", rateDense, rateOne, rateDense/rateOne)
	if rateDense < 10*rateOne {
		t.Errorf("high density gives %.0f matches/s, below 10x the %.1f of one allocation per player", rateDense, rateOne)
	}

	// Steady state: bots race on the leases the burst took (their players
	// held places until the no-show rule freed them), and memory per race is
	// sampled while they run.
	before := scrape(t, dense.base, leaseAllocations)
	var peakRaces int
	var peakRSS int64
	var mu sync.Mutex
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			races, rss := s.denseLoad(t, relDense)
			mu.Lock()
			if races > peakRaces {
				peakRaces, peakRSS = races, rss
			}
			mu.Unlock()
		}
	}()
	const races = 600
	sum, err := bot.Run(t.Context(), bot.Config{
		Allocator: dense.base, Races: races, Concurrency: 300,
		HopDelay: 50 * time.Millisecond, HopJitter: 20 * time.Millisecond,
		RaceTimeout: 3 * time.Minute, HTTPClient: loopback, Dial: playtest.DialOptions, Seed: 10,
	})
	close(stop)
	<-sampled
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("figure: bots on high density: %s", sum)
	if !sum.OK() {
		t.Errorf("%s\n%s", sum, sum.FailureReport())
	}
	per := (scrape(t, dense.base, leaseAllocations) - before) / float64(races)
	t.Logf("figure: %.3f lease allocations per race over %d bot races", per, races)
	if per > 0.05 {
		t.Errorf("%.3f allocations per race in steady state, want <= 0.05", per)
	}
	if peakRaces > 0 {
		t.Logf("figure: memory per race on high density: %.1f KiB (race servers + sidecars %.1f MiB over %d races running)",
			float64(peakRSS)/1024/float64(peakRaces), mib(peakRSS), peakRaces)
	}
}

// denseLoad is the races running on a release's servers and the resident
// memory of its race servers and sidecars together.
func (s *suite) denseLoad(t *testing.T, rel *rig.Release) (races int, rss int64) {
	gss, err := rig.GameServers(t.Context(), s.admin, rel.Namespace, rel.Fleet)
	if err != nil {
		return 0, 0
	}
	pods, err := rig.Pods(s.state.PodLogs)
	if err != nil {
		return 0, 0
	}
	for _, gs := range gss {
		races += len(gs.Races)
		p, ok := pods[rel.Namespace+"/"+gs.Name]
		if !ok {
			continue
		}
		g, err1 := rig.RSS(p.GamePID)
		k, err2 := rig.RSS(p.SDKPID)
		if err1 == nil && err2 == nil {
			rss += g + k
		}
	}
	return races, rss
}

// apiOf is a release's allocator: its client and its base URL.
type apiOf struct {
	api  *leapfrog.Client
	base string
}
