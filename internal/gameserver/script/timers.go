package script

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/dop251/goja"

	"github.com/leapfrog-games/leapfrog/gameserver/realtime"
)

// Timers run on the session's loop (realtime.Session.After), so they fire
// at the session's tick resolution, in order, never concurrently with a
// callback. Timers set before the session starts (in init) are scheduled
// when it starts.

type jsTimer struct {
	id     int64
	fn     goja.Callable
	args   []goja.Value
	delay  time.Duration
	repeat bool
	handle int // the session timer's id; 0 while not scheduled
}

type timers struct {
	byID map[int64]*jsTimer
	next int64
}

func (t *timers) clear(s *realtime.Session) {
	for id, tm := range t.byID {
		if s != nil && tm.handle != 0 {
			s.CancelTimer(tm.handle)
		}
		delete(t.byID, id)
	}
}

func (g *Game) installTimers() {
	rt := g.rt
	set := func(repeat, immediate bool) func(goja.FunctionCall) goja.Value {
		return func(call goja.FunctionCall) goja.Value {
			fn, ok := goja.AssertFunction(call.Argument(0))
			if !ok {
				panic(rt.NewTypeError("the callback must be a function"))
			}
			var delay time.Duration
			args := call.Arguments
			if !immediate {
				if ms := call.Argument(1).ToFloat(); ms > 0 {
					delay = time.Duration(min(ms, math.MaxInt32) * float64(time.Millisecond))
				}
				// A timeout of 0 runs once the timers due now have run; an
				// interval under 1 ms is 1 ms, as in Node.js, so that it cannot
				// keep the session's loop busy.
				if repeat {
					delay = max(delay, time.Millisecond)
				}
				if len(args) > 2 {
					args = args[2:]
				} else {
					args = nil
				}
			} else if len(args) > 1 {
				args = args[1:]
			} else {
				args = nil
			}
			// The arguments live on goja's stack, which later calls reuse.
			args = slices.Clone(args)
			if len(g.timers.byID) >= g.prog.cfg.MaxTimers {
				panic(rt.NewGoError(fmt.Errorf("%w: %d", ErrTooManyTimers, g.prog.cfg.MaxTimers)))
			}
			g.timers.next++
			t := &jsTimer{id: g.timers.next, fn: fn, args: args, delay: delay, repeat: repeat}
			g.timers.byID[t.id] = t
			g.schedule(t)
			return g.timerHandle(t.id, immediate)
		}
	}
	clear := func(call goja.FunctionCall) goja.Value {
		id := call.Argument(0).ToInteger()
		if t := g.timers.byID[id]; t != nil {
			if t.handle != 0 && g.sess != nil {
				g.sess.CancelTimer(t.handle)
			}
			delete(g.timers.byID, id)
		}
		return goja.Undefined()
	}
	must(rt.Set("setTimeout", g.named("setTimeout", set(false, false))))
	must(rt.Set("setInterval", g.named("setInterval", set(true, false))))
	must(rt.Set("setImmediate", g.named("setImmediate", set(false, true))))
	must(rt.Set("clearTimeout", g.named("clearTimeout", clear)))
	must(rt.Set("clearInterval", g.named("clearInterval", clear)))
	must(rt.Set("clearImmediate", g.named("clearImmediate", clear)))
}

// timerHandle is what setTimeout returns: as in Node, an object (Timeout,
// or Immediate) with ref, unref, hasRef, refresh and close, that is its
// id as a number (Symbol.toPrimitive), so that clearTimeout and scripts
// that keep timers in numeric maps both work. It has no own properties:
// a Go object with the id, and a prototype of js/timer_handles.js.
func (g *Game) timerHandle(id int64, immediate bool) goja.Value {
	o := g.rt.NewDynamicObject(timerID{id: g.rt.ToValue(id)})
	proto := g.timeoutProto
	if immediate {
		proto = g.immediateProto
	}
	if proto == nil {
		types := g.module("_timer_handles").ToObject(g.rt)
		proto = types.Get(map[bool]string{false: "Timeout", true: "Immediate"}[immediate]).ToObject(g.rt).Get("prototype").ToObject(g.rt)
		if immediate {
			g.immediateProto = proto
		} else {
			g.timeoutProto = proto
		}
	}
	must(o.SetPrototype(proto))
	return o
}

// timerID backs a timer handle: its one property, hidden, is _id.
type timerID struct{ id goja.Value }

func (t timerID) Get(key string) goja.Value {
	if key == "_id" {
		return t.id
	}
	return nil
}
func (timerID) Set(string, goja.Value) bool { return false }
func (timerID) Has(string) bool             { return false }
func (timerID) Delete(string) bool          { return true }
func (timerID) Keys() []string              { return nil }

// refresh restarts timer id's delay from now, as Node's timeout.refresh().
func (g *Game) refresh(id int64) {
	t := g.timers.byID[id]
	if t == nil {
		return
	}
	if t.handle != 0 && g.sess != nil {
		g.sess.CancelTimer(t.handle)
		t.handle = 0
	}
	g.schedule(t)
}

// schedule puts t on the session's loop; before the session exists it
// waits for startTimers.
func (g *Game) schedule(t *jsTimer) {
	if g.sess == nil {
		return
	}
	t.handle = g.sess.After(t.delay, func() { g.fire(t) })
}

func (g *Game) startTimers() {
	ids := slices.Sorted(maps.Keys(g.timers.byID))
	for _, id := range ids {
		g.schedule(g.timers.byID[id])
	}
}

func (g *Game) fire(t *jsTimer) {
	if g.timers.byID[t.id] != t {
		return // cleared
	}
	if t.repeat {
		g.schedule(t)
	} else {
		delete(g.timers.byID, t.id)
	}
	g.callLoop("timer", t.fn, t.args...)
}

// callLoop runs a callback of Node's own event loop (a timer): an
// exception it throws goes to the script's process.on('uncaughtException')
// listeners when it has some, and is a script error otherwise.
func (g *Game) callLoop(name string, fn goja.Callable, args ...goja.Value) {
	if g.stopped {
		return
	}
	_, err := g.invoke(fn, args...)
	var ex *goja.Exception
	if errors.As(err, &ex) {
		var handled bool
		err = g.guard(func() error {
			var err error
			handled, err = g.emitProcess("uncaughtException", ex.Value(), g.rt.ToValue("uncaughtException"))
			return err
		})
		if err == nil && !handled {
			err = ex
		}
	}
	if err != nil {
		g.fail(name, err)
	}
}
