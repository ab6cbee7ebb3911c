package script

import (
	"fmt"
	"log/slog"
	"runtime"
	"syscall"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	racev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/race/v1"
	realtimev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/realtime/v1"
	"github.com/leapfrog-games/leapfrog/gameserver/race"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime/realtimetest"
)

// The figures of the README: what running Mega Frog Race as a Realtime
// script costs next to the Go match, on the same session machinery (the
// in-memory harness: no network, which costs both the same).

var benchStart = time.Date(2026, 11, 29, 8, 0, 0, 0, time.UTC)

// benchGames are the two implementations of the match; finishLine far away
// keeps a match running for as long as a benchmark needs; sendQueue 0 is the
// default outbound queue.
func benchGames(b *testing.B, finishLine float64, sendQueue int) map[string]func() (realtime.Game, realtime.Config) {
	src, err := Load(megaFrogRace, "index.js")
	if err != nil {
		b.Fatal(err)
	}
	// A generous budget: on a loaded machine a preempted callback must not end the benchmark's match.
	prog, err := NewProgram(src, Config{
		Args: []string{fmt.Sprintf("--finish-line=%g", finishLine)}, CallbackBudget: time.Minute, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		b.Fatal(err)
	}
	rules := race.DefaultRules()
	rules.FinishLine = finishLine
	// A benchmark runs as many match-seconds as it needs: more than the
	// match's own time limit, which would end it as abandoned.
	rules.Timeout = 1000 * time.Hour
	return map[string]func() (realtime.Game, realtime.Config){
		"go": func() (realtime.Game, realtime.Config) {
			g, err := race.NewGame(rules, nil)
			if err != nil {
				b.Fatal(err)
			}
			return g, realtime.Config{MaxPlayers: 2, SendQueue: sendQueue, Logger: slog.New(slog.DiscardHandler)}
		},
		"script": func() (realtime.Game, realtime.Config) {
			g, err := prog.NewGame()
			if err != nil {
				b.Fatal(err)
			}
			return g, prog.Realtime(realtime.Config{SendQueue: sendQueue, Logger: slog.New(slog.DiscardHandler)})
		},
	}
}

// startedMatch is a match with two players past the countdown.
func startedMatch(b *testing.B, newGame func() (realtime.Game, realtime.Config)) (*realtimetest.Harness, *realtimetest.TestClient, *realtimetest.TestClient) {
	g, cfg := newGame()
	h, err := realtimetest.NewHarness(cfg, g, benchStart)
	if err != nil {
		b.Fatal(err)
	}
	x, err := h.Connect("a")
	if err != nil {
		b.Fatal(err)
	}
	y, err := h.Connect("b")
	if err != nil {
		b.Fatal(err)
	}
	x.Send(race.OpSceneReady, nil)
	y.Send(race.OpSceneReady, nil)
	h.Advance(3 * time.Second)
	x.Discard()
	y.Discard()
	return h, x, y
}

// BenchmarkHopBroadcast: a hop press (a penalty, so the hop never lands)
// turned into a FrogMoved queued for both players.
func BenchmarkHopBroadcast(b *testing.B) {
	for name, newGame := range benchGames(b, 1, 1<<16) {
		b.Run(name, func(b *testing.B) {
			h, x, y := startedMatch(b, newGame)
			x.Send(race.OpHop, nil)
			b.ReportAllocs()
			cpu := startCPU()
			for i := 0; b.Loop(); i++ {
				x.Send(race.OpHop, nil)
				if i%1024 == 0 {
					x.Discard()
					y.Discard()
				}
			}
			cpu.report(b)
			if ended, outcome := h.Ended(); ended {
				b.Fatalf("match ended: %s", outcome)
			}
		})
	}
}

// BenchmarkMatchSecond is one second of a match at 1 hop press per second per
// player: ten ticks and two presses (hops, penalties and landings as they
// come). Sessions per core = 1 s / this.
func BenchmarkMatchSecond(b *testing.B) {
	for name, newGame := range benchGames(b, 1e6, 1<<16) {
		b.Run(name, func(b *testing.B) {
			h, x, y := startedMatch(b, newGame)
			b.ReportAllocs()
			cpu := startCPU()
			for i := 0; b.Loop(); i++ {
				for tick := range 10 {
					h.Advance(100 * time.Millisecond)
					switch tick {
					case 2:
						x.Send(race.OpHop, nil)
					case 7:
						y.Send(race.OpHop, nil)
					}
				}
				x.Discard()
				y.Discard()
			}
			cpu.report(b)
			if ended, outcome := h.Ended(); ended {
				b.Fatalf("match ended: %s", outcome)
			}
		})
	}
}

// BenchmarkSessionMemory reports the heap a match session holds with both
// players in and the match on (bytes/session), from 100 live sessions.
func BenchmarkSessionMemory(b *testing.B) {
	const sessions = 100
	for name, newGame := range benchGames(b, 1e6, 0) {
		b.Run(name, func(b *testing.B) {
			var perSession float64
			for b.Loop() {
				keep := make([]*realtimetest.Harness, 0, sessions)
				before := liveHeap()
				for range sessions {
					h, x, _ := startedMatch(b, newGame)
					x.Send(race.OpHop, nil)
					keep = append(keep, h)
				}
				perSession = float64(liveHeap()-before) / sessions
				runtime.KeepAlive(keep)
			}
			b.ReportMetric(perSession, "bytes/session")
		})
	}
}

func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkCallback is the bare cost of one message through a script
// callback that does nothing: building the gameMessage, the time budget,
// the call.
func BenchmarkCallback(b *testing.B) {
	src, err := NewSource(map[string][]byte{"index.js": []byte(
		"exports.ssExports = { init: function () {}, onMessage: function (m) {} };")}, "index.js")
	if err != nil {
		b.Fatal(err)
	}
	prog, err := NewProgram(src, Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	g, err := prog.NewGame()
	if err != nil {
		b.Fatal(err)
	}
	h, err := realtimetest.NewHarness(prog.Realtime(realtime.Config{}), g, benchStart)
	if err != nil {
		b.Fatal(err)
	}
	x, err := h.Connect("a")
	if err != nil {
		b.Fatal(err)
	}
	payload := []byte("hop")
	b.ReportAllocs()
	cpu := startCPU()
	for b.Loop() {
		x.Send(7, payload)
	}
	cpu.report(b)
}

// cpuClock measures the process's CPU time (user and system, GC included)
// over a benchmark: on a shared, loaded machine wall time per op says more
// about the neighbours than about the code.
type cpuClock time.Duration

func startCPU() cpuClock { return cpuClock(processCPU()) }

func (c cpuClock) report(b *testing.B) {
	b.ReportMetric(float64(processCPU()-time.Duration(c))/float64(b.N), "cpu-ns/op")
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkMatchSecondOverWebSockets is BenchmarkMatchSecond through the real
// transport: a session behind the WebSocket server on 127.0.0.1 and two
// loopback clients that press hop and read every frame. Its CPU per op
// (server and both clients) is what one match-second costs a process.
func BenchmarkMatchSecondOverWebSockets(b *testing.B) {
	for name, newGame := range benchGames(b, 1e6, 0) {
		b.Run(name, func(b *testing.B) {
			game, rc := newGame()
			clock := &testClock{now: benchStart}
			rc.GameServer, rc.Clock = "gs-1", clock
			r := startRig(b, game, rc, clock, &syncBuffer{})
			x := r.join("a")
			y := r.join("b")
			x.message(race.OpSceneReady, "", -1, 0)
			y.message(race.OpSceneReady, "", -1, 0)
			x.game(race.OpCountdown)
			y.game(race.OpCountdown)
			r.advance(3 * time.Second)
			press := func(p *peer, lane int32) {
				p.message(race.OpHop, "", -1, 0)
				for _, q := range []*peer{x, y} {
					q.frame(func(f *realtimev1.ServerFrame) bool { return pressed(f, lane) })
				}
			}
			b.ReportAllocs()
			cpu := startCPU()
			for b.Loop() {
				for tick := range 10 {
					r.advance(100 * time.Millisecond)
					switch tick {
					case 2:
						press(x, 0)
					case 7:
						press(y, 1)
					}
				}
			}
			cpu.report(b)
		})
	}
}

// pressed matches the FrogMoved a hop press causes (a hop or a penalty) for lane.
func pressed(f *realtimev1.ServerFrame, lane int32) bool {
	m := f.GetMessage()
	if m.GetOpCode() != race.OpFrogMoved {
		return false
	}
	var fm racev1.FrogMoved
	if proto.Unmarshal(m.Payload, &fm) != nil {
		return false
	}
	return fm.Frog.GetLane() == lane && fm.Cause != racev1.FrogMoved_CAUSE_LANDED
}

// BenchmarkNewGame is what one session's runtime costs before its script
// touches a built-in: the Node.js world is built lazily, so an idle
// session pays only for its globals.
func BenchmarkNewGame(b *testing.B) {
	prog := load(b, "../../../examples/megafrograce", Config{Logger: slog.New(slog.DiscardHandler)})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := prog.NewGame(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBuiltinModule is NewGame for a minimal script that requires
// one built-in module at load ("none": nothing), so that B/op less none's
// is what a session pays for the module once it uses it.
func BenchmarkBuiltinModule(b *testing.B) {
	for _, name := range []string{"none", "console", "util", "events", "assert", "path", "string_decoder", "crypto", "timers", "buffer", "process"} {
		b.Run(name, func(b *testing.B) {
			use := ""
			if name != "none" {
				use = "require('" + name + "');"
			}
			src, err := NewSource(map[string][]byte{"index.js": []byte(use + "exports.ssExports = { init: function () {} };")}, "index.js")
			if err != nil {
				b.Fatal(err)
			}
			prog, err := NewProgram(src, Config{Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := prog.NewGame(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
