package host

import (
	"fmt"
	"time"

	realtimev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/realtime/v1"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime"
)

// watchdog decides, before each health ping, whether the server is sound:
// no fatal error so far, and the loop of every running session (one, or a
// high-density server's matches) has moved within LoopStall or waits for
// work. Health pings then mean that the game loops run, not only that the
// process does. It is used by the health loop's goroutine only.
type watchdog struct {
	h    *Host
	now  func() time.Time
	seen map[*realtime.Session]progress
	next map[*realtime.Session]progress
}

// progress is a loop's beat count and when it was first seen at it.
type progress struct {
	beats uint64
	since time.Time
}

func newWatchdog(h *Host) *watchdog {
	return &watchdog{h: h, now: time.Now, seen: make(map[*realtime.Session]progress), next: make(map[*realtime.Session]progress)}
}

// sound reports whether to ping. Once it finds a loop stuck it makes the
// failure fatal: players are told by their connections' writers, which do
// not need the loops, and no ping is ever sent again.
func (w *watchdog) sound() bool {
	h := w.h
	if h.fatal.Load() != nil {
		return false
	}
	now := w.now()
	defer func() { w.seen, w.next = w.next, w.seen; clear(w.next) }()
	for _, s := range h.sessions() {
		if s.Closed() {
			continue
		}
		b := s.Beats()
		p, ok := w.seen[s]
		if !ok || p.beats != b || s.Parked() { // a parked loop waits for work: a sleeping match is not stuck
			p = progress{beats: b, since: now}
		}
		w.next[s] = p
		if stalled := now.Sub(p.since); stalled >= h.cfg.LoopStall {
			h.setFatal(fmt.Sprintf("the game loop of session %s has not moved for %v", s.ID(), stalled.Round(time.Millisecond)))
			return false
		}
	}
	return true
}

// sessions lists the sessions running: the one of a server of one match at a
// time, or every match of a high-density server.
func (h *Host) sessions() []*realtime.Session {
	if h.matches != nil {
		return h.matches.sessions()
	}
	if s := h.Session(); s != nil {
		return []*realtime.Session{s}
	}
	return nil
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
