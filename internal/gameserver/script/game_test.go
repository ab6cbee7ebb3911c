package script

import (
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leapfrog-games/leapfrog/contract/closecode"
	realtimev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/realtime/v1"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime/realtimetest"
)

const allAPIs = "testdata/allapis"

// Op codes of testdata/allapis/lib/ops.js.
const (
	opWelcome, opPeerLeft                   = 1, 2
	opEcho, opEchoed, opShout, opShouted    = 10, 11, 12, 13
	opTimers, opTimersDone                  = 14, 15
	opNode, opNodeReport                    = 16, 17
	opThrow, opSpin, opEnd, opExit          = 18, 19, 20, 21
	opMembership, opRequireFS, opRequireErr = 22, 23, 24
	opSick, opHoard, opProcessEnding        = 25, 31, 40
)

func TestConfigurationIsRead(t *testing.T) {
	p := load(t, allAPIs, Config{})
	if got := p.Settings(); got.MaxPlayers != 4 || got.PingInterval != 30*time.Second {
		t.Errorf("settings = %+v, want 4 players and a 30 s ping interval", got)
	}
	rc := p.Realtime(realtime.Config{})
	if rc.MaxPlayers != 4 || !rc.Relay || rc.PongWait <= 30*time.Second {
		t.Errorf("realtime config = max %d, relay %v, pong wait %v", rc.MaxPlayers, rc.Relay, rc.PongWait)
	}
}

