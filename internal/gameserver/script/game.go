package script

import (
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"path"
	"strings"
	"time"

	"github.com/dop251/goja"
	"github.com/dop251/goja_nodejs/require"

	"github.com/leapfrog-games/leapfrog/gameserver/realtime"
)

// Reserved ids of GameLift Realtime, as a script sees them.
const (
	// ServerID is getServerId(): the server as a peer.
	ServerID = -1
	// AllPlayersGroupID is getAllPlayersGroupId(): every player.
	AllPlayersGroupID = -1
)

// maxCallStack bounds the script's recursion (goja's frames, not Go's).
const maxCallStack = 4096

// Game is one session's script: a goja runtime used only from the
// session's goroutine (and, before the session starts, from NewGame's).
// A script error ends its session, never the process.
type Game struct {
	prog     *Program
	rt       *goja.Runtime
	log      *slog.Logger
	req      *require.RequireModule
	watch    *watchdog
	settings Settings
	cb       callbacks

	rtSession  *goja.Object
	parts      *goja.Object // what the prelude built
	process    *goja.Object
	logger     goja.Value   // makes the object getLogger() returns
	newMessage *goja.Object // the GameMessage constructor
	// messageProto is GameMessage.prototype, every gameMessage's; the
	// others are the timer handles' (timers.go).
	messageProto, timeoutProto, immediateProto *goja.Object
	// modules holds the built-in modules built so far (on first require).
	modules map[string]goja.Value
	// rejected are the promises rejected without a handler since the last check.
	rejected     []*goja.Promise
	internalsObj *goja.Object
	// macrotask runs task (with taskArgs) then the nextTick queue, inside
	// one call from Go, so before goja runs the promise jobs (enter).
	macrotask   goja.Callable
	runTask     goja.Value
	task        goja.Callable
	taskArgs    []goja.Value
	taskErr     error
	ticksQueued bool

	sess    *realtime.Session
	players map[int32]*goja.Object // accepted players by peer id
	timers  timers
	// stopped is set once the script failed or exited: no callback runs after.
	stopped    bool
	lastHealth time.Time
	// lastMemoryCheck rate-limits the memory check, which may collect.
	lastMemoryCheck time.Time
}

type callbacks struct {
	init, onProcessStarted, onStartGameSession, onProcessTerminate, onHealthCheck,
	onPlayerConnect, onPlayerAccepted, onPlayerDisconnect, onMessage,
	onSendToPlayer, onSendToGroup, onPlayerJoinGroup, onPlayerLeaveGroup goja.Callable
}

var (
	_ realtime.Game        = (*Game)(nil)
	_ realtime.Sleeper     = (*Game)(nil)
	_ realtime.RelayFilter = (*Game)(nil)
	_ realtime.GroupFilter = (*Game)(nil)
)

func newGame(p *Program) *Game {
	g := &Game{
		prog:    p,
		rt:      goja.New(),
		log:     p.cfg.Logger.With("script", p.src.Launch),
		players: make(map[int32]*goja.Object),
	}
	g.timers.byID = make(map[int64]*jsTimer)
	g.watch = newWatchdog(g.rt, p.cfg.CallbackBudget)
	g.rt.SetMaxCallStackSize(maxCallStack)
	g.rt.SetTimeSource(g.now)
	g.req = p.registry.Enable(g.rt)
	g.installGlobals()
	g.trackRejections()
	return g
}

// now is Date's clock: the session's time at the current event, so that a
// callback sees one consistent time, as the Go games do.
func (g *Game) now() time.Time {
	if g.sess != nil {
		return g.sess.Now()
	}
	return g.prog.cfg.Clock.Now()
}

