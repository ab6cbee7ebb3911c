package agones

import (
	"context"

	"github.com/leapfrog-games/leapfrog/contract/agonesv1"
	"github.com/leapfrog-games/leapfrog/contract/agoneswire"
	"github.com/leapfrog-games/leapfrog/internal/allocator/placement"
)

// observeForeign feeds the engine the matches waiting for players on a
// GameServer this replica does not lease (docs/high-density.md, "Pairing
// across replicas"): a lone player here is seated next to a lone player
// another replica placed, and the game server seats whoever comes first.
// Only an Allocated, open server of another lessee counts; anything else
// forgets it. Called with l.mu held; the engine has its own lock.
func (l *Leaser) observeForeign(ctx context.Context, gs *agonesv1.GameServer) {
	gone := placement.Server{Name: gs.Name}
	lessee := gs.Labels[agoneswire.LesseeLabel]
	if gs.DeletionTimestamp != nil || gs.Status.State != agoneswire.StateAllocated || lessee == "" ||
		lessee == l.cfg.ReplicaID || gs.Labels[agoneswire.ClosedLabel] == agoneswire.ClosedValue {
		l.engine.Foreign(gone, nil)
		return
	}
	value := gs.Annotations[agoneswire.LobbiesAnnotation]
	if value == "" {
		l.engine.Foreign(gone, nil)
		return
	}
	lobbies, err := agoneswire.DecodeLobbies(value)
	if err != nil {
		l.logger.DebugContext(ctx, "unreadable report of matches waiting for players on another replica's server: ignored", "gameserver", gs.Name, "err", err)
		l.engine.Foreign(gone, nil)
		return
	}
	server, _, err := l.server(gs.Name, gs.Status.Address, gs.Status.Ports, gs.Status.Lists)
	if err != nil {
		l.engine.Foreign(gone, nil)
		return
	}
	l.engine.Foreign(server, lobbies)
}
