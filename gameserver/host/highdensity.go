package host

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/leapfrog-games/leapfrog/contract/agoneswire"
	"github.com/leapfrog-games/leapfrog/gameserver/agonessdk"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime"
)

// MaxMatchesPerServer bounds MatchesPerServer. An Agones list holds at most
// 1000 values, so on Agones a server of more matches cannot list them all;
// the in-memory Agones (local fleet, load tests) has no such cap.
const MaxMatchesPerServer = 10000

// agonesMaxList is the most values an Agones list holds.
const agonesMaxList = 1000

// closeGrace bounds, after the drain grace, the closing of the connections
// of matches that did not finish in time.
const closeGrace = 3 * time.Second

// matchesConnections is the connection cap of a server of matches of
// maxPlayers each (0: the realtime default of 2) when none is configured:
// every player, a quarter more for reconnects that overlap the connection
// they replace, and room for handshakes.
func matchesConnections(matches, maxPlayers int) int {
	if maxPlayers == 0 {
		maxPlayers = 2
	}
	return matches*maxPlayers*5/4 + 64
}

func (h *Host) highDensity() bool { return h.cfg.MatchesPerServer > 1 }

// checkMatchesList makes sure the GameServer has the matches list a
// high-density server keeps: without it no allocator could see its matches.
func (h *Host) checkMatchesList(ctx context.Context) error {
	n := h.cfg.MatchesPerServer
	l, err := h.sdk.GetList(ctx, agoneswire.MatchesList)
	if errors.Is(err, agonessdk.ErrNotFound) {
		return fmt.Errorf("%d matches per server needs the GameServer list %q: give the Fleet's template lists.%s.capacity %d",
			n, agoneswire.MatchesList, agoneswire.MatchesList, n)
	}
	if err != nil {
		return fmt.Errorf("read the matches list: %w", err)
	}
	if int(l.Capacity) < n {
		h.log.Warn("the matches list is smaller than the matches per server: matches beyond it are not listed",
			"capacity", int64(l.Capacity), "races_per_server", n, "agones_list_max", agonesMaxList)
	}
	if len(l.Values) > 0 {
		h.log.Warn("the matches list already holds matches this process did not start: they are left alone", "matches", l.Values)
	}
	return nil
}

// prepareMatches makes the server route players to matches. The matches' sessions
// and the matches list's worker run until the returned stop is called: not
// until ctx is done, since a draining server lets its matches finish.
func (h *Host) prepareMatches(ctx context.Context) (stop func()) {
	rctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	list := newMatchList(h.sdk, h.log)
	// A panic loses the changes the worker held: the list may then miss a
	// match or keep an ended one until the server is replaced.
	go h.keep(rctx, panicMatchesList, list.run)
	h.matches = newMatchSet(h.cfg.MatchesPerServer, h.cfg.MaxMatches, h.cfg.Clock.Now, h.cfg.Metrics)
	h.matches.start = func(match string) (*realtime.Session, error) { return h.startMatch(rctx, list, match) }
	h.srv.SetRouter(h.matches)
	go h.keep(rctx, panicLobbies, h.publishLobbies)
	return stop
}

// startMatch builds the session of a new match and runs it until it ends.
func (h *Host) startMatch(ctx context.Context, list *matchList, match string) (*realtime.Session, error) {
	s, err := h.newSession(match)
	if err != nil {
		return nil, err
	}
	list.add(match)
	h.goSession(ctx, s, func(outcome string) {
		h.guard().Run(panicSessionEnd, "panic while closing the books of an ended match", func() {
			h.matches.ended(match, outcome)
			list.remove(match)
		})
		select {
		case h.matchDone <- struct{}{}:
		default:
		}
	})
	return s, nil
}

// authenticateMatch admits the identity of a valid token on a high-density
// server; the match set (the server's Router) decides about its match.
func (h *Host) authenticateMatch(id realtime.Identity) (realtime.Identity, error) {
	if h.fatal.Load() != nil {
		h.cfg.Metrics.refused(refusedBroken)
		return realtime.Identity{}, realtime.ErrClosed
	}
	return id, nil
}

// Why a server is recycled (the reason label of leapfrog_host_recycles_total).
const (
	recycledMaxMatches = "max_races"
	recycledMaxAge     = "max_age"
)

