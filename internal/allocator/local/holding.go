package local

import (
	"github.com/leapfrog-games/leapfrog/contract/agoneswire"
	"github.com/leapfrog-games/leapfrog/gameserver/agonessdk"
	"github.com/leapfrog-games/leapfrog/internal/allocator/backend"
)

// Holding reports whether player still holds the place a gave it: on a
// high-density server, its placement in a's match; on a one-race server,
// its name in the players list of the Allocated server while the match is
// not over (api.PlaceTracker).
func (f *Fleet) Holding(player string, a backend.Assignment) bool {
	if f.highDensity != nil {
		return f.highDensity.Holding(player, a.GameServer, a.Match)
	}
	f.mu.Lock()
	s := f.servers[a.GameServer]
	f.mu.Unlock()
	if s == nil {
		return false
	}
	holding := false
	s.sdk.Peek(func(gs *agonessdk.GameServer) {
		holding = gs.Status.State == agoneswire.StateAllocated &&
			gs.ObjectMeta.Labels[agoneswire.ClosedLabel] != agoneswire.ClosedValue &&
			gs.Status.Lists[agoneswire.PlayersList].Contains(player)
	})
	return holding
}
