package script

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/leapfrog-games/leapfrog/gameserver/realtime"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime/realtimetest"
)

// scriptSession runs index.js (with init and onStartGameSession as
// given) on a harness session; the console goes to the returned logs.
func scriptSession(t *testing.T, index string, cfg Config) (*realtimetest.Harness, *captureHandler) {
	t.Helper()
	src, err := NewSource(map[string][]byte{"index.js": []byte(index)}, "index.js")
	if err != nil {
		t.Fatal(err)
	}
	h := &captureHandler{}
	cfg.Logger = slog.New(h)
	prog, err := NewProgram(src, cfg)
	if err != nil {
		t.Fatal(err)
	}
	game, err := prog.NewGame()
	if err != nil {
		t.Fatal(err)
	}
	hs, err := realtimetest.NewHarness(prog.Realtime(realtime.Config{EmptyTimeout: time.Hour}), game, time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	return hs, h
}

func (h *captureHandler) text() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return strings.Join(h.lines, "\n")
}

// TestUnhandledRejections: a rejection nobody handles by the end of the
// promise jobs ends the session as a script error (Node.js 24), or only
// warns (Node.js 10's way); a handler attached in the same drain, or a
// process.on('unhandledRejection') listener, keeps the session going.
func TestUnhandledRejections(t *testing.T) {
	tests := []struct {
		name    string
		mode    UnhandledRejections
		code    string
		outcome string // "" when the session goes on
		logs    []string
	}{
		{"rejected promise", RejectionsThrow, `Promise.reject(new Error('lost race'));`, OutcomeScriptError,
			[]string{"script failed", "unhandled promise rejection: Error: lost race (at /local/game/index.js:"}},
		{"async function throws", RejectionsThrow, `(async () => { await null; throw new TypeError('late'); })();`, OutcomeScriptError,
			[]string{"TypeError: late"}},
		{"rejected with a value", RejectionsThrow, `Promise.reject({ code: 7 });`, OutcomeScriptError,
			[]string{"unhandled promise rejection: { code: 7 }"}},
		{"handled in the same drain", RejectionsThrow, `const p = Promise.reject(new Error('x')); Promise.resolve().then(() => p.catch(() => console.log('caught later')));`, "",
			[]string{"caught later"}},
		{"listener", RejectionsThrow, `process.on('unhandledRejection', (r, p) => console.log('listener', r.message, p instanceof Promise)); Promise.reject(new Error('to listener'));`, "",
			[]string{"listener to listener true"}},
		{"listener throws", RejectionsThrow, `process.on('unhandledRejection', () => { throw new Error('listener failed'); }); Promise.reject(new Error('x'));`, OutcomeScriptError,
			[]string{"listener failed"}},
		{"warn mode", RejectionsWarn, `Promise.reject(new Error('only a warning')); setTimeout(() => console.log('still running'), 10);`, "",
			[]string{"unhandled promise rejection", "still running"}},
		{"timer throws", RejectionsThrow, `setTimeout(() => { throw new Error('timer boom'); }, 5);`, OutcomeScriptError,
			[]string{"timer boom"}},
		{"uncaughtException listener", RejectionsThrow, `process.on('uncaughtException', (e) => console.log('uncaught', e.message)); setTimeout(() => { throw new Error('timer boom'); }, 5); setTimeout(() => console.log('next timer'), 10);`, "",
			[]string{"uncaught timer boom", "next timer"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs, logs := scriptSession(t, "exports.ssExports = { init: function () {}, onStartGameSession: function () {"+tt.code+"} };",
				Config{UnhandledRejections: tt.mode})
			for range 3 {
				hs.Advance(10 * time.Millisecond)
			}
			ended, outcome := hs.Ended()
			if tt.outcome == "" && ended || tt.outcome != "" && outcome != tt.outcome {
				t.Errorf("ended %v with %q, want %q\n%s", ended, outcome, tt.outcome, logs.text())
			}
			for _, want := range tt.logs {
				if !strings.Contains(logs.text(), want) {
					t.Errorf("logs lack %q:\n%s", want, logs.text())
				}
			}
		})
	}
}

func TestBadUnhandledRejectionsMode(t *testing.T) {
	src, err := NewSource(map[string][]byte{"index.js": []byte("exports.ssExports = { init: function () {} };")}, "index.js")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewProgram(src, Config{UnhandledRejections: "strict"}); err == nil || !strings.Contains(err.Error(), `"strict"`) {
		t.Errorf("error %v, want one naming the bad mode", err)
	}
}

