package host

import (
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/leapfrog-games/leapfrog/contract/agoneswire"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime"
)

func TestAllocationLifecycle(t *testing.T) {
	type (
		st  = allocationState
		ev  = allocationEvent
		act = allocationAction
	)
	players := []string{"alice", "bob"}
	errStart, errServe := errors.New("no game"), errors.New("accept: too many files")
	in := func(p allocationPhase) st {
		s := st{phase: p, reuse: true, allocation: "a1"}
		if p == allocationStarting {
			s.players = players
		}
		return s
	}
	with := func(s st, f func(*st)) st { f(&s); return s }
	watched := func(state agoneswire.GameServerState, allocation string) ev {
		return ev{kind: allocationWatched, state: state, allocation: allocation, players: players}
	}
	ended := func(outcome string, healthy bool) ev {
		return ev{kind: allocationSessionEnded, outcome: outcome, healthy: healthy}
	}
	var (
		stop        = ev{kind: allocationStop}
		serveFailed = ev{kind: allocationServeFailed, err: errServe}
		stopped     = st{phase: allocationStopped, reuse: true, allocation: "a1"}
		failed      = with(stopped, func(s *st) { s.err = errServe })
		closeEnd    = []act{{kind: allocationClose}, {kind: allocationEndSession, outcome: realtime.OutcomeCompleted}}
	)
	tests := []lifecycleCase[st, ev, act]{
		{"a new allocation starts a session", in(allocationWaiting), watched(agoneswire.StateAllocated, "a2"),
			with(in(allocationStarting), func(s *st) { s.allocation = "a2" }), []act{{kind: allocationStartSession}}},
		{"an allocation without the annotation is new", with(in(allocationWaiting), func(s *st) { s.allocation = "" }), watched(agoneswire.StateAllocated, ""),
			with(in(allocationStarting), func(s *st) { s.allocation = "" }), []act{{kind: allocationStartSession}}},
		{"the last session's allocation, stale, starts nothing", in(allocationWaiting), watched(agoneswire.StateAllocated, "a1"),
			in(allocationWaiting), nil},
		{"ready while waiting", in(allocationWaiting), watched(agoneswire.StateReady, "a1"), in(allocationWaiting), nil},
		{"stop while waiting", in(allocationWaiting), stop, stopped, nil},
		{"serving fails while waiting", in(allocationWaiting), serveFailed, failed, nil},

		{"the session started takes its players", in(allocationStarting), ev{kind: allocationStarted},
			in(allocationPlaying), []act{{kind: allocationOpen}, {kind: allocationReserve, players: players}}},
		{"the session did not start", in(allocationStarting), ev{kind: allocationStarted, err: errStart},
			with(stopped, func(s *st) { s.err = errStart }), nil},
		{"the game's constructor panicked: refused, back to the pool", in(allocationStarting),
			ev{kind: allocationStarted, err: fmt.Errorf("new game: %w", errGamePanicked)},
			in(allocationReturning), []act{{kind: allocationClose}, {kind: allocationAskReady}}},
		{"the game's constructor panicked: refused, shut down after the session", with(in(allocationStarting), func(s *st) { s.reuse = false }),
			ev{kind: allocationStarted, err: fmt.Errorf("new game: %w", errGamePanicked)},
			with(in(allocationOver), func(s *st) { s.reuse = false }), []act{{kind: allocationClose}, {kind: allocationShutdown}}},
		{"stop while starting", in(allocationStarting), stop, stopped, nil},
		{"serving fails while starting", in(allocationStarting), serveFailed, failed, nil},

		{"the list changes while playing", in(allocationPlaying), watched(agoneswire.StateAllocated, "a1"),
			in(allocationPlaying), []act{{kind: allocationReserve, players: players}}},
		{"over, reused", in(allocationPlaying), ended(realtime.OutcomeCompleted, true),
			in(allocationReturning), append(closeEnd, act{kind: allocationAskReady})},
		{"over, broken: not reused", in(allocationPlaying), ended(realtime.OutcomeCompleted, false),
			in(allocationOver), append(closeEnd, act{kind: allocationShutdown})},
		{"over, after-session shutdown", with(in(allocationPlaying), func(s *st) { s.reuse = false }), ended(realtime.OutcomeCompleted, true),
			with(in(allocationOver), func(s *st) { s.reuse = false }), append(closeEnd, act{kind: allocationShutdown})},
		{"the game crashed: never reused", in(allocationPlaying), ended(realtime.OutcomeCrashed, true), in(allocationOver),
			[]act{{kind: allocationClose}, {kind: allocationEndSession, outcome: realtime.OutcomeCrashed},
				{kind: allocationFail, reason: "the game crashed"}, {kind: allocationShutdown}}},
		{"stop while playing", in(allocationPlaying), stop, stopped, nil},
		{"serving fails while playing", in(allocationPlaying), serveFailed, failed, nil},

		{"Ready taken", in(allocationReturning), ev{kind: allocationReadyAnswered, ok: true}, in(allocationReturning), nil},
		{"Ready refused", in(allocationReturning), ev{kind: allocationReadyAnswered}, in(allocationOver), []act{{kind: allocationShutdown}}},
		{"still Allocated: the list stays full", in(allocationReturning), watched(agoneswire.StateAllocated, "a2"), in(allocationReturning), nil},
		{"Ready shows: empty the list", in(allocationReturning), watched(agoneswire.StateReady, "a1"),
			in(allocationClearing), []act{{kind: allocationClearPlayers}}},
		{"stop while returning", in(allocationReturning), stop, stopped, nil},
		{"serving fails while returning", in(allocationReturning), serveFailed, failed, nil},

		{"emptied: open again", in(allocationClearing), ev{kind: allocationCleared, ok: true}, in(allocationWaiting), []act{{kind: allocationReopen}}},
		{"not emptied: shut down", in(allocationClearing), ev{kind: allocationCleared}, in(allocationOver), []act{{kind: allocationShutdown}}},
		{"stop while clearing", in(allocationClearing), stop, stopped, nil},
		{"serving fails while clearing", in(allocationClearing), serveFailed, failed, nil},

		{"stop once over", in(allocationOver), stop, stopped, nil},
		{"serving fails once over", in(allocationOver), serveFailed, failed, nil},
	}
	// Cells no row lists: the event cannot come in the phase (an answer
	// comes only right after its question; a session ends only while one
	// runs), or comes and changes nothing.
	const (
		noAnswer  = "no question asked in this phase"
		noSession = "no session runs"
		between   = "the answer comes before any other happening"
	)
	type c = cell[allocationPhase, allocationEventKind]
	ignored := map[c]string{
		{allocationWaiting, allocationStarted}: noAnswer, {allocationWaiting, allocationSessionEnded}: noSession,
		{allocationWaiting, allocationReadyAnswered}: noAnswer, {allocationWaiting, allocationCleared}: noAnswer,

		{allocationStarting, allocationWatched}: between, {allocationStarting, allocationSessionEnded}: between,
		{allocationStarting, allocationReadyAnswered}: noAnswer, {allocationStarting, allocationCleared}: noAnswer,

		{allocationPlaying, allocationStarted}: noAnswer, {allocationPlaying, allocationReadyAnswered}: noAnswer,
		{allocationPlaying, allocationCleared}: noAnswer,

		{allocationReturning, allocationStarted}: noAnswer, {allocationReturning, allocationSessionEnded}: noSession,
		{allocationReturning, allocationCleared}: noAnswer,

		{allocationClearing, allocationWatched}: between, {allocationClearing, allocationStarted}: noAnswer,
		{allocationClearing, allocationSessionEnded}: noSession, {allocationClearing, allocationReadyAnswered}: noAnswer,

		{allocationOver, allocationWatched}: "Shutdown asked: the server waits to be stopped",
		{allocationOver, allocationStarted}: noAnswer, {allocationOver, allocationSessionEnded}: noSession,
		{allocationOver, allocationReadyAnswered}: noAnswer, {allocationOver, allocationCleared}: noAnswer,
	}
	for k := range numAllocationEvents {
		ignored[c{allocationStopped, k}] = "the loop has ended"
	}
	lifecycleTable[st, ev, act, allocationPhase, allocationEventKind]{
		next: allocationState.next, phase: func(s st) allocationPhase { return s.phase }, kind: func(e ev) allocationEventKind { return e.kind },
		answered: func(a act) bool { return a.kind.answered() }, phases: numAllocationPhases, kinds: numAllocationEvents,
		cases: tests, ignored: ignored, in: in,
		samples: []ev{watched(agoneswire.StateAllocated, "a2"), watched(agoneswire.StateReady, ""), {kind: allocationStarted},
			{kind: allocationStarted, err: errStart}, {kind: allocationStarted, err: errGamePanicked}, ended(realtime.OutcomeCompleted, true), ended(realtime.OutcomeCrashed, false),
			{kind: allocationReadyAnswered, ok: true}, {kind: allocationReadyAnswered}, {kind: allocationCleared, ok: true},
			{kind: allocationCleared}, stop, serveFailed},
	}.run(t)
}