func TestEveryAPIOverRealConnections(t *testing.T) {
	r := newRig(t, allAPIs, Config{})
	a := r.join("alice")
	var welcome struct {
		PeerID          int32  `json:"peerId"`
		PlayerSessionID string `json:"playerSessionId"`
		Players         int    `json:"players"`
		Started         bool   `json:"started"`
	}
	if err := json.Unmarshal(a.game(opWelcome).Payload, &welcome); err != nil {
		t.Fatal(err)
	}
	if welcome.PeerID != a.id || welcome.PlayerSessionID != "alice" || welcome.Players != 1 || !welcome.Started {
		t.Errorf("welcome = %+v, want alice as peer %d, 1 player, started", welcome, a.id)
	}
	b := r.join("bob")
	b.game(opWelcome)

	t.Run("binary echo to the sender", func(t *testing.T) {
		a.message(opEcho, "\x00\x01\xff", -1, 0)
		if m := a.game(opEchoed); string(m.Payload) != "\x00\x01\xff" || m.Sender != ServerID {
			t.Errorf("echo = %q from %d", m.Payload, m.Sender)
		}
	})
	t.Run("group message to all players with a player as sender", func(t *testing.T) {
		a.message(opShout, "ribbit", -1, 0)
		for _, p := range []*peer{a, b} {
			if m := p.game(opShouted); string(m.Payload) != "RIBBIT" || m.Sender != a.id {
				t.Errorf("shout = %q from %d, want RIBBIT from %d", m.Payload, m.Sender, a.id)
			}
		}
	})
	t.Run("timers run on the session clock", func(t *testing.T) {
		a.message(opTimers, "", -1, 0)
		a.message(opEcho, "sync", -1, 0) // once echoed, the timers are set
		a.game(opEchoed)
		for range 10 {
			r.advance(100 * time.Millisecond)
		}
		if m := a.game(opTimersDone); string(m.Payload) != "done:3" {
			t.Errorf("timers = %q, want done:3 (interval cleared after 3, cleared timeout never ran)", m.Payload)
		}
	})
	t.Run("node built-ins", func(t *testing.T) {
		a.message(opNode, "", -1, 0)
		var rep struct {
			Inspect, Format, Base64, Date string
			Hrtime                        bool
			Now                           int64
		}
		if err := json.Unmarshal(a.game(opNodeReport).Payload, &rep); err != nil {
			t.Fatal(err)
		}
		if rep.Inspect != "{ a: [ 1, 'two' ], m: Map(1) { 1 => true } }" || rep.Format != "frog has 4 legs" ||
			rep.Base64 != "ZnJvZw==" || !rep.Hrtime {
			t.Errorf("report = %+v", rep)
		}
		if now := r.clock.Now(); rep.Now != now.UnixMilli() || rep.Date != now.Format("2006-01-02T15:04:05.000Z") {
			t.Errorf("Date.now() = %d (%s), want the session clock %d", rep.Now, rep.Date, now.UnixMilli())
		}
	})
	t.Run("unavailable built-in module", func(t *testing.T) {
		a.message(opRequireFS, "", -1, 0)
		if m := a.game(opRequireErr); !strings.Contains(string(m.Payload), `require("fs")`) || !strings.Contains(string(m.Payload), "not available") {
			t.Errorf("require('fs') error = %q", m.Payload)
		}
	})
	t.Run("peer messages pass onSendToPlayer", func(t *testing.T) {
		a.message(50, "blocked", b.id, 0)
		a.message(50, "hello bob", b.id, 0)
		if m := b.game(50); string(m.Payload) != "hello bob" || m.Sender != a.id {
			t.Errorf("bob got %q from %d, want hello bob from %d (the blocked one dropped)", m.Payload, m.Sender, a.id)
		}
	})
	membership := func(p *peer, group int32) []int32 {
		t.Helper()
		return p.frame(func(f *realtimev1.ServerFrame) bool { return f.GetGroupMembership().GetGroupId() == group }).GetGroupMembership().PeerIds
	}
	t.Run("groups pass onPlayerJoinGroup and onPlayerLeaveGroup", func(t *testing.T) {
		join := func(p *peer, g int32) {
			p.send(&realtimev1.ClientFrame{Payload: &realtimev1.ClientFrame_JoinGroup{JoinGroup: &realtimev1.JoinGroup{GroupId: g}}})
		}
		join(a, 13)
		if got := membership(a, 13); len(got) != 0 {
			t.Errorf("group 13 = %v, want the join vetoed", got)
		}
		join(a, 7)
		membership(a, 7)
		a.send(&realtimev1.ClientFrame{Payload: &realtimev1.ClientFrame_LeaveGroup{LeaveGroup: &realtimev1.LeaveGroup{GroupId: 7}}})
		if got := membership(a, 7); len(got) != 1 || got[0] != a.id {
			t.Errorf("group 7 = %v, want alice still in it (leave vetoed)", got)
		}
		join(b, 7)
		membership(b, 7)
		b.message(opMembership, "7", -1, 0)
		if got := membership(b, 7); len(got) != 2 {
			t.Errorf("broadcast membership of 7 = %v, want both", got)
		}
	})
	t.Run("group messages pass onSendToGroup", func(t *testing.T) {
		a.message(99, "dropped", 0, 7)
		a.message(98, "kept", 0, 7)
		if m := b.game(98); string(m.Payload) != "kept" {
			t.Errorf("bob got %q", m.Payload)
		}
	})
	t.Run("a rejected player", func(t *testing.T) {
		p := r.dial("banned")
		f := p.frame(func(f *realtimev1.ServerFrame) bool { return f.GetError() != nil || f.GetWelcome() != nil })
		if f.GetError().GetCode() != realtimev1.Error_CODE_REJECTED || !strings.Contains(f.GetError().GetMessage(), "rejected by the game script") {
			t.Errorf("banned player got %v", f)
		}
	})
	t.Run("disconnect", func(t *testing.T) {
		b.ws.Close()
		if m := a.game(opPeerLeft); string(m.Payload) != itoa(b.id) {
			t.Errorf("peer left = %q, want %d", m.Payload, b.id)
		}
	})
	t.Run("processEnding resolves and ends the session", func(t *testing.T) {
		a.message(opEnd, "", -1, 0)
		if m := a.game(opProcessEnding); string(m.Payload) != "true" {
			t.Errorf("processEnding resolved with %q", m.Payload)
		}
		if code := a.closed(); code != int(closecode.Normal) {
			t.Errorf("close code %d, want %d", code, int(closecode.Normal))
		}
		if out := r.outcome(); out != realtime.OutcomeCompleted {
			t.Errorf("outcome %q", out)
		}
	})
	for _, want := range []string{"init: server id -1, all players group -1", "game session s1 started, max 4 players", "terminating", "process ending: true"} {
		if !strings.Contains(r.logs.String(), want) {
			t.Errorf("logs lack %q:\n%s", want, r.logs)
		}
	}
}