// installGlobals sets up what Node.js would provide: require (with clear
// errors for built-ins Leapfrog lacks), console, Buffer, process, the
// timers, queueMicrotask and structuredClone. Built-in modules are built
// on first require (modules.go).
func (g *Game) installGlobals() {
	rt := g.rt
	fn, err := rt.RunProgram(prelude)
	if err != nil {
		panic(fmt.Sprintf("script prelude: %v", err)) // our own code: a bug, not bad input
	}
	build, _ := goja.AssertFunction(fn)
	host := rt.NewObject()
	must(host.Set("log", g.logText))
	must(host.Set("version", nodeVersion))
	must(host.Set("root", root))
	must(host.Set("module", func(name string) goja.Value { return g.module(name) }))
	parts, err := build(goja.Undefined(), host)
	if err != nil {
		panic(fmt.Sprintf("script prelude: %v", err))
	}
	g.parts = parts.ToObject(rt)
	g.newMessage = g.part("GameMessage").ToObject(rt)
	must(rt.Set("require", g.named("require", g.requireFunc)))
	must(rt.Set("queueMicrotask", g.part("queueMicrotask")))
	g.logger = g.part("logger")
	// The other globals are built on first use: many scripts never touch
	// them, and a server hosts many idle sessions.
	g.lazyGlobal("console", func() goja.Value { return g.part("console") })
	g.lazyGlobal("process", func() goja.Value { return g.processObject() })
	g.lazyGlobal("structuredClone", func() goja.Value { return g.module("_structured_clone") })
	must(rt.Set("global", rt.GlobalObject()))
	for _, name := range []string{"TextEncoder", "TextDecoder", "atob", "btoa"} {
		g.lazyGlobal(name, func() goja.Value { return g.module("_web").ToObject(rt).Get(name) })
	}
	for _, name := range []string{"URL", "URLSearchParams"} {
		g.lazyGlobal(name, func() goja.Value { return require.Require(rt, "url").ToObject(rt).Get(name) })
	}
	g.lazyGlobal("crypto", func() goja.Value { return g.module("crypto").ToObject(rt).Get("webcrypto") })
	g.lazyGlobal("performance", g.performance)
	g.lazyGlobal("Buffer", func() goja.Value {
		b := require.Require(rt, "buffer").ToObject(rt).Get("Buffer")
		patch, _ := goja.AssertFunction(g.module("_buffer_patch"))
		if _, err := patch(goja.Undefined(), b); err != nil {
			panic(err)
		}
		return b
	})
	g.installTimers()
	g.rtSession = g.sessionObject()
}

// part is one of the things the prelude built.
func (g *Game) part(name string) goja.Value { return g.parts.Get(name) }

// lazyGlobal defines the global name to be built on first use (Buffer
// alone costs about 60 KiB per runtime), after which it is a plain
// writable global. It has no setter (a function more per global and
// runtime): a script that assigns the global before reading it keeps the
// built one (strict mode: a TypeError).
func (g *Game) lazyGlobal(name string, build func() goja.Value) {
	rt, global := g.rt, g.rt.GlobalObject()
	get := func(goja.FunctionCall) goja.Value {
		v := build()
		must(global.DefineDataProperty(name, v, goja.FLAG_TRUE, goja.FLAG_FALSE, goja.FLAG_TRUE))
		return v
	}
	must(global.DefineAccessorProperty(name, rt.ToValue(get), nil, goja.FLAG_TRUE, goja.FLAG_FALSE))
}

func must(err error) {
	if err != nil {
		panic(fmt.Sprintf("script runtime setup: %v", err))
	}
}

func (g *Game) logText(level, text string) {
	switch level {
	case "warn":
		g.log.Warn(text)
	case "error":
		g.log.Error(text)
	case "debug":
		g.log.Debug(text)
	default:
		g.log.Info(text)
	}
}

