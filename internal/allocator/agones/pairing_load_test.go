package agones

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/leapfrog-games/leapfrog/client/clienttest"
	"github.com/leapfrog-games/leapfrog/contract/agonesv1"
	"github.com/leapfrog-games/leapfrog/contract/agoneswire"
	"github.com/leapfrog-games/leapfrog/contract/token"
	"github.com/leapfrog-games/leapfrog/gameserver/agonessdk"
	"github.com/leapfrog-games/leapfrog/internal/allocator/backend"
	"github.com/leapfrog-games/leapfrog/internal/testwait"
)

// pairingRig is high-density game server processes on a fake cluster and
// allocator replicas (Leasers) placing players on them, each watching the
// cluster as the allocator does. What the game servers write through their
// sidecars (the matches list, the lobbies annotation) is mirrored into the
// cluster's GameServers, as Agones' sdk-server does.
type pairingRig struct {
	t        *testing.T
	fc       *fakeCluster
	issuer   *token.Issuer
	replicas []*Leaser
}

const pairingSessionTTL = time.Minute

func newPairingRig(t *testing.T, replicas, servers, matches int) *pairingRig {
	t.Helper()
	issuer, keyFile := writeKeyFile(t)
	fc := newFakeCluster(t, "race", servers, matches)
	procs := startMatchServers(t, fc, servers, matches, keyFile, "--max-connections-per-ip=1000")
	r := &pairingRig{t: t, fc: fc, issuer: issuer}
	for name, p := range procs {
		r.mirror(name, p.mem)
	}
	for i := range replicas {
		id := fmt.Sprintf("alloc-%d", i)
		engine, err := pairingEngine(id, pairingSessionTTL)
		if err != nil {
			t.Fatal(err)
		}
		l, err := NewLeaser(fc.client, engine, LeaseConfig{
			Config:    Config{Namespace: fc.ns, Fleet: "race", PortName: "default", Backoff: wait.Backoff{Steps: 4}, APIBackoff: wait.Backoff{Steps: 2}},
			ReplicaID: id, MatchesPerServer: matches, Renew: time.Second, LowWater: 1,
		}, prometheus.NewRegistry(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Watch(t.Context(), fc.informer(t.Context())); err != nil {
			t.Fatal(err)
		}
		go func() { _ = l.Start(t.Context()) }()
		r.replicas = append(r.replicas, l)
	}
	return r
}

// mirror copies the matches list and the lobbies annotation the game server
// of name writes to its sidecar onto the cluster's GameServer.
func (r *pairingRig) mirror(name string, mem *agonessdk.Memory) {
	ctx := r.t.Context()
	go func() {
		_ = mem.WatchGameServer(ctx, func(src *agonessdk.GameServer) {
			var gs agonesv1.GameServer
			if err := r.fc.client.Get(ctx, client.ObjectKey{Namespace: r.fc.ns, Name: name}, &gs); err != nil {
				return
			}
			orig := gs.DeepCopy()
			l := gs.Status.Lists[agoneswire.MatchesList]
			l.Values = slices.Clone(src.Status.Lists[agoneswire.MatchesList].Values)
			gs.Status.Lists[agoneswire.MatchesList] = l
			if gs.Annotations == nil {
				gs.Annotations = map[string]string{}
			}
			if v := src.ObjectMeta.Annotations[agoneswire.LobbiesAnnotation]; v != "" {
				gs.Annotations[agoneswire.LobbiesAnnotation] = v
			} else {
				delete(gs.Annotations, agoneswire.LobbiesAnnotation)
			}
			_ = r.fc.client.Patch(ctx, &gs, client.MergeFrom(orig))
		})
	}()
}

// visit is what became of one player: how long from its first match to
// its match's countdown, and how often it was refused and asked again.
type visit struct {
	wait     time.Duration
	started  bool
	refusals int
}

// asksAgainAfter is how long a refused browser waits before it asks the
// allocator again (web/src/app.ts, requeue).
const asksAgainAfter = time.Second

// play is one player placed by l: it asks for a match, connects (unless it
// is a no-show), says its scene is ready and waits for its match's
// countdown; refused, it asks again, as the browser does. It gives up at
// limit after its first match.
func (r *pairingRig) play(ctx context.Context, l *Leaser, id string, noShow bool, limit time.Duration) visit {
	var v visit
	start := time.Now()
	for time.Since(start) < limit {
		a, err := l.Allocate(ctx, backend.AllocationRequest{PlayerIDs: []string{id}})
		if err != nil {
			time.Sleep(200 * time.Millisecond)
			continue
		}
		raw, _, err := r.issuer.MintMatchSeat(id, a.GameServer, a.Match, a.MatchStartBy, pairingSessionTTL-time.Since(a.SeatedAt))
		if err != nil {
			r.t.Error(err)
			return v
		}
		if noShow {
			return v
		}
		if v.started = r.match(ctx, a, raw, start.Add(limit)); v.started {
			v.wait = time.Since(start)
			return v
		}
		v.refusals++
		time.Sleep(asksAgainAfter)
	}
	v.wait = limit
	return v
}

// match connects a's player with raw and reports whether its match counted
// down before deadline.
func (r *pairingRig) match(ctx context.Context, a backend.Assignment, raw string, deadline time.Time) bool {
	return clienttest.Countdown(ctx, fmt.Sprintf("ws://%s:%d/ws", a.Address, a.Port), raw, deadline)
}

// percentile is the p-th percentile (0-100) of sorted durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p/100+0.999999) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// TestPairingAcrossReplicasUnderLightLoad is the night shape of a fleet:
// three allocator replicas, one new player every 2-3 s from its own
// address (a random replica each, as the Service's client-IP affinity
// spreads them), optionally 10% of matched players never connecting. It
// measures, for each player who connects, the wait from its match to its
// match's countdown. Opt-in (LEAPFROG_PAIRING_LOAD=1; it runs in real
// time, about 2.5 s per player; LEAPFROG_PAIRING_PLAYERS sets how many,
// 40 by default).
func TestPairingAcrossReplicasUnderLightLoad(t *testing.T) {
	if os.Getenv("LEAPFROG_PAIRING_LOAD") == "" {
		t.Skip("opt-in: LEAPFROG_PAIRING_LOAD=1 (real time, about 2.5 s per player)")
	}
	players := 40
	if n, err := strconv.Atoi(os.Getenv("LEAPFROG_PAIRING_PLAYERS")); err == nil && n > 1 {
		players = n
	}
	const limit = 30 * time.Second
	for _, tc := range []struct {
		name   string
		noShow float64
	}{{"lone players", 0}, {"10% no-shows", 0.1}} {
		t.Run(tc.name, func(t *testing.T) {
			r := newPairingRig(t, 3, 4, 32)
			rng := rand.New(rand.NewPCG(18, 4)) // the same shape on every run
			var (
				wg     sync.WaitGroup
				mu     sync.Mutex
				visits []visit
			)
			for i := range players {
				l := r.replicas[rng.IntN(len(r.replicas))]
				noShow := rng.Float64() < tc.noShow
				id := fmt.Sprintf("p%02d", i)
				wg.Go(func() {
					v := r.play(t.Context(), l, id, noShow, limit)
					if !noShow {
						mu.Lock()
						visits = append(visits, v)
						mu.Unlock()
					}
				})
				time.Sleep(2*time.Second + time.Duration(rng.Int64N(int64(time.Second))))
			}
			wg.Wait()
			var waits []time.Duration
			late, refusals, over3 := 0, 0, 0
			for _, v := range visits {
				waits = append(waits, v.wait)
				if v.wait > 3*time.Second {
					over3++
				}
				refusals += v.refusals
				if !v.started {
					late++
				}
			}
			slices.Sort(waits)
			t.Logf("figure: %d players over 3 replicas, %d connected (%.0f%% no-shows): match to match start p50 %v, p99 %v, max %v; %d waited over 3 s; %d never started within %v; %d refusals asked again",
				players, len(visits), tc.noShow*100, percentile(waits, 50).Round(time.Millisecond), percentile(waits, 99).Round(time.Millisecond),
				waits[len(waits)-1].Round(time.Millisecond), over3, late, limit, refusals)
			if late > 0 {
				t.Errorf("%d connected players never raced within %v", late, limit)
			}
			// A lone player waits for the next player to arrive (at most 3 s
			// here). When the next one is a no-show, the present player can
			// only match the one after: two arrivals, at most 6 s.
			bound := 3*time.Second + time.Second
			if tc.noShow > 0 {
				bound += 3 * time.Second
			}
			if p99 := percentile(waits, 99); p99 > bound {
				t.Errorf("p99 wait %v, want under %v (players arrive 2-3 s apart)", p99, bound)
			}
		})
	}
}

// TestLonePlayersOfTwoReplicasMatchTogether runs real game server processes
// behind two replicas. p1, placed by replica A, connects and waits alone;
// its server reports it; p2, placed by replica B, is seated in p1's match on
// A's server, and both count down. Then both replicas seat a player in
// the next lone player's match: the first to connect matches, the other is
// refused and, asking again, is placed in another match.
func TestLonePlayersOfTwoReplicasMatchTogether(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the game server and runs two processes")
	}
	r := newPairingRig(t, 2, 2, 8)
	ra, rb := r.replicas[0], r.replicas[1]
	ctx := t.Context()
	ask := func(l *Leaser, id string) (backend.Assignment, string) {
		t.Helper()
		a, err := l.Allocate(ctx, backend.AllocationRequest{PlayerIDs: []string{id}})
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		raw, _, err := r.issuer.MintMatchSeat(id, a.GameServer, a.Match, a.MatchStartBy, pairingSessionTTL-time.Since(a.SeatedAt))
		if err != nil {
			t.Fatal(err)
		}
		return a, raw
	}
	// b0 makes replica B lease a server of its own.
	if b0, _ := ask(rb, "b0"); b0.GameServer == "" {
		t.Fatal("replica B leased nothing")
	}
	a1, raw1 := ask(ra, "p1")
	started1 := make(chan bool, 1)
	go func() { started1 <- r.match(ctx, a1, raw1, time.Now().Add(10*time.Second)) }()
	testwait.Eventually(t, "p1's match reported waiting to replica B", func() bool { return rb.engine.Stats().Waiting == 1 })
	a2, raw2 := ask(rb, "p2")
	if a2.GameServer != a1.GameServer || a2.Match != a1.Match {
		t.Fatalf("p2 placed %s/%s, want p1's match %s/%s", a2.GameServer, a2.Match, a1.GameServer, a1.Match)
	}
	if !r.match(ctx, a2, raw2, time.Now().Add(10*time.Second)) || !<-started1 {
		t.Fatal("p1 and p2 did not count down together")
	}

	// q1 waits alone on A's server; both replicas seat a player next to it.
	testwait.Eventually(t, "p1's match reported full to both replicas", func() bool {
		return ra.engine.Stats().Waiting == 0 && rb.engine.Stats().Waiting == 0
	})
	q1, rawQ1 := ask(ra, "q1")
	if q1.Match == a1.Match {
		t.Fatalf("q1 placed in p1's full match %s", a1.Match)
	}
	startedQ1 := make(chan bool, 1)
	go func() { startedQ1 <- r.match(ctx, q1, rawQ1, time.Now().Add(10*time.Second)) }()
	testwait.Eventually(t, "q1's match reported waiting to replica B", func() bool { return rb.engine.Stats().Waiting == 1 })
	own, rawOwn := ask(ra, "own")
	foreign, rawForeign := ask(rb, "foreign")
	if own.Match != q1.Match || foreign.Match != q1.Match {
		t.Fatalf("own in %s, foreign in %s, want both in q1's match %s", own.Match, foreign.Match, q1.Match)
	}
	if !r.match(ctx, foreign, rawForeign, time.Now().Add(10*time.Second)) || !<-startedQ1 {
		t.Fatal("q1 and the first to come did not count down together")
	}
	if r.match(ctx, own, rawOwn, time.Now().Add(10*time.Second)) {
		t.Fatal("a second player was welcomed into a full match")
	}
	testwait.Eventually(t, "replica A to learn who holds q1's match", func() bool {
		return !ra.engine.Holding("own", own.GameServer, own.Match)
	})
	if again, _ := ask(ra, "own"); again.Match == q1.Match {
		t.Fatalf("the refused player asking again got the full match %s", q1.Match)
	}
}
