package script

import (
	"sync"
	"time"

	"github.com/dop251/goja"
)

// watchdog interrupts a runtime whose callback outlives the budget. One
// timer serves every callback: arming only moves the deadline, so the hot
// path costs a lock and a timer reset, not a new timer.
type watchdog struct {
	rt     *goja.Runtime
	budget time.Duration

	mu       sync.Mutex
	armed    bool
	deadline time.Time
	timer    *time.Timer
}

func newWatchdog(rt *goja.Runtime, budget time.Duration) *watchdog {
	return &watchdog{rt: rt, budget: budget}
}

func (w *watchdog) arm() {
	w.mu.Lock()
	w.armed = true
	w.deadline = time.Now().Add(w.budget)
	if w.timer == nil {
		w.timer = time.AfterFunc(w.budget, w.fire)
	} else {
		w.timer.Reset(w.budget)
	}
	w.mu.Unlock()
}

// disarm ends the guarded call. A fire that raced with the end of the call
// may have set the interrupt flag after the call returned: clear it so the
// next call does not inherit it.
func (w *watchdog) disarm() {
	w.mu.Lock()
	w.armed = false
	w.timer.Stop()
	w.mu.Unlock()
	w.rt.ClearInterrupt()
}

// fire runs on the timer's goroutine. A stale fire (from a previous
// deadline) re-arms for what is left of the current one.
func (w *watchdog) fire() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.armed {
		return
	}
	if left := time.Until(w.deadline); left > 0 {
		w.timer.Reset(left)
		return
	}
	w.rt.Interrupt(ErrBudget)
}
