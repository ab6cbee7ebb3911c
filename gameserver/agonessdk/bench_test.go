package agonessdk_test

import (
	"context"
	"testing"

	"github.com/leapfrog-games/leapfrog/contract/agoneswire"
	"github.com/leapfrog-games/leapfrog/gameserver/agonessdk"
	"github.com/leapfrog-games/leapfrog/gameserver/agonessdk/sdktest"
)

// BenchmarkClientHealth is one health ping through the REST client to the
// fake sidecar on loopback.
func BenchmarkClientHealth(b *testing.B) {
	srv, _ := sdktest.Start(b, agonessdk.MemoryConfig{Name: "bench"})
	c, err := agonessdk.NewClient(srv.URL)
	if err != nil {
		b.Fatal(err)
	}
	ctx := b.Context()
	for b.Loop() {
		if err := c.Health(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMemoryListChurnWithWatchers is one add and one remove on a Memory
// that 8 watchers follow.
func BenchmarkMemoryListChurnWithWatchers(b *testing.B) {
	m := agonessdk.NewMemory(agonessdk.MemoryConfig{
		Name:  "bench",
		Lists: map[string]agonessdk.List{agoneswire.PlayersList: {Capacity: 2}},
	})
	ctx, cancel := context.WithCancel(b.Context())
	defer cancel()
	for range 8 {
		go func() { _ = m.WatchGameServer(ctx, func(*agonessdk.GameServer) {}) }()
	}
	for b.Loop() {
		if err := m.AddListValue(ctx, agoneswire.PlayersList, "p1"); err != nil {
			b.Fatal(err)
		}
		if err := m.RemoveListValue(ctx, agoneswire.PlayersList, "p1"); err != nil {
			b.Fatal(err)
		}
	}
}
