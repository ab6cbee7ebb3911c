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

// MaxRacesPerServer bounds RacesPerServer. An Agones list holds at most
// 1000 values, so on Agones a server of more races cannot list them all;
// the in-memory Agones (local fleet, load tests) has no such cap.
const MaxRacesPerServer = 10000

// agonesMaxList is the most values an Agones list holds.
const agonesMaxList = 1000

// closeGrace bounds, after the drain grace, the closing of the connections
// of races that did not finish in time.
const closeGrace = 3 * time.Second

// racesConnections is the connection cap of a server of races of
// maxPlayers each (0: the realtime default of 2) when none is configured:
// every player, a quarter more for reconnects that overlap the connection
// they replace, and room for handshakes.
func racesConnections(races, maxPlayers int) int {
	if maxPlayers == 0 {
		maxPlayers = 2
	}
	return races*maxPlayers*5/4 + 64
}

func (h *Host) highDensity() bool { return h.cfg.RacesPerServer > 1 }

// checkRacesList makes sure the GameServer has the races list a
// high-density server keeps: without it no allocator could see its races.
func (h *Host) checkRacesList(ctx context.Context) error {
	n := h.cfg.RacesPerServer
	l, err := h.sdk.GetList(ctx, agoneswire.MatchesList)
	if errors.Is(err, agonessdk.ErrNotFound) {
		return fmt.Errorf("%d races per server needs the GameServer list %q: give the Fleet's template lists.%s.capacity %d",
			n, agoneswire.MatchesList, agoneswire.MatchesList, n)
	}
	if err != nil {
		return fmt.Errorf("read the races list: %w", err)
	}
	if int(l.Capacity) < n {
		h.log.Warn("the races list is smaller than the races per server: races beyond it are not listed",
			"capacity", int64(l.Capacity), "races_per_server", n, "agones_list_max", agonesMaxList)
	}
	if len(l.Values) > 0 {
		h.log.Warn("the races list already holds races this process did not start: they are left alone", "races", l.Values)
	}
	return nil
}

// prepareRaces makes the server route players to races. The races' sessions
// and the races list's worker run until the returned stop is called: not
// until ctx is done, since a draining server lets its races finish.
func (h *Host) prepareRaces(ctx context.Context) (stop func()) {
	rctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	list := newRaceList(h.sdk, h.log)
	go list.run(rctx)
	h.races = newRaceSet(h.cfg.RacesPerServer, h.cfg.MaxRaces, h.cfg.Clock.Now, h.cfg.Metrics)
	h.races.start = func(race string) (*realtime.Session, error) { return h.startRace(rctx, list, race) }
	h.srv.SetRouter(h.races)
	go h.publishLobbies(rctx)
	return stop
}

// startRace builds the session of a new race and runs it until it ends.
func (h *Host) startRace(ctx context.Context, list *raceList, race string) (*realtime.Session, error) {
	s, err := h.newSession(race)
	if err != nil {
		return nil, err
	}
	list.add(race)
	go func() {
		outcome := s.Run(ctx)
		h.races.ended(race, outcome)
		list.remove(race)
		select {
		case h.raceDone <- struct{}{}:
		default:
		}
	}()
	return s, nil
}

// authenticateRace admits the identity of a valid token on a high-density
// server; the race set (the server's Router) decides about its race.
func (h *Host) authenticateRace(id realtime.Identity) (realtime.Identity, error) {
	if h.fatal.Load() != nil {
		h.cfg.Metrics.refused(refusedBroken)
		return realtime.Identity{}, realtime.ErrClosed
	}
	return id, nil
}

// Why a server is recycled (the reason label of leapfrog_host_recycles_total).
const (
	recycledMaxRaces = "max_races"
	recycledMaxAge   = "max_age"
)

