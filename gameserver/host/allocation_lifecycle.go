package host

import (
	"errors"
	"fmt"

	"github.com/leapfrog-games/leapfrog/contract/agoneswire"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime"
)

// allocationPhase is where a server of one session per allocation stands.
type allocationPhase int

const (
	allocationWaiting   allocationPhase = iota // Ready: waits for an allocation
	allocationStarting                         // allocated: its session is being built
	allocationPlaying                          // the session runs
	allocationReturning                        // the session is over and Ready was asked: waits for Ready to show
	allocationClearing                         // Ready shows: the players list is being emptied
	allocationOver                             // Shutdown was asked: waits to be stopped
	allocationStopped                          // stopped, or serving players failed: the host drains
	numAllocationPhases
)

var allocationPhaseNames = []string{"waiting", "starting", "playing", "returning", "clearing", "over", "stopped"}

func (p allocationPhase) String() string { return enumName(p, allocationPhaseNames) }

// allocationState is the lifecycle's state: the phase and what the next
// decisions need.
type allocationState struct {
	phase allocationPhase
	// reuse is after-session=ready: back to the Ready pool after a session.
	reuse bool
	// allocation is Agones' last-allocated annotation of the last session's
	// allocation. After Ready() for reuse a stale Allocated state may still
	// arrive: an allocation is new when the annotation moved (watch updates
	// are batched, so the Ready in between may never show) or, without the
	// annotation, once Ready was seen since (leaving allocationReturning).
	allocation string
	// players is, while starting, the players list the allocation came with.
	players []string
	// err is why serving stopped, in allocationStopped; nil for a clean stop.
	err error
}

func newAllocationState(afterSession string) allocationState {
	return allocationState{phase: allocationWaiting, reuse: afterSession == AfterReady}
}

// allocationEventKind is what happened.
type allocationEventKind int

const (
	allocationWatched       allocationEventKind = iota // the GameServer changed: state, allocation, players
	allocationStarted                                  // answer to startSession: err
	allocationSessionEnded                             // the session is over: outcome, healthy
	allocationReadyAnswered                            // answer to askReady: ok
	allocationCleared                                  // answer to clearPlayers: ok
	allocationStop                                     // the process is told to stop
	allocationServeFailed                              // serving players failed: err
	numAllocationEvents
)

var allocationEventNames = []string{"watched", "started", "session-ended", "ready-answered", "cleared", "stop", "serve-failed"}

func (k allocationEventKind) String() string { return enumName(k, allocationEventNames) }

// allocationEvent is one happening, with what the lifecycle needs of it.
type allocationEvent struct {
	kind allocationEventKind
	// state, allocation and players are the watched GameServer's state,
	// last-allocated annotation and players list.
	state      agoneswire.GameServerState
	allocation string
	players    []string
	outcome    string // the ended session's outcome
	healthy    bool   // no fatal error when the session ended
	ok         bool   // the answered call succeeded
	err        error  // the session did not start; serving failed
}

// allocationActionKind is what to do.
type allocationActionKind int

const (
	allocationStartSession allocationActionKind = iota // build and run the session (answered)
	allocationReserve                                  // hand the players list to the session
	allocationOpen                                     // take players (a session started): count it
	allocationReopen                                   // take players and label the server open (back in the pool)
	allocationClose                                    // take no players and label the server closed
	allocationEndSession                               // count the ended session, log it, stop routing to it
	allocationFail                                     // stop health pings for good: reason
	allocationAskReady                                 // ask Agones for Ready (answered)
	allocationClearPlayers                             // empty the players list (answered)
	allocationShutdown                                 // ask Agones to shut the server down
	numAllocationActions
)

var allocationActionNames = []string{"start-session", "reserve", "open", "reopen", "close", "end-session", "fail", "ask-ready",
	"clear-players", "shutdown"}

func (k allocationActionKind) String() string { return enumName(k, allocationActionNames) }

// allocationAction is one thing to do.
type allocationAction struct {
	kind    allocationActionKind
	players []string // allocationReserve
	outcome string   // allocationEndSession
	reason  string   // allocationFail
}

