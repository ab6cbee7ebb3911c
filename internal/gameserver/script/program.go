package script

import (
	"bytes"
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

// Errors a Program or a Game reports; callers tell them apart with errors.Is.
var (
	// ErrNoExports: the launch module does not export ssExports with an init function.
	ErrNoExports = errors.New("the launch module must export ssExports with an init function")
	// ErrStartRefused: onProcessStarted returned false.
	ErrStartRefused = errors.New("onProcessStarted returned false")
	// ErrUnavailableModule: the script required a Node.js built-in module
	// that Leapfrog does not offer.
	ErrUnavailableModule = errors.New("built-in module of Node.js not available to Realtime scripts")
	// ErrModuleNotFound: the script required a file or package that is
	// neither in its bundle nor one of the runtime's modules.
	ErrModuleNotFound = errors.New("cannot find module")
	// ErrBudget: a callback ran longer than Config.CallbackBudget.
	ErrBudget = errors.New("script callback exceeded its time budget")
	// ErrMemoryLimit: the heap grew beyond Config.MemoryLimit.
	ErrMemoryLimit = errors.New("script memory limit exceeded")
	// ErrTooManyTimers: the script has Config.MaxTimers timers pending.
	ErrTooManyTimers = errors.New("too many pending timers")
	// ErrUnhandledRejection: a promise was rejected and no handler was
	// attached by the time the promise jobs ran out (Node.js's default,
	// --unhandled-rejections=throw).
	ErrUnhandledRejection = errors.New("unhandled promise rejection")
)

// UnhandledRejections is what a rejected promise without a handler does.
type UnhandledRejections string

const (
	// RejectionsThrow ends the session as a script error, as Node.js 15
	// and later (GameLift's Node.js 24) end the process.
	RejectionsThrow UnhandledRejections = "throw"
	// RejectionsWarn logs a warning and goes on, as Node.js 10 did.
	RejectionsWarn UnhandledRejections = "warn"
)

// OutcomeScriptError ends a session whose script threw, overran its time
// budget or memory limit, or exited with a non-zero code.
const OutcomeScriptError = "script_error"

// OutcomeUnhealthy ends a session whose onHealthCheck returned false.
const OutcomeUnhealthy = "unhealthy"

// Config tunes how scripts run. Zero values take the defaults given.
type Config struct {
	// Args are passed to onProcessStarted (GameLift's process parameters).
	Args []string
	// CallbackBudget bounds one callback (and the promise jobs it queues);
	// past it the runtime is interrupted and the session ends. 0 means 1 s.
	CallbackBudget time.Duration
	// MemoryLimit ends the running session when the Go heap's live bytes
	// exceed it; 0 means no limit. Scripts share the process's heap, so
	// set it where one process hosts one session at a time (a game server).
	MemoryLimit uint64
	// MaxTimers bounds the pending setTimeout/setInterval timers of one
	// session; 0 means 10,000.
	MaxTimers int
	// HealthCheckPeriod is how often onHealthCheck runs; 0 means 60 s
	// (GameLift's period).
	HealthCheckPeriod time.Duration
	// Clock is Date's time source before a session starts (a session's own
	// clock is used after); nil means the wall clock.
	Clock realtime.Clock
	// Logger receives console output and script errors; nil means slog.Default().
	Logger *slog.Logger
	// UnhandledRejections is what an unhandled promise rejection does when
	// the script has no process.on('unhandledRejection') listener; empty
	// means RejectionsThrow.
	UnhandledRejections UnhandledRejections
}

func (c Config) withDefaults() Config {
	if c.CallbackBudget <= 0 {
		c.CallbackBudget = time.Second
	}
	if c.MaxTimers <= 0 {
		c.MaxTimers = 10000
	}
	if c.HealthCheckPeriod <= 0 {
		c.HealthCheckPeriod = 60 * time.Second
	}
	if c.Clock == nil {
		c.Clock = realtime.WallClock{}
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.UnhandledRejections == "" {
		c.UnhandledRejections = RejectionsThrow
	}
	return c
}

// Settings are what the script's ssExports.configuration asks of the session.
type Settings struct {
	// MaxPlayers is configuration.maxPlayers; 32 when absent (GameLift's default).
	MaxPlayers int
	// PingInterval is configuration.pingIntervalTime (ms); 0 when absent.
	PingInterval time.Duration
}

// Program is a loaded script: its files compiled once and shared by the
// sessions, each of which runs it in a runtime of its own.
type Program struct {
	src      *Source
	cfg      Config
	registry *require.Registry
	settings Settings
	// nextTick is whether the bundle names process.nextTick: only then do
	// callbacks pay for running its queue before their promise jobs.
	nextTick bool
}

// BundleRoot is where a script's files appear to it (file names in its
// stacks and errors start with it).
const BundleRoot = "/local/game"

// Where a script finds itself and its runtime: GameLift installs a bundle in
// /local/game, beside the Realtime runtime's own files, and published scripts
// reach those by relative path (require("../src/proto/Packet_pb")).
const (
	// root is the bundle's folder: __dirname of the launch file.
	root = BundleRoot
	// runtimeRoot holds the runtime modules Leapfrog offers in its place
	// (runtime.go), at the paths scripts require them from.
	runtimeRoot = "/local/src"
)

// NewProgram compiles src and runs it once (init and onProcessStarted) to
// check it: a script that fails to load, lacks init or refuses to start is
// an error here, before the server says it is Ready.
func NewProgram(src *Source, cfg Config) (*Program, error) {
	p := &Program{src: src, cfg: cfg.withDefaults()}
	for _, b := range src.Files {
		p.nextTick = p.nextTick || bytes.Contains(b, []byte("nextTick"))
	}
	if m := p.cfg.UnhandledRejections; m != RejectionsThrow && m != RejectionsWarn {
		return nil, fmt.Errorf("unhandled rejections %q: want %s or %s", m, RejectionsThrow, RejectionsWarn)
	}
	p.registry = require.NewRegistry(
		require.WithLoader(p.load),
		require.WithPathResolver(func(base, name string) string { return path.Join(base, name) }),
	)
	g, err := p.instantiate()
	if err != nil {
		return nil, err
	}
	p.settings = g.settings
	return p, nil
}

// Settings are the script's configuration.
func (p *Program) Settings() Settings { return p.settings }

// Realtime applies the script's settings to a session configuration:
// maxPlayers, the ping interval, and relaying between players (on, as in
// GameLift Realtime, so that onSendToPlayer and onSendToGroup see it).
func (p *Program) Realtime(rc realtime.Config) realtime.Config {
	rc.MaxPlayers = p.settings.MaxPlayers
	if p.settings.PingInterval > 0 {
		rc.PongWait = p.settings.PingInterval * 10 / 9
	}
	rc.Relay = true
	return rc
}

// NewGame starts a fresh runtime for one session: the script is evaluated
// again and init and onProcessStarted run again, so nothing of one session
// leaks into the next. A script that fails now (it passed NewProgram's
// check, so the failure depends on the moment) costs only this session: the
// game returned ends it at once with OutcomeScriptError.
func (p *Program) NewGame() (realtime.Game, error) {
	g, err := p.instantiate()
	if err != nil {
		return failedGame{err: err, log: p.cfg.Logger}, nil
	}
	return g, nil
}

// failedGame is a session whose script did not start: it ends at once.
type failedGame struct {
	err error
	log *slog.Logger
}

func (f failedGame) OnStart(s *realtime.Session) {
	f.log.Error("script failed to start; ending its session", "session", s.ID(), "err", f.err)
	s.Fail(OutcomeScriptError)
}

func (f failedGame) OnPlayerConnect(*realtime.Session, *realtime.Player) error {
	return fmt.Errorf("the game script failed to start: %w: %w", realtime.ErrGameFailed, f.err)
}
func (failedGame) OnPlayerAccepted(*realtime.Session, *realtime.Player)   {}
func (failedGame) OnPlayerDisconnect(*realtime.Session, *realtime.Player) {}
func (failedGame) OnMessage(*realtime.Session, *realtime.Player, realtime.Message) error {
	return nil
}
func (failedGame) OnTick(*realtime.Session, time.Time) {}
func (failedGame) OnEnd(*realtime.Session)             {}

// load reads a module's source: the bundle's files under root, the
// runtime's modules under runtimeRoot. Nothing else exists.
func (p *Program) load(name string) ([]byte, error) {
	if rel, ok := strings.CutPrefix(name, root+"/"); ok {
		if b, found := p.src.Files[rel]; found {
			return b, nil
		}
	}
	if b, found := runtimeModule(name); found {
		return b, nil
	}
	return nil, require.ModuleFileDoesNotExistError
}

// instantiate builds a runtime, evaluates the launch module, reads
// ssExports and runs init and onProcessStarted.
func (p *Program) instantiate() (*Game, error) {
	g := newGame(p)
	exports, err := g.require(root + "/" + p.src.Launch)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", p.src.Launch, g.describe(err))
	}
	ss, _ := exports.ToObject(g.rt).Get("ssExports").(*goja.Object)
	if ss == nil {
		return nil, fmt.Errorf("%s: %w", p.src.Launch, ErrNoExports)
	}
	if err := g.bind(ss); err != nil {
		return nil, fmt.Errorf("%s: %w", p.src.Launch, err)
	}
	if _, err := g.invoke(g.cb.init, g.rtSession); err != nil {
		return nil, fmt.Errorf("init: %w", g.describe(err))
	}
	if g.cb.onProcessStarted != nil {
		v, err := g.invoke(g.cb.onProcessStarted, g.rt.ToValue(p.cfg.Args))
		if err != nil {
			return nil, fmt.Errorf("onProcessStarted: %w", g.describe(err))
		}
		if isFalse(v) {
			return nil, ErrStartRefused
		}
	}
	return g, nil
}

// isFalse is true only for the boolean false: GameLift treats a callback
// that returns nothing as accepting.
func isFalse(v goja.Value) bool {
	if v == nil {
		return false
	}
	b, ok := v.Export().(bool)
	return ok && !b
}
