package local

import (
	"testing"
	"time"

	"github.com/leapfrog-games/leapfrog/internal/allocator/api"
	"github.com/leapfrog-games/leapfrog/internal/gameserver/raceserver"
	"github.com/leapfrog-games/leapfrog/internal/testwait"
)

// The allocator counts a place against its client address while the
// fleet says it is held.
var _ api.PlaceTracker = (*Fleet)(nil)

// TestSingleServerPlaceHeldUntilTheMatchEnds: on a one-race server a place
// is held while its player is in the players list of the Allocated
// server, and no longer once the match is over (here: nobody came).
func TestSingleServerPlaceHeldUntilTheMatchEnds(t *testing.T) {
	f, _ := newFleet(t, 1, 2, func(g *raceserver.GameOptions) { g.WaitForPlayers = 300 * time.Millisecond })
	a := alloc(t, f, "p1")
	if !f.Holding("p1", a) {
		t.Fatal("a place just given is not held")
	}
	if f.Holding("someone-else", a) {
		t.Fatal("a player who was never placed holds a place")
	}
	testwait.Eventually(t, "the empty match to end", func() bool { return !f.Holding("p1", a) }, testwait.Within(20*time.Second))
}
