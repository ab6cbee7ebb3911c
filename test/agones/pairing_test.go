package agones

import (
	"context"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	leapfrog "github.com/leapfrog-games/leapfrog/client"
	"github.com/leapfrog-games/leapfrog/client/clienttest"
)

// pairingWait is one connected player's wait from its first match to its
// race's countdown, and how often it was refused and asked again.
type pairingWait struct {
	wait     time.Duration
	started  bool
	refusals int
}

// pairingPlayer asks api for a match, connects unless it is a no-show,
// says its scene is ready and waits for the countdown; refused, it asks
// again a second later, as the browser does. It gives up at limit.
func pairingPlayer(ctx context.Context, api *leapfrog.Client, noShow bool, limit time.Duration) (pairingWait, error) {
	var w pairingWait
	g, err := api.Guest(ctx)
	if err != nil {
		return w, err
	}
	start := time.Now()
	for time.Since(start) < limit {
		m, err := api.Match(ctx, g.GuestToken, 1)
		if err != nil {
			time.Sleep(200 * time.Millisecond)
			continue
		}
		if noShow {
			return w, nil
		}
		if w.started = clienttest.Countdown(ctx, m.WSURL, m.PlayerSessionToken, start.Add(limit)); w.started {
			w.wait = time.Since(start)
			return w, nil
		}
		w.refusals++
		time.Sleep(time.Second)
	}
	w.wait = limit
	return w, nil
}

// TestPairingAcrossReplicasOnRealAgones: three allocator processes of one
// high-density release, one new player every 2-3 s on a random one, with
// and without 10% of matched players never connecting. Lone players on
// different replicas meet through the race servers' lobbies annotation
// (docs/high-density.md, "Pairing across replicas"); the wait from a
// connected player's match to its race's countdown is reported.
func TestPairingAcrossReplicasOnRealAgones(t *testing.T) {
	s := needRig(t)
	rel, api := s.install(t, "pairing", s.state.Binary("race-server"), "autoscaler.enabled=false",
		"fleet.racesPerServer=16", "fleet.replicas=4")
	apis := []*leapfrog.Client{api, s.apiFor(t, s.startAllocator(t, rel).URL), s.apiFor(t, s.startAllocator(t, rel).URL)}
	const players, limit = 24, 30 * time.Second
	for _, tc := range []struct {
		name   string
		noShow float64
	}{{"lone players", 0}, {"10% no-shows", 0.1}} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(18, 4))
			var (
				wg    sync.WaitGroup
				mu    sync.Mutex
				waits []pairingWait
			)
			for range players {
				api := apis[rng.IntN(len(apis))]
				noShow := rng.Float64() < tc.noShow
				wg.Go(func() {
					w, err := pairingPlayer(t.Context(), api, noShow, limit)
					if err != nil {
						t.Error(err)
						return
					}
					if !noShow {
						mu.Lock()
						waits = append(waits, w)
						mu.Unlock()
					}
				})
				time.Sleep(2*time.Second + time.Duration(rng.Int64N(int64(time.Second))))
			}
			wg.Wait()
			var d []time.Duration
			late, refusals := 0, 0
			for _, w := range waits {
				d = append(d, w.wait)
				refusals += w.refusals
				if !w.started {
					late++
				}
			}
			t.Logf("figure: %s on real Agones, %d players over 3 allocators, %d connected: match to race start p50 %.0f ms, p99 %.0f ms; %d never started within %v; %d refusals asked again",
				tc.name, players, len(waits), ms(percentile(d, 0.5)), ms(percentile(d, 0.99)), late, limit, refusals)
			if late > 0 {
				t.Errorf("%d connected players never raced within %v", late, limit)
			}
			bound := 4 * time.Second
			if tc.noShow > 0 {
				bound += 3 * time.Second // the next player may be the no-show
			}
			if p99 := percentile(d, 0.99); p99 > bound {
				t.Errorf("p99 wait %v, want under %v", p99, bound)
			}
		})
	}
}
