package host

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/leapfrog-games/leapfrog/contract/token"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime"
)

// matchSet is a high-density server's matches: it routes each player to the
// session of the match its token names, starts a match when it is new and the
// server takes one, and remembers finished matches so that none is run twice.
// It is the server's realtime.Router; every method is safe for concurrent use.
type matchSet struct {
	max     int
	now     func() time.Time
	metrics *Metrics
	// start builds and runs the session of a new match; ended is called
	// once that session is over.
	start func(match string) (*realtime.Session, error)

	mu      sync.Mutex
	running map[string]*matchSlot
	// over holds finished matches until no token of theirs can start them
	// again (matchSlot.startable). overQueue is the same matches in the order
	// they ended, to forget them without a scan.
	over      map[string]time.Time
	overQueue []overMatch
	// closed says why no new match is taken; "" when open. While the lease
	// is lapsed or the server is being recycled, tokens issued before
	// closedAt still start their match: they were placed while it was open.
	closed   string
	closedAt time.Time
	// maxStarts is the most matches the server starts in its life before it
	// is recycled (0: no limit); started counts them. recycle is signalled
	// (never blocking) when started reaches maxStarts.
	maxStarts int
	started   int
	recycle   chan struct{}
}

// matchSlot is one running match. ready is closed once s (or err) is set, so
// that the players of a match being created wait for its session.
type matchSlot struct {
	ready chan struct{}
	s     *realtime.Session
	err   error
	// startable is until when a token of the match seen so far could start
	// it: the start deadline (race_start_by) plus the leeway, which every
	// token of the match shares, including those minted during the match
	// that the server never sees; for a token without the claim, its expiry
	// plus the leeway (such tokens the server has not seen can still start
	// an ended match: the rule of tokens minted before the claim existed).
	startable time.Time
	since     time.Time // when the match was admitted
}

type overMatch struct {
	match string
	until time.Time
}

// Why a high-density server takes no new match.
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

func newMatchSet(max, maxStarts int, now func() time.Time, metrics *Metrics) *matchSet {
	return &matchSet{max: max, maxStarts: maxStarts, now: now, metrics: metrics, running: make(map[string]*matchSlot),
		over: make(map[string]time.Time), recycle: make(chan struct{}, 1)}
}

var _ realtime.Router = (*matchSet)(nil)