func itoa(n int32) string { return strconv.Itoa(int(n)) }

// TestSessionEnders: each way a script ends its session ends only that
// session, with the outcome and a log line that says why.
func TestSessionEnders(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		op      int32
		advance time.Duration
		outcome string
		// close is what the players get: 1011 when the script failed (a
		// crash of the game, not the end of a game), 1000 when it ended.
		close int
		logs  []string
	}{
		{"exception", Config{}, opThrow, 0, OutcomeScriptError, int(closecode.Internal), []string{"boom from op 18", "index.js", `"callback":"onMessage"`}},
		{"runaway loop", Config{CallbackBudget: 50 * time.Millisecond}, opSpin, 0, OutcomeScriptError, int(closecode.Internal), []string{ErrBudget.Error()}},
		{"process.exit", Config{}, opExit, 0, realtime.OutcomeCompleted, int(closecode.Normal), []string{"script called process.exit"}},
		{"unhealthy", Config{HealthCheckPeriod: time.Second}, opSick, 2 * time.Second, OutcomeUnhealthy, int(closecode.Normal), []string{"onHealthCheck returned false"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, allAPIs, tt.cfg)
			p := r.join("alice")
			p.message(tt.op, "", -1, 0)
			p.message(opEcho, "after", -1, 0)
			if tt.advance > 0 {
				p.game(opEchoed)
				r.advance(tt.advance)
			}
			if out := r.outcome(); out != tt.outcome {
				t.Errorf("outcome %q, want %q", out, tt.outcome)
			}
			if code := p.closed(); code != tt.close {
				t.Errorf("close code %d, want %d", code, tt.close)
			}
			for _, want := range tt.logs {
				if !strings.Contains(r.logs.String(), want) {
					t.Errorf("logs lack %q:\n%s", want, r.logs)
				}
			}
			if tt.outcome != OutcomeUnhealthy && strings.Contains(r.logs.String(), "terminating") {
				t.Error("onProcessTerminate ran after the script failed or exited")
			}
		})
	}
}

// TestMemoryLimitEndsTheSession: a script that keeps what it allocates is
// stopped once the live heap passes the limit.
func TestMemoryLimitEndsTheSession(t *testing.T) {
	// The baseline may still hold an earlier test's session, released once
	// its connections finish closing: the script hoards until it is stopped
	// (at most 256 MiB), so a high baseline only makes it hoard longer.
	runtime.GC()
	r := newRig(t, allAPIs, Config{MemoryLimit: heapLive() + 64<<20})
	p := r.join("alice")
	hoarded := 0
	for ; hoarded < 16; hoarded++ { // each keeps 16 MiB
		p.message(opHoard, "", -1, 0)
		p.message(opEcho, "hoarded", -1, 0)
		p.game(opEchoed)
		r.advance(2 * time.Second) // the check runs at most once a second
		if r.sess.Closed() {       // ended by this tick
			hoarded++
			break
		}
	}
	if hoarded < 4 {
		t.Errorf("stopped after %d×16 MiB, below the 64 MiB margin", hoarded)
	}
	if out := r.outcome(); out != OutcomeScriptError {
		t.Fatalf("outcome %q, want %q", out, OutcomeScriptError)
	}
	if !strings.Contains(r.logs.String(), ErrMemoryLimit.Error()) {
		t.Errorf("logs lack the memory limit:\n%s", r.logs)
	}
}