func (a allocationAction) String() string {
	switch a.kind {
	case allocationReserve:
		return fmt.Sprintf("%v%v", a.kind, a.players)
	case allocationEndSession:
		return fmt.Sprintf("%v(%s)", a.kind, a.outcome)
	case allocationFail:
		return fmt.Sprintf("%v(%s)", a.kind, a.reason)
	}
	return a.kind.String()
}

// answered reports whether the action's result is stepped in as an event.
func (k allocationActionKind) answered() bool {
	return k == allocationStartSession || k == allocationAskReady || k == allocationClearPlayers
}

// next is the lifecycle's transition: pure, so that every case is a table row.
func (s allocationState) next(e allocationEvent) (allocationState, []allocationAction) {
	if s.phase == allocationStopped {
		return s, nil
	}
	switch e.kind {
	case allocationStop:
		s.phase, s.players = allocationStopped, nil
		return s, nil
	case allocationServeFailed:
		s.phase, s.players, s.err = allocationStopped, nil, e.err
		return s, nil
	}
	switch s.phase {
	case allocationWaiting:
		fresh := e.allocation != s.allocation || e.allocation == ""
		if e.kind == allocationWatched && e.state == agoneswire.StateAllocated && fresh {
			// The session is named after the game server: the allocator's
			// gameSessionId for it (one allocation at a time).
			s.phase, s.allocation, s.players = allocationStarting, e.allocation, e.players
			return s, []allocationAction{{kind: allocationStartSession}}
		}
	case allocationStarting:
		if e.kind == allocationStarted {
			if errors.Is(e.err, errGamePanicked) {
				// The game's constructor panicked: this allocation is
				// refused, as a session over before it began. The server
				// holds nothing of that game and stays healthy: back to
				// the pool, or shut down as after any session.
				s.players = nil
				acts := []allocationAction{{kind: allocationClose}}
				if s.reuse {
					s.phase = allocationReturning
					return s, append(acts, allocationAction{kind: allocationAskReady})
				}
				s.phase = allocationOver
				return s, append(acts, allocationAction{kind: allocationShutdown})
			}
			if e.err != nil {
				s.phase, s.players, s.err = allocationStopped, nil, e.err
				return s, nil
			}
			players := s.players
			s.phase, s.players = allocationPlaying, nil
			return s, []allocationAction{{kind: allocationOpen}, {kind: allocationReserve, players: players}}
		}
	case allocationPlaying:
		switch e.kind {
		case allocationWatched:
			return s, []allocationAction{{kind: allocationReserve, players: e.players}}
		case allocationSessionEnded:
			acts := []allocationAction{{kind: allocationClose}, {kind: allocationEndSession, outcome: e.outcome}}
			healthy := e.healthy
			if e.outcome == realtime.OutcomeCrashed {
				acts = append(acts, allocationAction{kind: allocationFail, reason: "the game crashed"})
				healthy = false
			}
			if s.reuse && healthy {
				s.phase = allocationReturning
				return s, append(acts, allocationAction{kind: allocationAskReady})
			}
			s.phase = allocationOver
			return s, append(acts, allocationAction{kind: allocationShutdown})
		}
	case allocationReturning:
		switch e.kind {
		case allocationReadyAnswered:
			if !e.ok {
				s.phase = allocationOver
				return s, []allocationAction{{kind: allocationShutdown}}
			}
		case allocationWatched:
			if e.state == agoneswire.StateReady {
				// Back in the Ready pool with a full list: nobody can be
				// placed here until it is emptied, now. Emptied while still
				// Allocated, it would let the allocator place players on a
				// finished session.
				s.phase = allocationClearing
				return s, []allocationAction{{kind: allocationClearPlayers}}
			}
		}
	case allocationClearing:
		if e.kind == allocationCleared {
			if !e.ok {
				s.phase = allocationOver
				return s, []allocationAction{{kind: allocationShutdown}}
			}
			s.phase = allocationWaiting
			return s, []allocationAction{{kind: allocationReopen}}
		}
	}
	return s, nil
}
