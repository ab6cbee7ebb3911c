package host

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/leapfrog-games/leapfrog/contract/token"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime"
)

// raceSet is a high-density server's races: it routes each player to the
// session of the race its token names, starts a race when it is new and the
// server takes one, and remembers finished races so that none is run twice.
// It is the server's realtime.Router; every method is safe for concurrent use.
type raceSet struct {
	max     int
	now     func() time.Time
	metrics *Metrics
	// start builds and runs the session of a new race; ended is called
	// once that session is over.
	start func(race string) (*realtime.Session, error)

	mu      sync.Mutex
	running map[string]*raceSlot
	// over holds finished races until no token of theirs can start them
	// again (raceSlot.startable). overQueue is the same races in the order
	// they ended, to forget them without a scan.
	over      map[string]time.Time
	overQueue []overRace
	// closed says why no new race is taken; "" when open. While the lease
	// is lapsed or the server is being recycled, tokens issued before
	// closedAt still start their race: they were placed while it was open.
	closed   string
	closedAt time.Time
	// maxStarts is the most races the server starts in its life before it
	// is recycled (0: no limit); started counts them. recycle is signalled
	// (never blocking) when started reaches maxStarts.
	maxStarts int
	started   int
	recycle   chan struct{}
}

// raceSlot is one running race. ready is closed once s (or err) is set, so
// that the players of a race being created wait for its session.
type raceSlot struct {
	ready chan struct{}
	s     *realtime.Session
	err   error
	// startable is until when a token of the race seen so far could start
	// it: the start deadline (race_start_by) plus the leeway, which every
	// token of the race shares, including those minted during the race
	// that the server never sees; for a token without the claim, its expiry
	// plus the leeway (such tokens the server has not seen can still start
	// an ended race: the rule of tokens minted before the claim existed).
	startable time.Time
	since     time.Time // when the race was admitted
}

type overRace struct {
	race  string
	until time.Time
}

// Why a high-density server takes no new race.
const (
	closedDraining = "draining"
	closedLapsed   = "lease_lapsed"
	closedRecycled = "recycled"
	closedRetiring = "shutting_down"
	refusedFull    = "server_full"
	refusedOver    = "race_over"
	refusedLate    = "race_late"
	refusedClaim   = "race_claim"
	refusedBroken  = "broken"
)

func newRaceSet(max, maxStarts int, now func() time.Time, metrics *Metrics) *raceSet {
	return &raceSet{max: max, maxStarts: maxStarts, now: now, metrics: metrics, running: make(map[string]*raceSlot),
		over: make(map[string]time.Time), recycle: make(chan struct{}, 1)}
}

var _ realtime.Router = (*raceSet)(nil)