func TestLoadErrors(t *testing.T) {
	write := func(t *testing.T, files map[string]string) string {
		dir := t.TempDir()
		for name, body := range files {
			path := filepath.Join(dir, name)
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	const minimal = "exports.ssExports = { init: function () {} };\n"
	tests := []struct {
		name   string
		files  map[string]string
		args   []string
		is     error
		substr string
	}{
		{"no launch file", map[string]string{"other.js": minimal}, nil, ErrBadSource, "launch path"},
		{"no ssExports", map[string]string{"index.js": "exports.x = 1;"}, nil, ErrNoExports, ""},
		{"no init", map[string]string{"index.js": "exports.ssExports = {};"}, nil, ErrNoExports, ""},
		{"syntax error", map[string]string{"index.js": "function ("}, nil, nil, "index.js"},
		{"unavailable module", map[string]string{"index.js": "require('child_process');" + minimal}, nil, ErrUnavailableModule, "child_process"},
		{"missing module", map[string]string{"index.js": "require('left-pad');" + minimal}, nil, nil, `require("left-pad")`},
		{"escaping the bundle", map[string]string{"index.js": "require('../../etc/passwd');" + minimal}, nil, nil, "../../etc/passwd"},
		{"init throws", map[string]string{"index.js": "exports.ssExports = { init: function () { throw new TypeError('no'); } };"}, nil, nil, "TypeError: no"},
		{"refused start", map[string]string{"index.js": readFile(t, allAPIs+"/index.js"), "lib/ops.js": readFile(t, allAPIs+"/lib/ops.js")}, []string{"--refuse"}, ErrStartRefused, ""},
		{"bad maxPlayers", map[string]string{"index.js": "exports.ssExports = { init: function () {}, configuration: { maxPlayers: 0 } };"}, nil, nil, "maxPlayers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, err := Load(write(t, tt.files), "index.js")
			if err == nil {
				_, err = NewProgram(src, Config{Args: tt.args, Logger: slog.New(slog.DiscardHandler)})
			}
			if err == nil {
				t.Fatal("no error")
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v, want %v", err, tt.is)
			}
			if !strings.Contains(err.Error(), tt.substr) {
				t.Errorf("error %q lacks %q", err, tt.substr)
			}
		})
	}
}

func readFile(t *testing.T, name string) string {
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestAvailableModules: the built-ins the migration guide lists load.
func TestAvailableModules(t *testing.T) {
	src, err := NewSource(map[string][]byte{"index.js": []byte(`
		const names = ['util', 'node:util', 'buffer', 'url', 'console', 'process', 'timers', 'events', 'node:events',
			'crypto', 'string_decoder', 'timers/promises', 'node:buffer', 'node:url', 'assert', 'assert/strict', 'path', 'path/posix', 'util/types', 'sys'];
		for (const n of names) {
			if (!require(n)) throw new Error(n + ' did not load');
		}
		if (require('buffer').Buffer !== Buffer || require('node:buffer').Buffer !== Buffer) throw new Error('two Buffers');
		if (typeof require('timers').setTimeout !== 'function') throw new Error('no timers');
		if (require('events') !== require('node:events')) throw new Error('two events modules');
		if (require('sys') !== require('util') || require('util/types') !== require('util').types) throw new Error('aliases differ');
		if (require('process') !== process) throw new Error('two processes');
		exports.ssExports = { init: function () {} };
	`)}, "index.js")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewProgram(src, Config{Logger: slog.New(slog.DiscardHandler)}); err != nil {
		t.Fatal(err)
	}
}

// TestScriptFailingAtSessionStartEndsOnlyThatSession: a script that passed
// the start-up check but fails when a session starts ends that session;
// NewGame, which the host would turn into a process exit, reports no error.
func TestScriptFailingAtSessionStartEndsOnlyThatSession(t *testing.T) {
	src, err := NewSource(map[string][]byte{"index.js": []byte(`
		exports.ssExports = { init: function () {
			if (Date.now() > 1000) throw new Error('too late to start');
		} };
	`)}, "index.js")
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, nil))
	clock := &testClock{now: time.UnixMilli(0)}
	prog, err := NewProgram(src, Config{Clock: clock, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	clock.Add(2 * time.Second)
	game, err := prog.NewGame()
	if err != nil {
		t.Fatalf("NewGame = %v, want the failure confined to the session", err)
	}
	r := startRig(t, game, prog.Realtime(realtime.Config{GameServer: "gs-1", Clock: clock, Logger: logger}), clock, logs)
	if out := r.outcome(); out != OutcomeScriptError {
		t.Errorf("outcome %q, want %q", out, OutcomeScriptError)
	}
	if !strings.Contains(logs.String(), "too late to start") {
		t.Errorf("logs lack the error:\n%s", logs)
	}
}

// A script's session sleeps between what its OnTick does: onHealthCheck at
// its period, the memory check once a second with a limit, nothing else.
func TestScriptSessionWakesOnlyForHealthAndMemory(t *testing.T) {
	start := time.Date(2026, 11, 29, 8, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		cfg  Config
		want time.Duration // after the start; 0: no tick wanted
	}{
		{"health check", Config{HealthCheckPeriod: 7 * time.Second}, 7 * time.Second},
		{"memory limit too", Config{HealthCheckPeriod: 7 * time.Second, MemoryLimit: 1 << 30}, time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Logger = slog.New(slog.DiscardHandler)
			prog := load(t, allAPIs, tc.cfg)
			g, err := prog.NewGame()
			if err != nil {
				t.Fatal(err)
			}
			h, err := realtimetest.NewHarness(prog.Realtime(realtime.Config{}), g, start)
			if err != nil {
				t.Fatal(err)
			}
			h.Advance(0) // the first check of the memory
			if got := h.NextWake().Sub(start); got != tc.want {
				t.Fatalf("next wake %v after the start, want %v", got, tc.want)
			}
		})
	}
	noHealth := load(t, "../../../examples/megafrograce", Config{Logger: slog.New(slog.DiscardHandler)})
	g, err := noHealth.NewGame()
	if err != nil {
		t.Fatal(err)
	}
	if next := g.(realtime.Sleeper).NextTick(nil, start); !next.IsZero() {
		t.Fatalf("a script without onHealthCheck or memory limit asks for a tick at %v", next)
	}
}

// TestPlayerConnectRefusalAndCrash: onPlayerConnect returning false refuses
// the player (4009) and the session goes on; throwing crashes the session
// (CODE_INTERNAL, 1011, outcome script_error).
func TestPlayerConnectRefusalAndCrash(t *testing.T) {
	tests := []struct {
		player  string
		code    realtimev1.Error_Code
		close   int
		outcome string // "" while the session goes on
	}{
		{"banned", realtimev1.Error_CODE_REJECTED, int(closecode.Rejected), ""},
		{"crasher", realtimev1.Error_CODE_INTERNAL, int(closecode.Internal), OutcomeScriptError},
	}
	for _, tt := range tests {
		t.Run(tt.player, func(t *testing.T) {
			r := newRig(t, allAPIs, Config{})
			p := r.dial(tt.player)
			f := p.frame(func(f *realtimev1.ServerFrame) bool { return f.GetError() != nil || f.GetWelcome() != nil })
			if f.GetError().GetCode() != tt.code {
				t.Errorf("frame %v, want error %v", f, tt.code)
			}
			if code := p.closed(); code != tt.close {
				t.Errorf("close %d, want %d", code, tt.close)
			}
			if tt.outcome == "" {
				r.join("alice")
				if r.sess.Closed() {
					t.Error("a refusal ended the session")
				}
				return
			}
			if out := r.outcome(); out != tt.outcome {
				t.Errorf("outcome %q, want %q", out, tt.outcome)
			}
			if !strings.Contains(r.logs.String(), "onPlayerConnect blew up") {
				t.Errorf("logs lack the error:\n%s", r.logs)
			}
		})
	}
}