// runMatches follows the GameServer of a high-density server: the lease, its
// lapse, and the return to the pool (or the shutdown) once a lapsed server
// is empty; its recycling (max matches, max age) and the shutdown once a
// recycled server is empty. It drives the high-density lifecycle
// (highdensity_lifecycle.go), then drains.
func (h *Host) runMatches(ctx context.Context, serveErr <-chan error, httpSrv *http.Server, stopMatches func()) error {
	updates := h.watch(ctx)
	clock := h.cfg.Clock
	var (
		st        = newHighDensityState(h.cfg.AfterSession, h.cfg.LeaseTTL)
		stopTimer func() bool
		lapseWake = make(chan struct{}, 1)
		ageWake   = make(chan struct{}, 1)
	)
	disarm := func() {
		if stopTimer != nil {
			stopTimer()
			stopTimer = nil
		}
	}
	defer disarm()
	if h.cfg.MaxAge > 0 {
		stopAge := clock.AfterFunc(h.cfg.MaxAge, func() { ageWake <- struct{}{} })
		defer stopAge()
	}
	do := func(a highDensityAction) (highDensityEvent, bool) {
		switch a.kind {
		case highDensityArmLapse:
			disarm()
			stopTimer = clock.AfterFunc(a.after, func() {
				select {
				case lapseWake <- struct{}{}:
				default:
				}
			})
		case highDensityDisarmLapse:
			disarm()
		case highDensityNoteLease:
			h.log.Info("leased", "lessee", a.lessee, "ttl", h.cfg.LeaseTTL)
		case highDensityReopen:
			h.matches.reopen()
			h.markClosed(ctx, false)
			h.log.Info("back in the Ready pool: taking new matches")
		case highDensityLapse:
			h.matches.lapse(a.at)
			h.cfg.Metrics.leaseLapsed()
			h.log.Warn("lease lapsed: taking no new match; running matches go on", "ttl", h.cfg.LeaseTTL,
				"matches", h.matches.count(), "after", h.cfg.AfterSession)
			h.markClosed(ctx, true)
		case highDensityRecycle:
			h.matches.recycleAt(a.at)
			h.cfg.Metrics.recycled(a.reason)
			h.log.Info("recycling: taking no new match; running matches go on, then the server shuts down and the Fleet replaces it",
				"reason", a.reason, "matches", h.matches.count(), "max_races", h.cfg.MaxMatches, "max_age", h.cfg.MaxAge)
			h.markClosed(ctx, true)
		case highDensityRetireIfEmpty:
			idle := false
			switch a.closed {
			case closedRecycled:
				idle = h.matches.idleRecycled()
			case closedLapsed:
				idle = h.matches.idleLapsed(true)
			}
			return highDensityEvent{kind: highDensityRetired, ok: idle}, true
		case highDensityCheckEmpty:
			return highDensityEvent{kind: highDensityEmpty, ok: h.matches.idleLapsed(false)}, true
		case highDensityAskReady:
			ok := h.returnToPool(ctx)
			if ok {
				h.log.Info("lapsed and empty: returning to the Ready pool")
			}
			return highDensityEvent{kind: highDensityReadyAnswered, ok: ok}, true
		case highDensityRetire:
			h.matches.close(closedRetiring)
		case highDensityShutdown:
			h.log.Info(a.why)
			h.shutdown(ctx)
		}
		return highDensityEvent{}, false
	}
	for st.phase != highDensityStopped {
		var e highDensityEvent
		select {
		case <-ctx.Done():
			e.kind = highDensityStop
		case err := <-serveErr:
			e.kind, e.err = highDensityServeFailed, fmt.Errorf("serve players: %w", err)
		case gs := <-updates:
			e.kind, e.gs = highDensityWatched, gs
		case <-lapseWake:
			e.kind = highDensityLapseDue
		case <-ageWake:
			e.kind = highDensityMaxAge
		case <-h.matches.recycle:
			e.kind = highDensityMaxSessions
		case <-h.matchDone:
			e.kind = highDensitySessionEnded
		}
		e.now, e.healthy = clock.Now(), h.Healthy()
		st = drive(st, e, highDensityState.next, do)
	}
	h.ready.Store(false)
	return errors.Join(st.err, h.drainMatches(ctx, httpSrv, stopMatches))
}

// watch follows the GameServer, keeping only its latest state.
func (h *Host) watch(ctx context.Context) <-chan *agonessdk.GameServer {
	updates := make(chan *agonessdk.GameServer, 1)
	go h.keep(ctx, panicWatch, func(ctx context.Context) {
		_ = h.sdk.WatchGameServer(ctx, func(gs *agonessdk.GameServer) {
			select { // keep only the latest: Agones batches changes too
			case <-updates:
			default:
			}
			updates <- gs
		})
	})
	return updates
}

// drainMatches closes the server to new matches and lets the running ones
// finish within the drain grace; the rest are shut down (their players get
// CODE_SHUTTING_DOWN) and their connections closed.
func (h *Host) drainMatches(ctx context.Context, httpSrv *http.Server, stopMatches func()) error {
	h.matches.close(closedDraining)
	grace, cancel := context.WithTimeout(context.WithoutCancel(ctx), h.cfg.DrainGrace)
	defer cancel()
	h.markClosed(grace, true)
	h.log.Info("draining: running matches may finish", "matches", h.matches.count(), "grace", h.cfg.DrainGrace)
	for h.matches.count() > 0 && h.Healthy() {
		select {
		case <-h.matchDone:
			continue
		case <-grace.Done():
		}
		break
	}
	if n := h.matches.count(); n > 0 {
		h.log.Warn("drain grace over: shutting down the matches still running", "matches", n)
	}
	stopMatches()
	closing, cancelClose := context.WithTimeout(context.WithoutCancel(ctx), closeGrace)
	defer cancelClose()
	h.srv.Drain()
	err := httpSrv.Shutdown(closing)
	if werr := h.srv.Wait(closing); werr != nil {
		err = errors.Join(err, fmt.Errorf("connections still open after the drain grace: %w", werr))
		_ = httpSrv.Close()
	}
	return err
}