// requireFunc is the script's require: the goja_nodejs resolver over the
// bundle and the runtime's modules. A module that cannot be had is an Error
// naming the file and line of the require and the path it resolved to, with
// Node's code MODULE_NOT_FOUND, so that a script's try/catch around an
// optional require works as on Node.
func (g *Game) requireFunc(call goja.FunctionCall) goja.Value {
	name := call.Argument(0).String()
	v, ok, err := g.builtin(name)
	if !ok {
		v, err = g.req.Require(name)
	}
	if err == nil {
		return v
	}
	var ex *goja.Exception
	if errors.As(err, &ex) {
		panic(ex)
	}
	from, at := g.requireCaller()
	var code string
	switch {
	case errors.Is(err, ErrUnavailableModule):
		code = "ERR_UNKNOWN_BUILTIN_MODULE"
		err = fmt.Errorf("%w: %s", ErrUnavailableModule, strings.TrimPrefix(name, "node:"))
	case errors.Is(err, require.InvalidModuleError), errors.Is(err, require.IllegalModuleNameError), errors.Is(err, require.NoSuchBuiltInModuleError):
		code = "MODULE_NOT_FOUND"
		err = fmt.Errorf("%w: %s", ErrModuleNotFound, resolvedModule(from, name))
	default:
		// The module exists but does not compile: the error names its own
		// file and line; say which require brought it in.
		panic(g.rt.NewGoError(fmt.Errorf("require(%q) at %s: %w", name, at, err)))
	}
	e := g.rt.NewGoError(fmt.Errorf("require(%q) at %s: %w", name, at, err))
	must(e.Set("code", code))
	panic(e)
}

// requireCaller is the folder of the module whose code called require, and
// where in it (file:line:column).
func (g *Game) requireCaller() (dir, at string) {
	frames := g.rt.CaptureCallStack(2, nil)
	if len(frames) < 2 {
		return root, "?"
	}
	f := frames[1]
	return path.Dir(f.SrcName()), f.Position().String()
}

// resolvedModule says where a require looked: the path a relative or
// absolute name resolves to, or the node_modules folders a bare name is
// searched in.
func resolvedModule(dir, name string) string {
	if strings.HasPrefix(name, "./") || strings.HasPrefix(name, "../") || strings.HasPrefix(name, "/") || name == "." || name == ".." {
		p := path.Join(dir, name)
		return fmt.Sprintf("resolved to %s (tried %s, %s.js, %s.json and %s/index.js)", p, p, p, p, p)
	}
	var dirs []string
	for d := dir; ; d = path.Dir(d) {
		if path.Base(d) != "node_modules" {
			dirs = append(dirs, path.Join(d, "node_modules"))
		}
		if d == "/" {
			break
		}
	}
	return fmt.Sprintf("not in the bundle: searched %s", strings.Join(dirs, ", "))
}

func (g *Game) require(name string) (goja.Value, error) {
	var v goja.Value
	err := g.guard(func() error {
		var err error
		v, err = g.enter(func(goja.Value, ...goja.Value) (goja.Value, error) { return g.req.Require(name) }, nil)
		return err
	})
	return v, err
}

// processObject is the global process (js/process.js) over the Go parts:
// exit, the clocks, memory. It is built once, on first use.
func (g *Game) processObject() *goja.Object {
	if g.process != nil {
		return g.process
	}
	rt := g.rt
	exit := func(code goja.Value) {
		c := 0
		if code != nil && !goja.IsUndefined(code) {
			c = int(code.ToInteger())
		}
		rt.Interrupt(&exitError{code: c})
	}
	hrtime := func(prev goja.Value) goja.Value {
		ns := time.Since(processStart).Nanoseconds()
		if arr, ok := prev.(*goja.Object); ok && prev != nil {
			var pr []int64
			if rt.ExportTo(arr, &pr) == nil && len(pr) == 2 {
				ns -= pr[0]*1e9 + pr[1]
			}
		}
		return rt.ToValue([]int64{ns / 1e9, ns % 1e9})
	}
	hr := g.named("hrtime", hrtime)
	must(hr.Set("bigint", g.named("bigint", func() goja.Value {
		return rt.ToValue(big.NewInt(time.Since(processStart).Nanoseconds()))
	})))
	uptime := func() float64 { return time.Since(processStart).Seconds() }
	memoryUsage := func() map[string]uint64 {
		live := heapLive()
		return map[string]uint64{"heapUsed": live, "heapTotal": live, "rss": live, "external": 0, "arrayBuffers": 0}
	}
	build, _ := goja.AssertFunction(g.module("_process").ToObject(rt).Get("process"))
	p, err := build(goja.Undefined(), rt.NewObject(), rt.ToValue([]string{"/usr/bin/node", root + "/" + g.prog.src.Launch}),
		g.named("exit", exit), hr, g.named("uptime", uptime), g.named("memoryUsage", memoryUsage))
	if err != nil {
		panic(fmt.Sprintf("script process object: %v", err))
	}
	g.process = p.ToObject(rt)
	return g.process
}