// TestNodeIdioms: what scripts written for Node do that goja alone does not.
func TestNodeIdioms(t *testing.T) {
	tests := []struct {
		name, code, want string
	}{
		{"new on Buffer.from", `console.log(new Buffer.from('ab').toString('hex'), new Buffer.alloc(2).length)`, "6162 2"},
		{"JSON of a Buffer", `console.log(JSON.stringify(Buffer.from([1, 2])), JSON.parse(Buffer.from('{"a":5}')).a)`, `{"type":"Buffer","data":[1,2]} 5`},
		{"BOM", "\ufeffconsole.log('bom ok')", "bom ok"},
		{"process.version", `console.log(process.version.slice(0, 4))`, "v24."},
		{"queueMicrotask", `queueMicrotask(() => console.log('micro')); console.log('sync')`, "sync\nmicro"},
		{"structuredClone", `const a = { m: new Map([[1, [2]]]) }; const b = structuredClone(a); console.log(b.m.get(1)[0], b.m !== a.m)`, "2 true"},
		{"crypto rest", `try { require('crypto').createHash('sha256') } catch (e) { console.log(e.message) }`, "crypto.createHash: built-in module of Node.js not available"},
		{"unavailable module", `try { require('node:fs') } catch (e) { console.log(e.message) }`, `built-in module of Node.js not available to Realtime scripts: fs`},
		{"assigned global", `console.log(typeof process.nextTick, typeof require('process').nextTick)`, "function function"},
		// Node's process warning, once per event name, naming the emitter as inspect does at depth -1.
		{"max listeners warning", `const E = require('events'); class Lobby extends E {} const l = new Lobby(); l.setMaxListeners(1);
			l.on('join', () => {}); l.on('join', () => {}); l.on('join', () => {}); console.log('listeners', l.listenerCount('join'))`,
			"(node) MaxListenersExceededWarning: Possible EventEmitter memory leak detected. 2 join listeners added to [Lobby]. MaxListeners is 1. Use emitter.setMaxListeners() to increase limit\nlisteners 3"},
		{"no warning up to the maximum", `console.log('start'); const E = require('events'); const e = new E(); for (let i = 0; i < 10; i++) e.on('tick', () => {}); console.log('quiet', e.listenerCount('tick'))`, "start\nquiet 10"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, err := NewSource(map[string][]byte{
				"index.js": []byte("exports.ssExports = { init: function () {}, onStartGameSession: function () { require('./case.js'); } };"),
				"case.js":  []byte(tt.code),
			}, "index.js")
			if err != nil {
				t.Fatal(err)
			}
			h := &captureHandler{}
			prog, err := NewProgram(src, Config{Logger: slog.New(h)})
			if err != nil {
				t.Fatal(err)
			}
			game, err := prog.NewGame()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := realtimetest.NewHarness(prog.Realtime(realtime.Config{}), game, time.Unix(0, 0)); err != nil {
				t.Fatal(err)
			}
			if got := h.text(); !strings.Contains(got, tt.want) {
				t.Errorf("printed %q, want %q", got, tt.want)
			}
		})
	}
}

// TestCallbackObjectShapes: what callbacks receive has GameLift's
// documented fields and types, printed as Node's util.inspect would
// print them (testdata/shapes.js).
func TestCallbackObjectShapes(t *testing.T) {
	hs, logs := scriptSession(t, readFile(t, "testdata/shapes.js"), Config{})
	alice, err := hs.Connect("alice")
	if err != nil {
		t.Fatal(err)
	}
	alice.Send(7, []byte("hi"))
	hs.Advance(time.Millisecond)
	want := []string{
		"session: { gameSessionId: 'harness', name: 'harness', maximumPlayerSessionCount: 32, fleetId: 'harness', gameProperties: [], gameSessionData: '', matchmakerData: '' }",
		"rtSession: broadcastGroupMembershipUpdate:function getAllPlayersGroupId:function getGameSessionId:function getLogger:function getPlayers:function getServerId:function newBinaryGameMessage:function newTextGameMessage:function processEnding:function sendGroupMessage:function sendMessage:function sendReliableGroupMessage:function sendReliableMessage:function",
		"connect: {\n  peerId: 1,\n  playerSessionId: 'alice',\n  playerId: 'alice',\n  player: { peerId: 1, playerSessionId: 'alice', playerId: 'alice' },\n  payload: <Buffer >\n}",
		// 82 columns on one line: Node breaks it (breakLength 80).
		"player: {\n  peerId: 1,\n  playerSessionId: 'alice',\n  playerId: 'alice',\n  reconnects: 0\n}",
		"players: Map(1) {\n  1 => {\n    peerId: 1,\n    playerSessionId: 'alice',\n    playerId: 'alice',\n    reconnects: 0\n  }\n}",
		"forEach: number 1 alice",
		"message keys: opCode,sender,payload,reliable,targetPlayer,targetGroup",
		`message JSON: {"opCode":7,"sender":1,"payload":{"type":"Buffer","data":[104,105]},"reliable":true,"targetPlayer":-1,"targetGroup":0}`,
		"message: GameMessage {\n  opCode: 7,\n  sender: 1,\n  payload: <Buffer 68 69>,\n  reliable: true,\n  targetPlayer: -1,\n  targetGroup: 0\n}",
		"text: hi",
	}
	got := logs.text()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("logs lack\n%s\ngot:\n%s", w, got)
		}
	}
}

// TestInterruptsThroughNextTickCallbacks: in a bundle that uses nextTick
// (whose callbacks run inside a frame that also drains the tick queue),
// process.exit and the time budget still end the session.
func TestInterruptsThroughNextTickCallbacks(t *testing.T) {
	tests := []struct {
		name, code, outcome, log string
	}{
		{"exit in a timer", `setTimeout(() => process.exit(0), 5);`, realtime.OutcomeCompleted, "script called process.exit"},
		{"exit in a tick", `setTimeout(() => process.nextTick(() => process.exit(3)), 5);`, OutcomeScriptError, "script called process.exit"},
		{"runaway tick", `setTimeout(() => process.nextTick(() => { for (;;) {} }), 5);`, OutcomeScriptError, ErrBudget.Error()},
		{"tick throws", `setTimeout(() => process.nextTick(() => { throw new Error('tick boom'); }), 5);`, OutcomeScriptError, "tick boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs, logs := scriptSession(t, "exports.ssExports = { init: function () {}, onStartGameSession: function () { process.nextTick(() => {}); "+tt.code+" } };",
				Config{CallbackBudget: 50 * time.Millisecond})
			hs.Advance(10 * time.Millisecond)
			if ended, outcome := hs.Ended(); !ended || outcome != tt.outcome {
				t.Errorf("ended %v with %q, want %q\n%s", ended, outcome, tt.outcome, logs.text())
			}
			if !strings.Contains(logs.text(), tt.log) {
				t.Errorf("logs lack %q:\n%s", tt.log, logs.text())
			}
		})
	}
}
