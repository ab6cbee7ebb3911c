package host

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/leapfrog-games/leapfrog/gameserver/realtime"
	"github.com/leapfrog-games/leapfrog/internal/panicguard"
)

// Where the host recovers panics (the where label of leapfrog_host_panics_total).
const (
	panicNewGame     = "new_game"     // the game's constructor: its session is refused
	panicSession     = "session"      // a session's goroutine outside the game's callbacks: that session ends crashed
	panicSessionEnd  = "session_end"  // the books kept once a match ended
	panicHealth      = "health"       // the health loop: restarted
	panicWatch       = "watch"        // the GameServer watch: restarted
	panicMatchesList = "matches_list" // the matches list's worker: restarted
	panicLobbies     = "lobbies"      // the lobby report: restarted
	panicFast        = "fast_channel" // the GameLift fast channel's reader: restarted
)

var panicWheres = []string{panicNewGame, panicSession, panicSessionEnd, panicHealth, panicWatch, panicMatchesList, panicLobbies, panicFast}

// errGamePanicked is a NewGame that panicked: its session or allocation is
// refused, and the server, which holds no state of that game yet, stays sound.
var errGamePanicked = errors.New("the game's constructor panicked")

// restartBackoff is how long a loop of the host waits after a panic before it
// runs again: a loop that panics at once is logged once a second, not spun.
const restartBackoff = time.Second

func (h *Host) guard() panicguard.Guard {
	return panicguard.Guard{Log: h.log, Count: h.cfg.Metrics.panicked}
}

// newGame calls the game's constructor, user code, turning its panic into errGamePanicked.
func (h *Host) newGame() (g realtime.Game, err error) {
	if h.guard().Run(panicNewGame, "panic in the game's constructor: refusing its session", func() { g, err = h.cfg.NewGame() }) {
		return nil, errGamePanicked
	}
	return g, err
}

// goSession runs s on a goroutine of its own, then ended with its outcome.
// Session.Run already ends a session whose game panicked (its players get
// CODE_INTERNAL, close 1011); what escapes Run is the framework's own fault,
// which ends that session as crashed too, so that the host's books close
// and the process lives.
func (h *Host) goSession(ctx context.Context, s *realtime.Session, ended func(outcome string)) {
	go func() {
		outcome := realtime.OutcomeCrashed
		h.guard().Run(panicSession, "panic on a session's goroutine: ending that session", func() {
			if hook := sessionHook.Load(); hook != nil {
				(*hook)(s.ID())
			}
			outcome = s.Run(ctx)
		})
		ended(outcome)
	}()
}

// keep runs one of the host's loops until ctx is done. A panic in it is
// logged and counted, and the loop starts again after restartBackoff: each
// of them keeps its state in the host, not in its own frames, so a fresh
// start picks up where the last one left off.
func (h *Host) keep(ctx context.Context, where string, loop func(context.Context)) {
	for {
		panicked := h.guard().Run(where, "panic in a loop of the host: restarting it", func() {
			if hook := loopHook.Load(); hook != nil {
				(*hook)(where)
			}
			loop(ctx)
		})
		if !panicked || ctx.Err() != nil {
			return
		}
		again := make(chan struct{})
		stop := h.cfg.Clock.AfterFunc(restartBackoff, func() { close(again) })
		select {
		case <-ctx.Done():
			stop()
			return
		case <-again:
		}
	}
}

// sessionHook and loopHook, when tests set them, run on a session's
// goroutine before the session (with its id) and at each start of a loop
// of the host (with its where): a test panics in them on purpose.
var (
	sessionHook atomic.Pointer[func(id string)]
	loopHook    atomic.Pointer[func(where string)]
)