// Route implements realtime.Router.
func (rs *matchSet) Route(ctx context.Context, id realtime.Identity) (*realtime.Session, error) {
	if id.Match == "" {
		rs.metrics.refused(refusedClaim)
		return nil, fmt.Errorf("%w: this server hosts many matches and the token names none", realtime.ErrMatchClaim)
	}
	rs.mu.Lock()
	slot := rs.running[id.Match]
	if slot == nil {
		var err error
		if slot, err = rs.admit(id); err != nil {
			rs.mu.Unlock()
			return nil, err
		}
		rs.mu.Unlock()
		rs.create(id.Match, slot)
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

// admit decides whether the match of id may start now and, if so, holds its
// slot. Called with mu held.
func (rs *matchSet) admit(id realtime.Identity) (*matchSlot, error) {
	refuse := func(reason string, err error) (*matchSlot, error) {
		rs.metrics.refused(reason)
		return nil, err
	}
	now := rs.now()
	rs.forgetOver(now)
	if _, ok := rs.over[id.Match]; ok {
		return refuse(refusedOver, fmt.Errorf("%w: match %s", realtime.ErrClosed, id.Match))
	}
	if by := id.MatchStartBy; !by.IsZero() && !now.Before(by.Add(token.ClockSkewLeeway)) {
		// The allocator forgot this match (its room may be another match's
		// now), or it ran and ended and is forgotten here: either way
		// nobody placed it now.
		return refuse(refusedLate, fmt.Errorf("%w: match %s had to start by %s", realtime.ErrClosed, id.Match, by.UTC().Format(time.RFC3339)))
	}
	switch rs.closed {
	case "":
	case closedLapsed, closedRecycled:
		if !id.IssuedAt.Before(rs.closedAt) {
			return refuse(rs.closed, fmt.Errorf("%w: %s", realtime.ErrNoNewMatch, closedText(rs.closed)))
		}
	default:
		return refuse(rs.closed, fmt.Errorf("%w: %s", realtime.ErrNoNewMatch, closedText(rs.closed)))
	}
	if len(rs.running) >= rs.max {
		return refuse(refusedFull, fmt.Errorf("%w (%d matches)", realtime.ErrServerFull, rs.max))
	}
	slot := &matchSlot{ready: make(chan struct{}), startable: startable(id), since: now}
	rs.running[id.Match] = slot
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
		return "it is being recycled (it reached its most matches or its most age) and shuts down once its matches end"
	}
	return reason
}

// create starts the match's session outside the lock: building a game may
// take a while (a script's runtime), and other matches go on meanwhile.
func (rs *matchSet) create(match string, slot *matchSlot) {
	s, err := rs.start(match)
	if err != nil {
		rs.mu.Lock()
		delete(rs.running, match)
		rs.mu.Unlock()
		slot.err = fmt.Errorf("start match %s: %w", match, err)
	} else {
		slot.s = s
		rs.metrics.matchStarted()
	}
	close(slot.ready)
}

// startable is until when the token of id could start its match: past its
// start deadline, or for a token without one past its expiry, the token is
// refused anyway (each with the tokens' clock leeway).
func startable(id realtime.Identity) time.Time {
	if !id.MatchStartBy.IsZero() {
		return id.MatchStartBy.Add(token.ClockSkewLeeway)
	}
	return id.ExpiresAt.Add(token.ClockSkewLeeway)
}

// ended forgets a finished match, remembering its id while a token of it
// could start it again.
func (rs *matchSet) ended(match, outcome string) {
	now := rs.now()
	rs.mu.Lock()
	defer rs.mu.Unlock()
	rs.forgetOver(now)
	slot := rs.running[match]
	if slot == nil {
		return
	}
	delete(rs.running, match)
	rs.metrics.matchEnded(outcome)
	if slot.startable.After(now) {
		rs.over[match] = slot.startable
		rs.overQueue = append(rs.overQueue, overMatch{match: match, until: slot.startable})
	}
}

// forgetOver forgets the oldest finished matches no token can start any more.
// Those times are nearly in order (matches share one no-show window, tokens
// one lifetime): one due sooner behind a later one waits for it, still
// bounded by the window or the lifetime. Called with mu held, at every end
// and every admission, so that the memory is bounded by the matches that
// ended within one window. An entry is dropped only if it is the queue's
// own: a match id may end twice (an old token started it again after the
// first memory ended).
func (rs *matchSet) forgetOver(now time.Time) {
	n := 0
	for n < len(rs.overQueue) && !rs.overQueue[n].until.After(now) {
		if o := rs.overQueue[n]; rs.over[o.match].Equal(o.until) {
			delete(rs.over, o.match)
		}
		n++
	}
	rs.overQueue = rs.overQueue[n:]
}

// close stops taking new matches, for reason (closedDraining, closedRetiring).
func (rs *matchSet) close(reason string) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	rs.closed = reason
}

// lapse stops taking new matches except those of tokens issued before at.
// A server already closed for another reason stays so.
func (rs *matchSet) lapse(at time.Time) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.closed == "" {
		rs.closed, rs.closedAt = closedLapsed, at
	}
}

// recycleAt stops taking new matches for good, except those of tokens issued
// before at (or before the lease lapsed, if it did). A draining or retiring
// server stays so.
func (rs *matchSet) recycleAt(at time.Time) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	switch rs.closed {
	case "":
		rs.closed, rs.closedAt = closedRecycled, at
	case closedLapsed:
		rs.closed = closedRecycled
	}
}

// idleRecycled reports whether the server is being recycled and no match
// runs: it may shut down. It then closes the server for good, in the same
// step, so that no match can start between the check and the shutdown.
func (rs *matchSet) idleRecycled() bool {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.closed != closedRecycled || len(rs.running) > 0 {
		return false
	}
	rs.closed = closedRetiring
	return true
}

// reopen takes new matches again after a lapse (the server is back in the
// Ready pool); a draining server stays closed.
func (rs *matchSet) reopen() {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.closed == closedLapsed {
		rs.closed, rs.closedAt = "", time.Time{}
	}
}

// idleLapsed reports whether the lease lapsed and no match runs: the server
// may leave. With retire it also closes the server for good, in the same
// step, so that no match can start between the check and the shutdown.
func (rs *matchSet) idleLapsed(retire bool) bool {
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

// count is the number of matches running (or starting).
func (rs *matchSet) count() int {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return len(rs.running)
}

// admittedBy lists, by match, the sessions of the running matches admitted
// at or before cutoff.
func (rs *matchSet) admittedBy(cutoff time.Time) map[string]*realtime.Session {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	out := make(map[string]*realtime.Session)
	for match, slot := range rs.running {
		if s := slot.session(); s != nil && !slot.since.After(cutoff) {
			out[match] = s
		}
	}
	return out
}

// sessions lists the sessions of the running matches.
func (rs *matchSet) sessions() []*realtime.Session {
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
func (slot *matchSlot) session() *realtime.Session {
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
