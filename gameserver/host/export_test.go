package host

import (
	"sync/atomic"
	"testing"
)

// LobbyScans is how many scans the lobby report of h has finished.
func LobbyScans(h *Host) int64 { return h.lobbyScans.Load() }

// PanicInSession makes the goroutine of session id panic before the session runs.
func PanicInSession(t testing.TB, id string) {
	hook := func(s string) {
		if s == id {
			panic("test: session " + id + " goroutine")
		}
	}
	sessionHook.Store(&hook)
	t.Cleanup(func() { sessionHook.Store(nil) })
}

// PanicInLoop makes the host's loop where panic the first n times it starts.
func PanicInLoop(t testing.TB, where string, n int) {
	var left atomic.Int32
	left.Store(int32(n))
	hook := func(w string) {
		if w == where && left.Add(-1) >= 0 {
			panic("test: loop " + where)
		}
	}
	loopHook.Store(&hook)
	t.Cleanup(func() { loopHook.Store(nil) })
}
