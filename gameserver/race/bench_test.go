package race

import (
	"log/slog"
	"testing"
	"time"

	"github.com/leapfrog-games/leapfrog/gameserver/realtime"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime/realtimetest"
)

// BenchmarkTick is one tick of a running race with two players and nothing
// to land: the steady state, which should not allocate.
func BenchmarkTick(b *testing.B) {
	g, _ := NewGame(DefaultRules(), nil)
	h, _ := realtimetest.NewHarness(realtime.Config{}, g, t0)
	x, _ := h.Connect("a")
	y, _ := h.Connect("b")
	x.Send(OpSceneReady, nil)
	y.Send(OpSceneReady, nil)
	h.Advance(3 * time.Second)
	x.Send(OpHop, nil)
	y.Send(OpHop, nil)
	x.Discard()
	y.Discard()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		h.Session.Tick()
	}
}

// BenchmarkHopBroadcast is a hop press that starts a hop, turned into a
// FrogMoved to both players (penalties wait for the tick). The track is long
// enough that the race never ends.
func BenchmarkHopBroadcast(b *testing.B) {
	rules := DefaultRules()
	rules.FinishLine = 1e9
	g, _ := NewGame(rules, nil)
	h, _ := realtimetest.NewHarness(realtime.Config{SendQueue: 1 << 20}, g, t0)
	x, _ := h.Connect("a")
	y, _ := h.Connect("b")
	x.Send(OpSceneReady, nil)
	y.Send(OpSceneReady, nil)
	h.Advance(3 * time.Second)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		h.Clock.Add(rules.HopDuration) // the last hop is over: this press starts one
		x.Send(OpHop, nil)
		if i%1024 == 0 {
			x.Discard()
			y.Discard()
		}
	}
}

// BenchmarkIdleRaces measures the memory of one race waiting for its
// players on a server of many, beyond their connections: its session and
// game (the target is at most 32 KiB).
func BenchmarkIdleRaces(b *testing.B) {
	cfg := realtime.Config{GameServer: "gs", Logger: slog.New(slog.DiscardHandler)}
	for b.Loop() {
		per, err := realtimetest.SessionMemory(2000, cfg, func() (realtime.Game, error) { return NewGame(DefaultRules(), nil) })
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(per, "B/race")
	}
}
