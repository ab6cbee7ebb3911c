package host

import (
	"errors"
	"testing"
	"time"

	"github.com/leapfrog-games/leapfrog/contract/agoneswire"
	"github.com/leapfrog-games/leapfrog/gameserver/agonessdk"
)

func TestHighDensityLifecycle(t *testing.T) {
	type (
		st  = highDensityState
		ev  = highDensityEvent
		act = highDensityAction
	)
	const ttl = 15 * time.Second
	t0 := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	errServe := errors.New("accept: too many files")
	gs := gameServerSeen
	// held is the lease of allocation a1 by x, renewed (r0) at t0.
	held := lease{ttl: ttl, held: true, allocation: "a1", mark: "x\x00r0", renewed: t0}
	lapsed := held
	lapsed.lapsed = true
	// in is a state of phase p as the server gets there: leased in open,
	// lapsed in lapsed, returning and recycling, Shutdown asked from lapsed.
	in := func(p highDensityPhase) st {
		s := st{phase: p, reuse: true, lease: held, gsState: agoneswire.StateAllocated}
		switch p {
		case highDensityLapsed, highDensityReturning, highDensityOver:
			s.lease = lapsed
		case highDensityRecycling:
			s.lease, s.recycled = lapsed, true
		}
		return s
	}
	with := func(s st, f func(*st)) st { f(&s); return s }
	broken := func(e ev) ev { e.healthy = false; return e }
	pool := st{phase: highDensityOpen, reuse: true, lease: lease{ttl: ttl}, gsState: agoneswire.StateReady}
	at := func(d time.Duration, e ev) ev { e.now, e.healthy = t0.Add(d), true; return e }
	watched := func(d time.Duration, g *agonessdk.GameServer) ev { return at(d, ev{kind: highDensityWatched, gs: g}) }
	var (
		leased      = gs(agoneswire.StateAllocated, "a1", "x", "r0")
		renewed     = gs(agoneswire.StateAllocated, "a1", "x", "r1")
		newLease    = gs(agoneswire.StateAllocated, "a2", "y", "r5")
		back        = gs(agoneswire.StateReady, "a1", "x", "r0")
		lapseDue    = at(ttl, ev{kind: highDensityLapseDue})
		maxAge      = at(time.Hour, ev{kind: highDensityMaxAge})
		maxSessions = at(time.Minute, ev{kind: highDensityMaxSessions})
		sessionEnd  = at(time.Minute, ev{kind: highDensitySessionEnded})
		stop        = at(0, ev{kind: highDensityStop})
		serveFailed = at(0, ev{kind: highDensityServeFailed, err: errServe})
		checkEmpty  = act{kind: highDensityCheckEmpty}
		retireLapse = act{kind: highDensityRetireIfEmpty, closed: closedLapsed}
		retireCycle = act{kind: highDensityRetireIfEmpty, closed: closedRecycled}
		noteLease   = func(lessee string) act { return act{kind: highDensityNoteLease, lessee: lessee} }
		armLapse    = func(d time.Duration) act { return act{kind: highDensityArmLapse, after: d} }
		disarm      = act{kind: highDensityDisarmLapse}
		leaseFrom   = func(d time.Duration, allocation, mark string) lease {
			return lease{ttl: ttl, held: true, allocation: allocation, mark: mark, renewed: t0.Add(d)}
		}
		stopped = func(p highDensityPhase) st { return with(in(p), func(s *st) { s.phase = highDensityStopped }) }
		failed  = func(p highDensityPhase) st { return with(stopped(p), func(s *st) { s.err = errServe }) }
	)
	tests := []lifecycleCase[st, ev, act]{
		// Open: in the Ready pool, or leased.
		{"leased", pool, watched(0, leased), with(pool, func(s *st) { s.lease, s.gsState = held, agoneswire.StateAllocated }),
			[]act{noteLease("x"), armLapse(ttl)}},
		{"renewed", in(highDensityOpen), watched(5*time.Second, renewed),
			with(in(highDensityOpen), func(s *st) { s.lease = leaseFrom(5*time.Second, "a1", "x\x00r1") }), []act{armLapse(ttl)}},
		{"the same lease seen again", in(highDensityOpen), watched(5*time.Second, leased), in(highDensityOpen), nil},
		{"back in the pool: the lease ends", in(highDensityOpen), watched(time.Second, back),
			with(in(highDensityOpen), func(s *st) { s.lease.held, s.gsState = false, agoneswire.StateReady }), []act{disarm}},
		{"no TTL: nothing to arm", with(pool, func(s *st) { s.lease.ttl = 0 }), watched(0, leased),
			with(pool, func(s *st) { s.lease, s.gsState = held, agoneswire.StateAllocated; s.lease.ttl = 0 }), []act{noteLease("x"), disarm}},
		{"lapses, reused once empty", in(highDensityOpen), lapseDue, in(highDensityLapsed),
			[]act{{kind: highDensityLapse, at: t0.Add(ttl)}, checkEmpty}},
		{"lapses, broken: retired once empty", in(highDensityOpen), broken(lapseDue), in(highDensityLapsed),
			[]act{{kind: highDensityLapse, at: t0.Add(ttl)}, retireLapse}},
		{"lapses, after-session shutdown: retired once empty", with(in(highDensityOpen), func(s *st) { s.reuse = false }), lapseDue,
			with(in(highDensityLapsed), func(s *st) { s.reuse = false }), []act{{kind: highDensityLapse, at: t0.Add(ttl)}, retireLapse}},
		{"the timer fires after a renewal: armed again", with(in(highDensityOpen), func(s *st) { s.lease.renewed = t0.Add(10 * time.Second) }),
			lapseDue, with(in(highDensityOpen), func(s *st) { s.lease.renewed = t0.Add(10 * time.Second) }), []act{armLapse(10 * time.Second)}},
		{"the timer fires after the lease ended", pool, lapseDue, pool, []act{disarm}},
		{"max age", in(highDensityOpen), maxAge, with(in(highDensityOpen), func(s *st) { s.phase, s.recycled = highDensityRecycling, true }),
			[]act{{kind: highDensityRecycle, reason: recycledMaxAge, at: t0.Add(time.Hour)}, retireCycle}},
		{"most sessions", in(highDensityOpen), maxSessions, with(in(highDensityOpen), func(s *st) { s.phase, s.recycled = highDensityRecycling, true }),
			[]act{{kind: highDensityRecycle, reason: recycledMaxMatches, at: t0.Add(time.Minute)}, retireCycle}},
		{"a session ends while open", in(highDensityOpen), sessionEnd, in(highDensityOpen), nil},
		{"stop while open", in(highDensityOpen), stop, stopped(highDensityOpen), nil},
		{"serving fails while open", in(highDensityOpen), serveFailed, failed(highDensityOpen), nil},

		// Lapsed: no new session; after every happening, leave if empty.
		{"a session ends while lapsed", in(highDensityLapsed), sessionEnd, in(highDensityLapsed), []act{checkEmpty}},
		{"a session ends while lapsed, broken", in(highDensityLapsed), broken(sessionEnd),
			in(highDensityLapsed), []act{retireLapse}},
		{"a renewal after the lapse revives nothing", in(highDensityLapsed), watched(20*time.Second, renewed),
			with(in(highDensityLapsed), func(s *st) { s.lease.mark, s.lease.renewed = "x\x00r1", t0.Add(20*time.Second) }), []act{disarm, checkEmpty}},
		{"back in the pool before empty: the lease ends", in(highDensityLapsed), watched(20*time.Second, back),
			with(in(highDensityLapsed), func(s *st) { s.lease.held, s.gsState = false, agoneswire.StateReady }), []act{disarm, checkEmpty}},
		{"a new lease while lapsed is live, sessions stay closed", in(highDensityLapsed), watched(20*time.Second, newLease),
			with(in(highDensityOpen), func(s *st) { s.lease = leaseFrom(20*time.Second, "a2", "y\x00r5") }), []act{noteLease("y"), armLapse(ttl)}},
		{"the timer fires once lapsed", in(highDensityLapsed), lapseDue, in(highDensityLapsed), []act{disarm, checkEmpty}},
		{"max age while lapsed", in(highDensityLapsed), maxAge, with(in(highDensityLapsed), func(s *st) { s.phase, s.recycled = highDensityRecycling, true }),
			[]act{{kind: highDensityRecycle, reason: recycledMaxAge, at: t0.Add(time.Hour)}, retireCycle}},
		{"most sessions while lapsed", in(highDensityLapsed), maxSessions,
			with(in(highDensityLapsed), func(s *st) { s.phase, s.recycled = highDensityRecycling, true }),
			[]act{{kind: highDensityRecycle, reason: recycledMaxMatches, at: t0.Add(time.Minute)}, retireCycle}},
		{"empty: ask for Ready", in(highDensityLapsed), ev{kind: highDensityEmpty, ok: true}, in(highDensityLapsed), []act{{kind: highDensityAskReady}}},
		{"not empty yet", in(highDensityLapsed), ev{kind: highDensityEmpty}, in(highDensityLapsed), nil},
		{"empty and retired", in(highDensityLapsed), ev{kind: highDensityRetired, ok: true}, in(highDensityOver),
			[]act{{kind: highDensityShutdown, why: whyLapsed}}},
		{"not empty yet to retire", in(highDensityLapsed), ev{kind: highDensityRetired}, in(highDensityLapsed), nil},
		{"Ready taken: wait for it to show", in(highDensityLapsed), ev{kind: highDensityReadyAnswered, ok: true}, in(highDensityReturning), nil},
		{"Ready taken, already Ready: open at once", with(in(highDensityLapsed), func(s *st) { s.gsState = agoneswire.StateReady }),
			ev{kind: highDensityReadyAnswered, ok: true}, with(pool, func(s *st) { s.gsState = agoneswire.StateReady }),
			[]act{{kind: highDensityReopen}}},
		{"Ready refused: retire and shut down", in(highDensityLapsed), ev{kind: highDensityReadyAnswered}, in(highDensityOver),
			[]act{{kind: highDensityRetire}, {kind: highDensityShutdown, why: whyLapsed}}},
		{"stop while lapsed", in(highDensityLapsed), stop, stopped(highDensityLapsed), nil},
		{"serving fails while lapsed", in(highDensityLapsed), serveFailed, failed(highDensityLapsed), nil},

		// Returning: Ready asked; open once it shows.
		{"Ready shows: open", in(highDensityReturning), watched(20*time.Second, back), pool, []act{disarm, {kind: highDensityReopen}}},
		{"allocated again before Ready showed: open and leased", in(highDensityReturning), watched(20*time.Second, newLease),
			with(pool, func(s *st) {
				s.lease, s.gsState = leaseFrom(20*time.Second, "a2", "y\x00r5"), agoneswire.StateAllocated
			}),
			[]act{noteLease("y"), {kind: highDensityReopen}, armLapse(ttl)}},
		{"still Allocated: wait", in(highDensityReturning), watched(20*time.Second, leased), in(highDensityReturning), nil},
		{"the timer fires while returning", in(highDensityReturning), lapseDue, in(highDensityReturning), []act{disarm}},
		{"max age while returning", in(highDensityReturning), maxAge,
			with(in(highDensityReturning), func(s *st) { s.phase, s.recycled = highDensityRecycling, true }),
			[]act{{kind: highDensityRecycle, reason: recycledMaxAge, at: t0.Add(time.Hour)}, retireCycle}},
		{"most sessions while returning", in(highDensityReturning), maxSessions,
			with(in(highDensityReturning), func(s *st) { s.phase, s.recycled = highDensityRecycling, true }),
			[]act{{kind: highDensityRecycle, reason: recycledMaxMatches, at: t0.Add(time.Minute)}, retireCycle}},
		{"a session ends while returning", in(highDensityReturning), sessionEnd, in(highDensityReturning), nil},
		{"stop while returning", in(highDensityReturning), stop, stopped(highDensityReturning), nil},
		{"serving fails while returning", in(highDensityReturning), serveFailed, failed(highDensityReturning), nil},

		// Recycling: closed for good; after every happening, shut down if empty.
		{"a session ends while recycling", in(highDensityRecycling), sessionEnd, in(highDensityRecycling), []act{retireCycle}},
		{"Ready shows while recycling: stays closed", in(highDensityRecycling), watched(20*time.Second, back),
			with(in(highDensityRecycling), func(s *st) { s.lease.held, s.gsState = false, agoneswire.StateReady }), []act{disarm, retireCycle}},
		{"a lease while recycling is followed", with(in(highDensityRecycling), func(s *st) { s.lease = held; s.lease.held = false }),
			watched(0, leased), with(in(highDensityRecycling), func(s *st) { s.lease = held }), []act{noteLease("x"), armLapse(ttl), retireCycle}},
		{"a lease lapses while recycling", with(in(highDensityRecycling), func(s *st) { s.lease = held }), lapseDue, in(highDensityRecycling),
			[]act{{kind: highDensityLapse, at: t0.Add(ttl)}, retireCycle}},
		{"recycled once only: max age", in(highDensityRecycling), maxAge, in(highDensityRecycling), []act{retireCycle}},
		{"recycled once only: most sessions", in(highDensityRecycling), maxSessions, in(highDensityRecycling), []act{retireCycle}},
		{"empty: shut down", in(highDensityRecycling), ev{kind: highDensityRetired, ok: true},
			with(in(highDensityRecycling), func(s *st) { s.phase = highDensityOver }), []act{{kind: highDensityShutdown, why: whyRecycled}}},
		{"not empty yet to shut down", in(highDensityRecycling), ev{kind: highDensityRetired}, in(highDensityRecycling), nil},
		{"stop while recycling", in(highDensityRecycling), stop, stopped(highDensityRecycling), nil},
		{"serving fails while recycling", in(highDensityRecycling), serveFailed, failed(highDensityRecycling), nil},

		// Over: Shutdown asked; the lease and the limits are still followed
		// (logged, counted, labelled), nothing more is decided.
		{"the lease is followed once over", in(highDensityOver), watched(20*time.Second, back),
			with(in(highDensityOver), func(s *st) { s.lease.held, s.gsState = false, agoneswire.StateReady }), []act{disarm}},
		{"a lease lapses once over", with(in(highDensityOver), func(s *st) { s.lease = held }), lapseDue, in(highDensityOver),
			[]act{{kind: highDensityLapse, at: t0.Add(ttl)}}},
		{"max age once over", in(highDensityOver), maxAge, with(in(highDensityOver), func(s *st) { s.recycled = true }),
			[]act{{kind: highDensityRecycle, reason: recycledMaxAge, at: t0.Add(time.Hour)}}},
		{"most sessions once over", in(highDensityOver), maxSessions, with(in(highDensityOver), func(s *st) { s.recycled = true }),
			[]act{{kind: highDensityRecycle, reason: recycledMaxMatches, at: t0.Add(time.Minute)}}},
		{"a session ends once over", in(highDensityOver), sessionEnd, in(highDensityOver), nil},
		{"stop once over", in(highDensityOver), stop, stopped(highDensityOver), nil},
		{"serving fails once over", in(highDensityOver), serveFailed, failed(highDensityOver), nil},
	}
	const noAnswer = "no question asked in this phase"
	type c = cell[highDensityPhase, highDensityEventKind]
	ignored := map[c]string{
		{highDensityOpen, highDensityRetired}: noAnswer, {highDensityOpen, highDensityEmpty}: noAnswer,
		{highDensityOpen, highDensityReadyAnswered}: noAnswer,
		{highDensityReturning, highDensityRetired}:  noAnswer, {highDensityReturning, highDensityEmpty}: noAnswer,
		{highDensityReturning, highDensityReadyAnswered}: noAnswer,
		{highDensityRecycling, highDensityEmpty}:         noAnswer, {highDensityRecycling, highDensityReadyAnswered}: noAnswer,
		{highDensityOver, highDensityRetired}: noAnswer, {highDensityOver, highDensityEmpty}: noAnswer,
		{highDensityOver, highDensityReadyAnswered}: noAnswer,
	}
	for k := range numHighDensityEvents {
		ignored[c{highDensityStopped, k}] = "the loop has ended"
	}
	lifecycleTable[st, ev, act, highDensityPhase, highDensityEventKind]{
		next: highDensityState.next, phase: func(s st) highDensityPhase { return s.phase }, kind: func(e ev) highDensityEventKind { return e.kind },
		answered: func(a act) bool { return a.kind.answered() }, phases: numHighDensityPhases, kinds: numHighDensityEvents,
		cases: tests, ignored: ignored, in: in,
		samples: []ev{watched(0, leased), watched(0, back), lapseDue, maxAge, maxSessions, sessionEnd, {kind: highDensityRetired, ok: true},
			{kind: highDensityRetired}, {kind: highDensityEmpty, ok: true}, {kind: highDensityEmpty},
			{kind: highDensityReadyAnswered, ok: true}, {kind: highDensityReadyAnswered}, stop, serveFailed},
	}.run(t)
}
