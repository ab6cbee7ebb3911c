package host

import (
	"fmt"
	"time"

	"github.com/leapfrog-games/leapfrog/contract/agoneswire"
	"github.com/leapfrog-games/leapfrog/gameserver/agonessdk"
)

// highDensityPhase is where a server of many sessions stands: under an
// allocator's lease, after its lapse, or recycled.
type highDensityPhase int

const (
	highDensityOpen      highDensityPhase = iota // takes new sessions: in the Ready pool, or leased
	highDensityLapsed                            // the lease lapsed: no new session; leaves once empty
	highDensityReturning                         // lapsed and empty, Ready asked: reopens once Ready shows
	highDensityRecycling                         // closed for good (most sessions or most age): shuts down once empty
	highDensityOver                              // Shutdown was asked: waits to be stopped
	highDensityStopped                           // stopped, or serving players failed: the host drains
	numHighDensityPhases
)

var highDensityPhaseNames = []string{"open", "lapsed", "returning", "recycling", "over", "stopped"}

func (p highDensityPhase) String() string { return enumName(p, highDensityPhaseNames) }

// highDensityState is the lifecycle's state: the phase, the lease and what
// the next decisions need.
type highDensityState struct {
	phase highDensityPhase
	// reuse is after-session=ready: a lapsed server returns to the Ready
	// pool once empty, unless it is broken.
	reuse bool
	lease lease
	// gsState is the GameServer's state as last seen.
	gsState agoneswire.GameServerState
	// recycled is set once the server closed for good; it stays set in
	// highDensityOver, so that recycling is counted once.
	recycled bool
	// err is why serving stopped, in highDensityStopped; nil for a clean stop.
	err error
}

func newHighDensityState(afterSession string, leaseTTL time.Duration) highDensityState {
	return highDensityState{phase: highDensityOpen, reuse: afterSession == AfterReady, lease: lease{ttl: leaseTTL}}
}

// highDensityEventKind is what happened.
type highDensityEventKind int

const (
	highDensityWatched       highDensityEventKind = iota // the GameServer changed: gs
	highDensityLapseDue                                  // the lapse timer fired
	highDensityMaxAge                                    // the server reached its most age
	highDensityMaxSessions                               // the server started its most sessions
	highDensitySessionEnded                              // a session ended
	highDensityRetired                                   // answer to retireIfEmpty: ok (it was empty and is now closed for good)
	highDensityEmpty                                     // answer to checkEmpty: ok (it is empty)
	highDensityReadyAnswered                             // answer to askReady: ok
	highDensityStop                                      // the process is told to stop
	highDensityServeFailed                               // serving players failed: err
	numHighDensityEvents
)

var highDensityEventNames = []string{"watched", "lapse-due", "max-age", "max-sessions", "session-ended", "retired", "empty",
	"ready-answered", "stop", "serve-failed"}

func (k highDensityEventKind) String() string { return enumName(k, highDensityEventNames) }

// highDensityEvent is one happening, with what the lifecycle needs of it.
// The loop reads now and healthy for every event it turns a happening into.
type highDensityEvent struct {
	kind    highDensityEventKind
	gs      *agonessdk.GameServer // highDensityWatched
	now     time.Time             // the host's clock when it happened
	healthy bool                  // no fatal error when it happened
	ok      bool                  // the answered call succeeded, or found the server empty
	err     error                 // highDensityServeFailed
}

// highDensityActionKind is what to do.
type highDensityActionKind int

const (
	highDensityArmLapse      highDensityActionKind = iota // (re)arm the lapse timer: after
	highDensityDisarmLapse                                // stop the lapse timer
	highDensityNoteLease                                  // log the new lease: lessee
	highDensityReopen                                     // take new sessions again and label the server open
	highDensityLapse                                      // take no new session placed from at on, count the lapse, label closed
	highDensityRecycle                                    // close for good to sessions placed from at on, count it (reason), label closed
	highDensityRetireIfEmpty                              // if no session runs, close for good (answered): closed is what it must be closed for now
	highDensityCheckEmpty                                 // whether no session runs (answered)
	highDensityAskReady                                   // ask Agones for Ready (answered)
	highDensityRetire                                     // close for good
	highDensityShutdown                                   // ask Agones to shut the server down: why
	numHighDensityActions
)

var highDensityActionNames = []string{"arm-lapse", "disarm-lapse", "note-lease", "reopen", "lapse", "recycle", "retire-if-empty",
	"check-empty", "ask-ready", "retire", "shutdown"}

func (k highDensityActionKind) String() string { return enumName(k, highDensityActionNames) }

// highDensityAction is one thing to do.
type highDensityAction struct {
	kind   highDensityActionKind
	after  time.Duration // highDensityArmLapse
	at     time.Time     // highDensityLapse, highDensityRecycle
	lessee string        // highDensityNoteLease
	reason string        // highDensityRecycle: recycledMaxMatches or recycledMaxAge
	closed string        // highDensityRetireIfEmpty: closedLapsed or closedRecycled
	why    string        // highDensityShutdown: the log line
}

func (a highDensityAction) String() string {
	switch a.kind {
	case highDensityArmLapse:
		return fmt.Sprintf("%v(%v)", a.kind, a.after)
	case highDensityNoteLease:
		return fmt.Sprintf("%v(%s)", a.kind, a.lessee)
	case highDensityLapse:
		return fmt.Sprintf("%v(%s)", a.kind, a.at.Format(time.RFC3339))
	case highDensityRecycle:
		return fmt.Sprintf("%v(%s, %s)", a.kind, a.reason, a.at.Format(time.RFC3339))
	case highDensityRetireIfEmpty:
		return fmt.Sprintf("%v(%s)", a.kind, a.closed)
	case highDensityShutdown:
		return fmt.Sprintf("%v(%q)", a.kind, a.why)
	}
	return a.kind.String()
}