// promiseState is what util.inspect shows inside a Promise.
func (g *Game) promiseState(p *goja.Promise, format goja.Callable) string {
	show := func(v goja.Value) string {
		s, err := format(goja.Undefined(), v)
		if err != nil {
			panic(err)
		}
		return s.String()
	}
	switch p.State() {
	case goja.PromiseStateFulfilled:
		return show(p.Result())
	case goja.PromiseStateRejected:
		return "<rejected> " + show(p.Result())
	}
	return "<pending>"
}

// performance is the global performance: now() in milliseconds since the
// process started, as Node's (monotonic, fractional), and timeOrigin.
func (g *Game) performance() goja.Value {
	p := g.rt.NewObject()
	must(p.Set("now", func() float64 { return float64(time.Since(processStart).Microseconds()) / 1000 }))
	must(p.Set("timeOrigin", float64(processStart.UnixMicro())/1000))
	return p
}

// named makes a Go function a JavaScript function called name, as a
// script expects to see it printed (util.inspect(rtSession) in the original
// samples) instead of the Go function's symbol.
func (g *Game) named(name string, fn any) *goja.Object {
	o := g.rt.ToValue(fn).ToObject(g.rt)
	must(o.DefineDataProperty("name", g.rt.ToValue(name), goja.FLAG_FALSE, goja.FLAG_TRUE, goja.FLAG_FALSE))
	return o
}

// processStart is hrtime's origin (Node's is arbitrary too).
var processStart = time.Now()

// exitError interrupts the runtime when the script calls process.exit.
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("process.exit(%d)", e.code) }

// bind reads the callbacks and configuration from ssExports.
func (g *Game) bind(ss *goja.Object) error {
	get := func(name string) goja.Callable {
		f, _ := goja.AssertFunction(ss.Get(name))
		return f
	}
	g.cb = callbacks{
		init: get("init"), onProcessStarted: get("onProcessStarted"), onStartGameSession: get("onStartGameSession"),
		onProcessTerminate: get("onProcessTerminate"), onHealthCheck: get("onHealthCheck"),
		onPlayerConnect: get("onPlayerConnect"), onPlayerAccepted: get("onPlayerAccepted"),
		onPlayerDisconnect: get("onPlayerDisconnect"), onMessage: get("onMessage"),
		onSendToPlayer: get("onSendToPlayer"), onSendToGroup: get("onSendToGroup"),
		onPlayerJoinGroup: get("onPlayerJoinGroup"), onPlayerLeaveGroup: get("onPlayerLeaveGroup"),
	}
	if g.cb.init == nil {
		return ErrNoExports
	}
	g.settings = Settings{MaxPlayers: 32}
	if c, ok := ss.Get("configuration").(*goja.Object); ok {
		if v := c.Get("maxPlayers"); v != nil && !goja.IsUndefined(v) {
			n := v.ToInteger()
			if n < 1 || n > 1000 {
				return fmt.Errorf("configuration.maxPlayers %d: want 1 to 1000", n)
			}
			g.settings.MaxPlayers = int(n)
		}
		if v := c.Get("pingIntervalTime"); v != nil && !goja.IsUndefined(v) {
			ms := v.ToInteger()
			if ms < 100 || ms > 600000 {
				return fmt.Errorf("configuration.pingIntervalTime %d ms: want 100 to 600000", ms)
			}
			g.settings.PingInterval = time.Duration(ms) * time.Millisecond
		}
	}
	return nil
}

// guard runs fn (which calls into the runtime) within the time budget,
// then looks at the promises it left rejected without a handler.
func (g *Game) guard(fn func() error) error {
	g.watch.arm()
	err := fn()
	if err == nil && len(g.rejected) > 0 {
		err = g.checkRejections()
	}
	g.watch.disarm()
	if err != nil {
		g.rejected = nil
	}
	return err
}

// invoke calls a callback within the time budget.
func (g *Game) invoke(fn goja.Callable, args ...goja.Value) (goja.Value, error) {
	var v goja.Value
	err := g.guard(func() error {
		var err error
		v, err = g.enter(fn, args)
		return err
	})
	return v, err
}

