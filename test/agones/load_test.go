package agones

import (
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/leapfrog-games/leapfrog/client/bot"
	"github.com/leapfrog-games/leapfrog/test/agones/rig"
	"github.com/leapfrog-games/leapfrog/test/internal/playtest"
)

// botLoad has bots race through each of urls (one client address of a
// service each), races per address with concurrency at a time, and returns
// their summaries merged once all are done.
func botLoad(t *testing.T, urls []string, races, concurrency int, seed uint64) bot.Summary {
	t.Helper()
	var mu sync.Mutex
	var wg sync.WaitGroup
	all := bot.Summary{Failures: map[string]int{}}
	for i, u := range urls {
		wg.Go(func() {
			sum, err := bot.Run(t.Context(), bot.Config{
				Allocator: u, Races: races, Concurrency: concurrency,
				HopDelay: 50 * time.Millisecond, HopJitter: 20 * time.Millisecond,
				RaceTimeout: 3 * time.Minute, HTTPClient: loopback, Dial: playtest.DialOptions, Seed: seed + uint64(i),
			})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				all.Failed += races
				all.Races += races
				all.Failures[err.Error()] += races
				return
			}
			all.Races += sum.Races
			all.Finished += sum.Finished
			all.Failed += sum.Failed
			all.Match = append(all.Match, sum.Match...)
			all.Hop = append(all.Hop, sum.Hop...)
			all.EarlyPresses += sum.EarlyPresses
			all.Retries += sum.Retries
			for k, v := range maps.All(sum.Failures) {
				all.Failures[k] += v
			}
		})
	}
	wg.Wait()
	return all
}

// gameServerSetsOf names the GameServerSets of a release's servers now.
func (s *suite) gameServerSetsOf(t *testing.T, namespace, fleet string) map[string]int {
	t.Helper()
	gss, err := rig.GameServers(t.Context(), s.admin, namespace, fleet)
	if err != nil {
		t.Fatal(err)
	}
	sets := map[string]int{}
	for _, gs := range gss {
		sets[gs.Labels["agones.dev/gameserverset"]]++
	}
	return sets
}