// Route implements realtime.Router.
func (rs *raceSet) Route(ctx context.Context, id realtime.Identity) (*realtime.Session, error) {
	if id.Race == "" {
		rs.metrics.refused(refusedClaim)
		return nil, fmt.Errorf("%w: this server hosts many races and the token names none", realtime.ErrRaceClaim)
	}
	rs.mu.Lock()
	slot := rs.running[id.Race]
	if slot == nil {
		var err error
		if slot, err = rs.admit(id); err != nil {
			rs.mu.Unlock()
			return nil, err
		}
		rs.mu.Unlock()
		rs.create(id.Race, slot)
	} else {
		slot.startable = later(slot.startable, startable(id))
		rs.mu.Unlock()
	}
	select {
	case <-slot.ready:
		return slot.s, slot.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// admit decides whether the race of id may start now and, if so, holds its
// slot. Called with mu held.
func (rs *raceSet) admit(id realtime.Identity) (*raceSlot, error) {
	refuse := func(reason string, err error) (*raceSlot, error) {
		rs.metrics.refused(reason)
		return nil, err
	}
	now := rs.now()
	rs.forgetOver(now)
	if _, ok := rs.over[id.Race]; ok {
		return refuse(refusedOver, fmt.Errorf("%w: race %s", realtime.ErrClosed, id.Race))
	}
	if by := id.RaceStartBy; !by.IsZero() && !now.Before(by.Add(token.ClockSkewLeeway)) {
		// The allocator forgot this race (its room may be another race's
		// now), or it ran and ended and is forgotten here: either way
		// nobody placed it now.
		return refuse(refusedLate, fmt.Errorf("%w: race %s had to start by %s", realtime.ErrClosed, id.Race, by.UTC().Format(time.RFC3339)))
	}
	switch rs.closed {
	case "":
	case closedLapsed, closedRecycled:
		if !id.IssuedAt.Before(rs.closedAt) {
			return refuse(rs.closed, fmt.Errorf("%w: %s", realtime.ErrNoNewRace, closedText(rs.closed)))
		}
	default:
		return refuse(rs.closed, fmt.Errorf("%w: %s", realtime.ErrNoNewRace, closedText(rs.closed)))
	}
	if len(rs.running) >= rs.max {
		return refuse(refusedFull, fmt.Errorf("%w (%d races)", realtime.ErrServerFull, rs.max))
	}
	slot := &raceSlot{ready: make(chan struct{}), startable: startable(id), since: now}
	rs.running[id.Race] = slot
	if rs.started++; rs.maxStarts > 0 && rs.started == rs.maxStarts {
		select { // the host's loop closes the server: label, log, metric
		case rs.recycle <- struct{}{}:
		default:
		}
	}
	return slot, nil
}

func closedText(reason string) string {
	switch reason {
	case closedDraining:
		return "it is draining"
	case closedRetiring:
		return "it is shutting down"
	case closedLapsed:
		return "its lease lapsed"
	case closedRecycled:
		return "it is being recycled (it reached its most races or its most age) and shuts down once its races end"
	}
	return reason
}

// create starts the race's session outside the lock: building a game may
// take a while (a script's runtime), and other races go on meanwhile.
func (rs *raceSet) create(race string, slot *raceSlot) {
	s, err := rs.start(race)
	if err != nil {
		rs.mu.Lock()
		delete(rs.running, race)
		rs.mu.Unlock()
		slot.err = fmt.Errorf("start race %s: %w", race, err)
	} else {
		slot.s = s
		rs.metrics.raceStarted()
	}
	close(slot.ready)
}

// startable is until when the token of id could start its race: past its
// start deadline, or for a token without one past its expiry, the token is
// refused anyway (each with the tokens' clock leeway).
func startable(id realtime.Identity) time.Time {
	if !id.RaceStartBy.IsZero() {
		return id.RaceStartBy.Add(token.ClockSkewLeeway)
	}
	return id.ExpiresAt.Add(token.ClockSkewLeeway)
}

// ended forgets a finished race, remembering its id while a token of it
// could start it again.
func (rs *raceSet) ended(race, outcome string) {
	now := rs.now()
	rs.mu.Lock()
	defer rs.mu.Unlock()
	rs.forgetOver(now)
	slot := rs.running[race]
	if slot == nil {
		return
	}
	delete(rs.running, race)
	rs.metrics.raceEnded(outcome)
	if slot.startable.After(now) {
		rs.over[race] = slot.startable
		rs.overQueue = append(rs.overQueue, overRace{race: race, until: slot.startable})
	}
}

// forgetOver forgets the oldest finished races no token can start any more.
// Those times are nearly in order (races share one no-show window, tokens
// one lifetime): one due sooner behind a later one waits for it, still
// bounded by the window or the lifetime. Called with mu held, at every end
// and every admission, so that the memory is bounded by the races that
// ended within one window. An entry is dropped only if it is the queue's
// own: a race id may end twice (an old token started it again after the
// first memory ended).
func (rs *raceSet) forgetOver(now time.Time) {
	n := 0
	for n < len(rs.overQueue) && !rs.overQueue[n].until.After(now) {
		if o := rs.overQueue[n]; rs.over[o.race].Equal(o.until) {
			delete(rs.over, o.race)
		}
		n++
	}
	rs.overQueue = rs.overQueue[n:]
}

// close stops taking new races, for reason (closedDraining, closedRetiring).
func (rs *raceSet) close(reason string) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	rs.closed = reason
}

// lapse stops taking new races except those of tokens issued before at.
// A server already closed for another reason stays so.
func (rs *raceSet) lapse(at time.Time) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.closed == "" {
		rs.closed, rs.closedAt = closedLapsed, at
	}
}

// recycleAt stops taking new races for good, except those of tokens issued
// before at (or before the lease lapsed, if it did). A draining or retiring
// server stays so.
func (rs *raceSet) recycleAt(at time.Time) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	switch rs.closed {
	case "":
		rs.closed, rs.closedAt = closedRecycled, at
	case closedLapsed:
		rs.closed = closedRecycled
	}
}

// idleRecycled reports whether the server is being recycled and no race
// runs: it may shut down. It then closes the server for good, in the same
// step, so that no race can start between the check and the shutdown.
func (rs *raceSet) idleRecycled() bool {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.closed != closedRecycled || len(rs.running) > 0 {
		return false
	}
	rs.closed = closedRetiring
	return true
}

// reopen takes new races again after a lapse (the server is back in the
// Ready pool); a draining server stays closed.
func (rs *raceSet) reopen() {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.closed == closedLapsed {
		rs.closed, rs.closedAt = "", time.Time{}
	}
}

// idleLapsed reports whether the lease lapsed and no race runs: the server
// may leave. With retire it also closes the server for good, in the same
// step, so that no race can start between the check and the shutdown.
func (rs *raceSet) idleLapsed(retire bool) bool {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.closed != closedLapsed || len(rs.running) > 0 {
		return false
	}
	if retire {
		rs.closed = closedRetiring
	}
	return true
}

// count is the number of races running (or starting).
func (rs *raceSet) count() int {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return len(rs.running)
}

// admittedBy lists, by race, the sessions of the running races admitted
// at or before cutoff.
func (rs *raceSet) admittedBy(cutoff time.Time) map[string]*realtime.Session {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	out := make(map[string]*realtime.Session)
	for race, slot := range rs.running {
		if s := slot.session(); s != nil && !slot.since.After(cutoff) {
			out[race] = s
		}
	}
	return out
}

// sessions lists the sessions of the running races.
func (rs *raceSet) sessions() []*realtime.Session {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	out := make([]*realtime.Session, 0, len(rs.running))
	for _, slot := range rs.running {
		if s := slot.session(); s != nil {
			out = append(out, s)
		}
	}
	return out
}

// session is the slot's session, or nil while it is being created or if
// it failed to start.
func (slot *raceSlot) session() *realtime.Session {
	select {
	case <-slot.ready:
		return slot.s
	default:
		return nil
	}
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