// answered reports whether the action's result is stepped in as an event.
func (k highDensityActionKind) answered() bool {
	return k == highDensityRetireIfEmpty || k == highDensityCheckEmpty || k == highDensityAskReady
}

// What a server of many sessions logs as it shuts itself down.
const (
	whyRecycled = "recycled and empty: shutting down"
	whyLapsed   = "lapsed and empty: shutting down"
)

// next is the lifecycle's transition: pure, so that every case is a table row.
func (s highDensityState) next(e highDensityEvent) (highDensityState, []highDensityAction) {
	if s.phase == highDensityStopped {
		return s, nil
	}
	var acts []highDensityAction
	switch e.kind {
	case highDensityStop:
		s.phase = highDensityStopped
		return s, nil
	case highDensityServeFailed:
		s.phase, s.err = highDensityStopped, e.err
		return s, nil
	case highDensityWatched:
		s.gsState = e.gs.Status.State
		switch s.lease.observe(e.gs, e.now) {
		case leaseStarted:
			acts = append(acts, highDensityAction{kind: highDensityNoteLease, lessee: e.gs.ObjectMeta.Labels[agoneswire.LesseeLabel]})
			switch s.phase {
			case highDensityReturning: // allocated again before Ready showed
				s, acts = s.reopen(acts)
				s.lease.observe(e.gs, e.now)
			case highDensityLapsed:
				// A new lease is live again, but the sessions stay closed
				// until it lapses in turn: no allocator chooses a server
				// labelled closed, so only a lease racing the label gets here.
				s.phase = highDensityOpen
			}
			acts = s.arm(acts, e.now)
		case leaseRenewed:
			acts = s.arm(acts, e.now)
		case leaseEnded:
			acts = append(acts, highDensityAction{kind: highDensityDisarmLapse})
		}
		if s.phase == highDensityReturning && s.gsState == agoneswire.StateReady {
			s, acts = s.reopen(acts)
		}
	case highDensityLapseDue:
		if !s.lease.expired(e.now) {
			acts = s.arm(acts, e.now)
			break
		}
		s.lease.lapsed = true
		acts = append(acts, highDensityAction{kind: highDensityLapse, at: e.now})
		if s.phase == highDensityOpen {
			s.phase = highDensityLapsed
		}
	case highDensityMaxAge:
		s, acts = s.recycle(acts, recycledMaxAge, e.now)
	case highDensityMaxSessions:
		s, acts = s.recycle(acts, recycledMaxMatches, e.now)
	case highDensitySessionEnded:
	case highDensityRetired:
		if e.ok && (s.phase == highDensityRecycling || s.phase == highDensityLapsed) {
			why := whyRecycled
			if s.phase == highDensityLapsed {
				why = whyLapsed
			}
			s.phase = highDensityOver
			return s, []highDensityAction{{kind: highDensityShutdown, why: why}}
		}
		return s, nil
	case highDensityEmpty:
		if e.ok && s.phase == highDensityLapsed {
			return s, []highDensityAction{{kind: highDensityAskReady}}
		}
		return s, nil
	case highDensityReadyAnswered:
		if s.phase != highDensityLapsed {
			return s, nil
		}
		if !e.ok {
			s.phase = highDensityOver
			return s, []highDensityAction{{kind: highDensityRetire}, {kind: highDensityShutdown, why: whyLapsed}}
		}
		s.phase = highDensityReturning
		if s.gsState == agoneswire.StateReady { // already Ready: no change will show
			s, acts = s.reopen(acts)
		}
		return s, acts
	}
	// After every happening: a recycled or lapsed server leaves once empty.
	switch s.phase {
	case highDensityRecycling:
		acts = append(acts, highDensityAction{kind: highDensityRetireIfEmpty, closed: closedRecycled})
	case highDensityLapsed:
		if s.reuse && e.healthy {
			acts = append(acts, highDensityAction{kind: highDensityCheckEmpty})
		} else {
			acts = append(acts, highDensityAction{kind: highDensityRetireIfEmpty, closed: closedLapsed})
		}
	}
	return s, acts
}

// arm (re)arms the lapse timer for the lease as it stands at now, or
// disarms it when the lease cannot lapse.
func (s highDensityState) arm(acts []highDensityAction, now time.Time) []highDensityAction {
	if d, ok := s.lease.due(now); ok {
		return append(acts, highDensityAction{kind: highDensityArmLapse, after: d})
	}
	return append(acts, highDensityAction{kind: highDensityDisarmLapse})
}

// reopen takes the server back to taking new sessions, with no lease, once
// it is back in the Ready pool.
func (s highDensityState) reopen(acts []highDensityAction) (highDensityState, []highDensityAction) {
	s.phase, s.lease = highDensityOpen, lease{ttl: s.lease.ttl}
	return s, append(acts, highDensityAction{kind: highDensityReopen})
}

// recycle closes the server for good, once.
func (s highDensityState) recycle(acts []highDensityAction, reason string, now time.Time) (highDensityState, []highDensityAction) {
	if s.recycled {
		return s, acts
	}
	s.recycled = true
	if s.phase != highDensityOver {
		s.phase = highDensityRecycling
	}
	return s, append(acts, highDensityAction{kind: highDensityRecycle, reason: reason, at: now})
}
