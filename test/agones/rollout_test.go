package agones

import (
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/leapfrog-games/leapfrog/client/bot"
	"github.com/leapfrog-games/leapfrog/test/agones/rig"
)

// TestRolloutUnderLoad upgrades a high-density release while bots race on
// it through two allocator replicas: the upgrade changes the race server's
// arguments (the Fleet rolls to a new GameServerSet; Agones keeps the
// Allocated servers) and the allocators' (their Deployment rolls, one new
// replica in before each old one out). No race may be dropped; the old
// servers finish their races and go, and the old GameServerSet with them.
func TestRolloutUnderLoad(t *testing.T) {
	s := needRig(t)
	set := []string{"autoscaler.enabled=false", "fleet.racesPerServer=50", "fleet.replicas=8",
		"race.rules.max-connections-per-ip=100000"} // every bot comes from 127.0.0.1
	rel, _ := s.install(t, "roll", s.state.Binary("race-server"), set...)
	olds := []*rig.Allocator{&rel.Allocators[0], s.startAllocator(t, rel)}
	svc := newService(t, 4, olds[0].URL, olds[1].URL)

	base := botLoad(t, svc.urls()[:2], 30, 15, 100)
	t.Logf("figure: outside a roll, 60 races, 30 at once: %s", base)
	if !base.OK() {
		t.Fatalf("before the roll: %s\n%s", base, base.FailureReport())
	}
	oldSets := s.gameServerSetsOf(t, rel.Namespace, rel.Fleet)
	if len(oldSets) != 1 {
		t.Fatalf("GameServerSets before the roll %v, want one", oldSets)
	}

	// 4 addresses x 200 races, 25 at a time each: 100 races at once, for
	// both rolls.
	loaded := make(chan bot.Summary, 1)
	go func() { loaded <- botLoad(t, svc.urls(), 200, 25, 200) }()
	time.Sleep(10 * time.Second)
	racing := 0
	if gss, err := rig.GameServers(t.Context(), s.admin, rel.Namespace, rel.Fleet); err == nil {
		for _, gs := range gss {
			racing += len(gs.Races)
		}
	}

	in, err := s.state.Installer()
	if err != nil {
		t.Fatal(err)
	}
	valuesFile, err := filepath.Abs("values.yaml")
	if err != nil {
		t.Fatal(err)
	}
	upgrade := func(more ...string) {
		err := in.Upgrade(t.Context(), rel, rig.InstallOptions{RaceServer: s.state.Binary("race-server"), Values: rig.Values{
			Files: []string{valuesFile}, Set: append(slices.Clone(set), more...),
		}})
		if err != nil {
			t.Fatal(err)
		}
	}
	// The race server's arguments change: the Fleet rolls.
	newRace := "race.rules.reconnect-grace=6s"
	upgraded := time.Now()
	upgrade(newRace)
	t.Logf("upgraded the race server with %d races running", racing)

	// The old servers finish their races, then leave.
	var racesDone, gone time.Duration
	err = rig.Poll(t.Context(), 5*time.Minute, func() (bool, error) {
		gss, err := rig.GameServers(t.Context(), s.admin, rel.Namespace, rel.Fleet)
		if err != nil {
			return false, err
		}
		old, oldRaces := 0, 0
		for _, gs := range gss {
			if _, ok := oldSets[gs.Labels["agones.dev/gameserverset"]]; ok {
				old++
				oldRaces += len(gs.Races)
			}
		}
		if oldRaces == 0 && racesDone == 0 {
			racesDone = time.Since(upgraded)
		}
		gone = time.Since(upgraded)
		return old == 0, nil
	}, "no GameServer of the old GameServerSet left")
	if err != nil {
		t.Fatal(err)
	}
	retired := 0.0
	for _, a := range olds {
		retired += scrape(t, a.URL, `leapfrog_allocator_lease_retired_total`)
	}
	t.Logf("figure: Fleet roll: the old servers' last race ended %.1fs after the upgrade; no old server left %.1fs after it; %v leases retired by the two replicas",
		racesDone.Seconds(), gone.Seconds(), retired)
	if retired == 0 {
		t.Error("no lease of the old generation was retired: the replicas did not move to the new one")
	}
	// Released and deleted once the watch shows it idle: within the
	// drain grace (10 s) of the last race.
	if gone-racesDone > 10*time.Second {
		t.Errorf("old servers gone %.1fs after their last race, want within the drain grace, 10 s", (gone - racesDone).Seconds())
	}
	sets, err := rig.GameServerSets(t.Context(), s.admin, rel.Namespace, rel.Fleet)
	if err != nil {
		t.Fatal(err)
	}
	for _, gss := range sets {
		if _, ok := oldSets[gss.Name]; ok && gss.Current > 0 {
			t.Errorf("old GameServerSet %s still has %d servers", gss.Name, gss.Current)
		}
	}
	t.Logf("GameServerSets after the Fleet roll: %+v", sets)

	// The allocators' arguments change: their Deployment rolls, one new
	// replica ready before an old one leaves the Service and gets SIGTERM.
	select {
	case <-loaded:
		t.Fatal("the load ended before the allocator roll: make it longer")
	default:
	}
	upgrade(newRace, "allocator.lease.renewSeconds=4")
	var stops []time.Duration
	began := time.Now()
	for _, old := range olds {
		a := s.startAllocator(t, rel)
		svc.add(t, a.URL)
		svc.remove(old.URL)
		// The chart's preStop sleep: out of the Service, still serving.
		time.Sleep(5 * time.Second)
		stopped := time.Now()
		old.Stop(15 * time.Second)
		stops = append(stops, time.Since(stopped))
	}
	t.Logf("figure: allocator roll done in %.1fs; old replicas exited %v after SIGTERM", time.Since(began).Seconds(), stops)

	sum := <-loaded
	t.Logf("figure: during both rolls, 800 races, 100 at once: %s; %d retries, %d requests the Service could not pass on", sum, sum.Retries, svc.failed.Load())
	t.Logf("figure: match p99 %.0fms during the rolls, %.0fms outside", ms(percentile(sum.Match, 0.99)), ms(percentile(base.Match, 0.99)))
	if !sum.OK() {
		t.Errorf("races dropped during the rolls: %s\n%s", sum, sum.FailureReport())
	}
}
