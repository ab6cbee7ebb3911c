package host

import (
	"fmt"
	"time"

	realtimev1 "github.com/leapfrog-games/leapfrog/gameserver/proto/leapfrog/realtime/v1"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime"
)

// watchdog decides, before each health ping, whether the server is sound:
// no fatal error so far, and the running session's loop has moved within
// LoopStall. Health pings then mean that the game loop runs, not only that
// the process does. It is used by the health loop's goroutine only.
type watchdog struct {
	h        *Host
	now      func() time.Time
	session  *realtime.Session
	beats    uint64
	lastMove time.Time
}

func newWatchdog(h *Host) *watchdog { return &watchdog{h: h, now: time.Now} }

// sound reports whether to ping. Once it finds the loop stuck it makes the
// failure fatal: players are told by their connections' writers, which do
// not need the loop, and no ping is ever sent again.
func (w *watchdog) sound() bool {
	h := w.h
	if h.fatal.Load() != nil {
		return false
	}
	now := w.now()
	s := h.srv.Session()
	if s == nil || s.Closed() {
		w.session = nil
		return true
	}
	if b := s.Beats(); s != w.session || b != w.beats {
		w.session, w.beats, w.lastMove = s, b, now
		return true
	}
	if stalled := now.Sub(w.lastMove); stalled >= h.cfg.LoopStall {
		h.setFatal(fmt.Sprintf("the game loop has not moved for %v", stalled.Round(time.Millisecond)))
		return false
	}
	return true
}

// setFatal stops the health pings for good and closes every player's
// connection with CODE_INTERNAL (close 1011): Agones marks the server
// Unhealthy and replaces it.
func (h *Host) setFatal(reason string) {
	if !h.fatal.CompareAndSwap(nil, &reason) {
		return
	}
	h.closed.Store(true)
	h.ready.Store(false)
	h.log.Error("game server broken: health pings stop so that it is replaced", "reason", reason)
	h.srv.FailAll(realtimev1.Error_CODE_INTERNAL, reason+": this game server is being replaced")
}

// Healthy reports whether the server is still sound (no fatal error).
func (h *Host) Healthy() bool { return h.fatal.Load() == nil }

// Session is the game session players join now, or nil.
func (h *Host) Session() *realtime.Session {
	if h.srv == nil {
		return nil
	}
	return h.srv.Session()
}