// enter runs fn as Node runs a macrotask: fn, then the nextTick queue,
// then the promise jobs (which goja runs as the outermost call returns:
// fn and the ticks run inside the prelude's macrotask frame), then again
// the ticks those jobs queued and their jobs, until none is left.
func (g *Game) enter(fn goja.Callable, args []goja.Value) (goja.Value, error) {
	var v goja.Value
	var err error
	if !g.prog.nextTick {
		// A bundle that never says nextTick takes the plain call, cheaper.
		// Ticks queued all the same (util.callbackify) run after the
		// promise jobs, below.
		v, err = fn(goja.Undefined(), args...)
	} else {
		v, err = g.runMacrotask(fn, args)
	}
	for err == nil && g.ticksQueued {
		run, _ := goja.AssertFunction(g.module("_process").ToObject(g.rt).Get("runTicks"))
		_, err = g.runMacrotask(run, nil)
	}
	return v, err
}

func (g *Game) runMacrotask(fn goja.Callable, args []goja.Value) (goja.Value, error) {
	if g.macrotask == nil {
		g.macrotask, _ = goja.AssertFunction(g.part("macrotask"))
		// An error ends the task: an uncatchable one (exit, the budget)
		// unwinds to the outer call at once, so that no promise job runs.
		failed := func(err error) bool {
			var ie *goja.InterruptedError
			if errors.As(err, &ie) {
				panic(ie)
			}
			g.taskErr = err
			return err != nil
		}
		g.runTask = g.rt.ToValue(func(goja.FunctionCall) goja.Value {
			v, err := g.task(goja.Undefined(), g.taskArgs...)
			if err != nil && failed(err) {
				return goja.Undefined()
			}
			if g.ticksQueued {
				g.ticksQueued = false
				run, _ := goja.AssertFunction(g.module("_process").ToObject(g.rt).Get("runTicks"))
				if _, err := run(goja.Undefined()); err != nil {
					failed(err)
				}
			}
			return v
		})
	}
	// A Go function the task calls may enter again: keep the outer task.
	outerTask, outerArgs, outerErr := g.task, g.taskArgs, g.taskErr
	g.task, g.taskArgs, g.taskErr = fn, args, nil
	v, err := g.macrotask(goja.Undefined(), g.runTask)
	if err == nil {
		err = g.taskErr
	}
	g.task, g.taskArgs, g.taskErr = outerTask, outerArgs, outerErr
	return v, err
}

// call runs a session callback. An absent callback returns (undefined,
// true). A failed one stops the script, ends the session and returns false.
func (g *Game) call(name string, fn goja.Callable, args ...goja.Value) (goja.Value, bool) {
	if g.stopped {
		return nil, false
	}
	if fn == nil {
		return goja.Undefined(), true
	}
	v, err := g.invoke(fn, args...)
	if err != nil {
		g.fail(name, err)
		return nil, false
	}
	return v, true
}

// fail stops the script after an error in callback name and ends its session.
func (g *Game) fail(name string, err error) {
	g.stopped = true
	g.timers.clear(g.sess)
	var exit *exitError
	if errors.As(err, &exit) {
		g.log.Info("script called process.exit", "callback", name, "code", exit.code)
		if g.sess != nil {
			if exit.code == 0 {
				g.sess.End(realtime.OutcomeCompleted)
			} else {
				g.sess.Fail(OutcomeScriptError)
			}
		}
		return
	}
	err = g.describe(err)
	attrs := []any{"callback", name, "err", err}
	var ex *goja.Exception
	if errors.As(err, &ex) {
		attrs = append(attrs, "stack", ex.String())
	}
	g.log.Error("script failed; ending its session", attrs...)
	if g.sess != nil {
		g.sess.Fail(OutcomeScriptError)
	}
}

// describe turns an uncatchable interrupt back into the error that caused
// it, so that callers can test it with errors.Is.
func (g *Game) describe(err error) error {
	var ie *goja.InterruptedError
	if errors.As(err, &ie) {
		if cause, ok := ie.Value().(error); ok {
			return cause
		}
	}
	return err
}
