package script

import (
	"errors"
	"fmt"
	"log/slog"
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
	util       *goja.Object // what require('util') returns
	logger     goja.Value   // makes the object getLogger() returns
	newMessage *goja.Object // the GameMessage constructor

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
// errors for built-ins Leapfrog lacks), console, Buffer, process and the timers.
func (g *Game) installGlobals() {
	rt := g.rt
	fn, err := rt.RunProgram(prelude)
	if err != nil {
		panic(fmt.Sprintf("script prelude: %v", err)) // our own code: a bug, not bad input
	}
	build, _ := goja.AssertFunction(fn)
	parts, err := build(goja.Undefined(), rt.ToValue(g.logText))
	if err != nil {
		panic(fmt.Sprintf("script prelude: %v", err))
	}
	o := parts.ToObject(rt)
	g.newMessage = o.Get("GameMessage").ToObject(rt)
	must(rt.Set("console", o.Get("console")))
	must(rt.Set("require", g.requireFunc))
	g.util = rt.NewObject()
	must(g.util.Set("inspect", o.Get("inspect")))
	must(g.util.Set("format", o.Get("format")))
	g.logger = o.Get("logger")
	g.lazyBuffer()
	must(rt.Set("process", g.processObject()))
	g.installTimers()
	g.rtSession = g.sessionObject()
}

// lazyBuffer defines the global Buffer to load on first use: the buffer
// module costs about 60 KiB per runtime, and many scripts never touch it.
func (g *Game) lazyBuffer() {
	rt, global := g.rt, g.rt.GlobalObject()
	load := func(goja.FunctionCall) goja.Value {
		b := require.Require(rt, "buffer").ToObject(rt).Get("Buffer")
		must(global.DefineDataProperty("Buffer", b, goja.FLAG_TRUE, goja.FLAG_FALSE, goja.FLAG_TRUE))
		return b
	}
	must(global.DefineAccessorProperty("Buffer", rt.ToValue(load), nil, goja.FLAG_TRUE, goja.FLAG_FALSE))
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
	code := "ERR_UNKNOWN_BUILTIN_MODULE"
	if errors.Is(err, ErrUnavailableModule) {
		err = ErrUnavailableModule
	} else {
		code = "MODULE_NOT_FOUND"
		err = fmt.Errorf("%w: %s", ErrModuleNotFound, resolvedModule(from, name))
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
		v, err = g.req.Require(name)
		return err
	})
	return v, err
}

func (g *Game) processObject() *goja.Object {
	rt := g.rt
	p := rt.NewObject()
	must(p.Set("env", rt.NewObject()))
	must(p.Set("argv", rt.ToValue([]string{"node", g.prog.src.Launch})))
	must(p.Set("platform", "linux"))
	must(p.Set("exit", func(code goja.Value) {
		c := 0
		if code != nil && !goja.IsUndefined(code) {
			c = int(code.ToInteger())
		}
		rt.Interrupt(&exitError{code: c})
	}))
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
	hr := rt.ToValue(hrtime).ToObject(rt)
	must(hr.Set("bigint", func() goja.Value {
		return rt.ToValue(time.Since(processStart).Nanoseconds())
	}))
	must(p.Set("hrtime", hr))
	must(p.Set("uptime", func() float64 { return time.Since(processStart).Seconds() }))
	must(p.Set("memoryUsage", func() map[string]uint64 {
		live := heapLive()
		return map[string]uint64{"heapUsed": live, "rss": live}
	}))
	return p
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

// guard runs fn (which calls into the runtime) within the time budget.
func (g *Game) guard(fn func() error) error {
	g.watch.arm()
	err := fn()
	g.watch.disarm()
	return err
}

// invoke calls a callback within the time budget.
func (g *Game) invoke(fn goja.Callable, args ...goja.Value) (goja.Value, error) {
	var v goja.Value
	err := g.guard(func() error {
		var err error
		v, err = fn(goja.Undefined(), args...)
		return err
	})
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
				g.sess.End(OutcomeScriptError)
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
		g.sess.End(OutcomeScriptError)
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