// runRaces follows the GameServer of a high-density server: the lease, its
// lapse, and the return to the pool (or the shutdown) once a lapsed server
// is empty; its recycling (max races, max age) and the shutdown once a
// recycled server is empty. Then it drains.
func (h *Host) runRaces(ctx context.Context, serveErr <-chan error, httpSrv *http.Server, stopRaces func()) error {
	updates := h.watch(ctx)
	clock := h.cfg.Clock
	var (
		l          = lease{ttl: h.cfg.LeaseTTL}
		stopTimer  func() bool
		lapseWake  = make(chan struct{}, 1)
		ageWake    = make(chan struct{}, 1)
		state      agoneswire.GameServerState
		awaitReady bool // Ready() asked after a lapse: reopen once it shows
		recycling  bool // closed for good: shut down once empty
		over       bool // Shutdown() asked
		err        error
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
	recycle := func(reason string) {
		if recycling {
			return
		}
		recycling = true
		h.races.recycleAt(clock.Now())
		h.cfg.Metrics.recycled(reason)
		h.log.Info("recycling: taking no new race; running races go on, then the server shuts down and the Fleet replaces it",
			"reason", reason, "races", h.races.count(), "max_races", h.cfg.MaxRaces, "max_age", h.cfg.MaxAge)
		h.markClosed(ctx, true)
	}
	arm := func(now time.Time) {
		disarm()
		if d, ok := l.due(now); ok {
			stopTimer = clock.AfterFunc(d, func() {
				select {
				case lapseWake <- struct{}{}:
				default:
				}
			})
		}
	}
	reopen := func() {
		awaitReady = false
		if recycling {
			return // closed for good
		}
		l = lease{ttl: h.cfg.LeaseTTL}
		h.races.reopen()
		h.markClosed(ctx, false)
		h.log.Info("back in the Ready pool: taking new races")
	}
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case e := <-serveErr:
			err = fmt.Errorf("serve players: %w", e)
			break loop
		case gs := <-updates:
			now := clock.Now()
			state = gs.Status.State
			switch l.observe(gs, now) {
			case leaseStarted:
				h.log.Info("leased", "lessee", gs.ObjectMeta.Labels[agoneswire.LesseeLabel], "ttl", h.cfg.LeaseTTL)
				if awaitReady { // allocated again before Ready showed
					reopen()
					l.observe(gs, now)
				}
				arm(now)
			case leaseRenewed:
				arm(now)
			case leaseEnded:
				disarm()
			}
			if awaitReady && state == agoneswire.StateReady {
				reopen()
			}
		case <-lapseWake:
			now := clock.Now()
			if !l.expired(now) {
				arm(now)
				break
			}
			l.lapsed = true
			h.races.lapse(now)
			h.cfg.Metrics.leaseLapsed()
			h.log.Warn("lease lapsed: taking no new race; running races go on", "ttl", h.cfg.LeaseTTL,
				"races", h.races.count(), "after", h.cfg.AfterSession)
			h.markClosed(ctx, true)
		case <-ageWake:
			recycle(recycledMaxAge)
		case <-h.races.recycle:
			recycle(recycledMaxRaces)
		case <-h.raceDone:
		}
		if over {
			continue
		}
		if recycling {
			if h.races.idleRecycled() {
				h.log.Info("recycled and empty: shutting down")
				over = true
				h.shutdown(ctx)
			}
			continue
		}
		if !l.lapsed || awaitReady {
			continue
		}
		reuse := h.cfg.AfterSession == AfterReady && h.fatal.Load() == nil
		if !h.races.idleLapsed(!reuse) {
			continue
		}
		if reuse {
			rerr := h.sdk.Ready(ctx)
			if rerr == nil {
				h.log.Info("lapsed and empty: returning to the Ready pool")
				if awaitReady = true; state == agoneswire.StateReady {
					reopen() // already Ready: no change will show
				}
				continue
			}
			if ctx.Err() == nil {
				h.log.Error("return to the Ready pool", "err", rerr)
			}
			h.races.close(closedRetiring)
		}
		h.log.Info("lapsed and empty: shutting down")
		over = true
		h.shutdown(ctx)
	}
	h.ready.Store(false)
	return errors.Join(err, h.drainRaces(ctx, httpSrv, stopRaces))
}

// watch follows the GameServer, keeping only its latest state.
func (h *Host) watch(ctx context.Context) <-chan *agonessdk.GameServer {
	updates := make(chan *agonessdk.GameServer, 1)
	go func() {
		_ = h.sdk.WatchGameServer(ctx, func(gs *agonessdk.GameServer) {
			select { // keep only the latest: Agones batches changes too
			case <-updates:
			default:
			}
			updates <- gs
		})
	}()
	return updates
}

// drainRaces closes the server to new races and lets the running ones
// finish within the drain grace; the rest are shut down (their players get
// CODE_SHUTTING_DOWN) and their connections closed.
func (h *Host) drainRaces(ctx context.Context, httpSrv *http.Server, stopRaces func()) error {
	h.races.close(closedDraining)
	grace, cancel := context.WithTimeout(context.WithoutCancel(ctx), h.cfg.DrainGrace)
	defer cancel()
	h.markClosed(grace, true)
	h.log.Info("draining: running races may finish", "races", h.races.count(), "grace", h.cfg.DrainGrace)
	for h.races.count() > 0 && h.Healthy() {
		select {
		case <-h.raceDone:
			continue
		case <-grace.Done():
		}
		break
	}
	if n := h.races.count(); n > 0 {
		h.log.Warn("drain grace over: shutting down the races still running", "races", n)
	}
	stopRaces()
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