// The loop drives the lifecycle through answers: the players of a reused
// server are cleared once Ready shows, and a failed clear shuts it down.
func TestDriveStepsAnswersIn(t *testing.T) {
	var done []allocationActionKind
	do := func(clearOK bool) func(allocationAction) (allocationEvent, bool) {
		return func(a allocationAction) (allocationEvent, bool) {
			done = append(done, a.kind)
			if a.kind == allocationClearPlayers {
				return allocationEvent{kind: allocationCleared, ok: clearOK}, true
			}
			return allocationEvent{}, false
		}
	}
	ready := allocationEvent{kind: allocationWatched, state: agoneswire.StateReady}
	for _, tt := range []struct {
		clearOK bool
		want    allocationPhase
		acts    []allocationActionKind
	}{
		{true, allocationWaiting, []allocationActionKind{allocationClearPlayers, allocationReopen}},
		{false, allocationOver, []allocationActionKind{allocationClearPlayers, allocationShutdown}},
	} {
		done = nil
		s := drive(allocationState{phase: allocationReturning, reuse: true}, ready, allocationState.next, do(tt.clearOK))
		if s.phase != tt.want || !reflect.DeepEqual(done, tt.acts) {
			t.Errorf("clear ok %v: %v after %v, want %v after %v", tt.clearOK, s.phase, done, tt.want, tt.acts)
		}
	}
}
