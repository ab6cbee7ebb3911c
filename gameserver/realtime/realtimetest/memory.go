package realtimetest

import (
	"context"
	"fmt"
	"runtime"
	"time"

	"github.com/leapfrog-games/leapfrog/gameserver/realtime"
)

// SessionMemory runs n idle sessions (no player yet) of games from newGame
// with cfg, as a server of many matches holds them, and returns the heap and
// goroutine stack bytes they take, per session: their loops, tickers or
// wake timers, queues and games. cfg needs GameServer; the sessions end before it returns.
func SessionMemory(n int, cfg realtime.Config, newGame func() (realtime.Game, error)) (float64, error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sessions := make([]*realtime.Session, 0, n)
	defer func() {
		cancel()
		for _, s := range sessions {
			<-s.Done()
		}
	}()
	before := HeapAndStacks()
	for i := range n {
		g, err := newGame()
		if err != nil {
			return 0, err
		}
		s, err := realtime.NewSession(fmt.Sprintf("race-%d", i), cfg, g)
		if err != nil {
			return 0, err
		}
		sessions = append(sessions, s)
		go s.Run(ctx)
	}
	// Count each loop once it has run (a sleeping one has parked, a ticking
	// one has ticked): its stack has grown to what it keeps.
	for _, s := range sessions {
		for !s.Parked() && s.Beats() == 0 {
			time.Sleep(time.Millisecond)
		}
	}
	return float64(HeapAndStacks()-before) / float64(n), nil
}

// HeapAndStacks is the live heap and the goroutine stacks in use, in bytes,
// after two collections: what a benchmark of memory held compares.
func HeapAndStacks() uint64 {
	var m runtime.MemStats
	for range 2 {
		runtime.GC()
	}
	runtime.ReadMemStats(&m)
	return m.HeapAlloc + m.StackInuse
}
