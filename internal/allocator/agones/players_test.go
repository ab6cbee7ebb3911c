package agones

import (
	"testing"

	"github.com/leapfrog-games/leapfrog/contract/agonesv1"
	"github.com/leapfrog-games/leapfrog/contract/agoneswire"
	"github.com/leapfrog-games/leapfrog/internal/allocator/backend"
	"github.com/leapfrog-games/leapfrog/internal/testwait"
)

// TestPlayersFollowsTheMatch: a place on a one-race server is held while
// its player is in the players list of the Allocated, open server; not
// once the player is taken off (a no-show), the server is closed (the
// match is over) or it leaves Allocated.
func TestPlayersFollowsTheMatch(t *testing.T) {
	fc := newFakeCluster(t, "race", 1, 1)
	p := NewPlayers()
	if err := p.Watch(t.Context(), fc.informer(t.Context())); err != nil {
		t.Fatal(err)
	}
	a := backend.Assignment{GameServer: "race-0"}
	setPlayers := func(state agoneswire.GameServerState, players ...string) {
		fc.edit("race-0", func(gs *agonesv1.GameServer) {
			gs.Status.State = state
			if gs.Status.Lists == nil {
				gs.Status.Lists = map[string]agonesv1.ListStatus{}
			}
			gs.Status.Lists[agoneswire.PlayersList] = agonesv1.ListStatus{Capacity: 2, Values: players}
		})
	}
	setPlayers(agoneswire.StateAllocated, "p1", "p2")
	testwait.Eventually(t, "p1 held", func() bool { return p.Holding("p1", a) && p.Holding("p2", a) })
	if p.Holding("p3", a) || p.Holding("p1", backend.Assignment{GameServer: "race-9"}) {
		t.Fatal("a player not in the list holds a place")
	}
	setPlayers(agoneswire.StateAllocated, "p2") // p1 was a no-show
	testwait.Eventually(t, "p1 released", func() bool { return !p.Holding("p1", a) && p.Holding("p2", a) })
	fc.edit("race-0", func(gs *agonesv1.GameServer) {
		if gs.Labels == nil {
			gs.Labels = map[string]string{}
		}
		gs.Labels[agoneswire.ClosedLabel] = agoneswire.ClosedValue
	})
	testwait.Eventually(t, "the closed match released", func() bool { return !p.Holding("p2", a) })
	fc.edit("race-0", func(gs *agonesv1.GameServer) { delete(gs.Labels, agoneswire.ClosedLabel) })
	testwait.Eventually(t, "held again while open", func() bool { return p.Holding("p2", a) })
	setPlayers(agoneswire.StateReady, "p2")
	testwait.Eventually(t, "back in the pool: released", func() bool { return !p.Holding("p2", a) })
}
