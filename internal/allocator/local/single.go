package local

import (
	"fmt"

	"github.com/leapfrog-games/leapfrog/contract/agoneswire"
	"github.com/leapfrog-games/leapfrog/gameserver/agonessdk"
	"github.com/leapfrog-games/leapfrog/internal/allocator/backend"
)

// allocateSingle places the players on one server, as a GameServerAllocation with
// the Leapfrog selectors would: the player's own reservation first, then an
// Allocated server with room (the fullest first, so waiting players meet),
// then a Ready one. Servers whose match is over (agoneswire.ClosedLabel) take
// nobody. It is one pass over the servers without copying them.
func (f *Fleet) allocateSingle(req backend.AllocationRequest) (backend.Assignment, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return backend.Assignment{}, fmt.Errorf("allocate: %w: the fleet is stopping", backend.ErrNoCapacity)
	}
	seats := len(req.PlayerIDs)
	var own, joinable, ready *server
	joinableFree, ownMissing := 0, 0
	for _, s := range f.order {
		s.sdk.Peek(func(gs *agonessdk.GameServer) {
			if gs.ObjectMeta.Labels[agoneswire.ClosedLabel] == agoneswire.ClosedValue {
				return
			}
			players := gs.Status.Lists[agoneswire.PlayersList]
			n := free(players)
			switch gs.Status.State {
			case agoneswire.StateAllocated:
				if players.Contains(req.PlayerIDs[0]) {
					own, ownMissing = s, missing(players, req.PlayerIDs)
					if ownMissing > n {
						own = nil
						ownMissing = -1
					}
				} else if n >= seats && (joinable == nil || n < joinableFree) {
					joinable, joinableFree = s, n
				}
			case agoneswire.StateReady:
				if n >= seats && ready == nil {
					ready = s
				}
			}
		})
		if ownMissing < 0 {
			return backend.Assignment{}, fmt.Errorf("allocate %d seats on %s: %w", seats, s.name, backend.ErrSeatsTaken)
		}
		if own != nil {
			if ownMissing == 0 {
				return f.assignment(own, true), nil
			}
			// The player asks for more seats than it holds: the others join
			// its own server, which has room for them.
			joinable, ready = own, nil
			break
		}
	}
	// Only this goroutine allocates, under f.mu, and a game server only ever
	// frees places: the server chosen above still has room.
	for i, s := range []*server{joinable, ready} {
		if s == nil {
			continue
		}
		gs, err := s.sdk.ClusterAllocate(req.PlayerIDs)
		if err != nil {
			f.log.Warn("allocate on server", "server", s.name, "err", err)
			continue
		}
		if n := missing(gs.Status.Lists[agoneswire.PlayersList], req.PlayerIDs); n > 0 {
			// Not reachable while only this goroutine allocates; checked so
			// that no token is ever minted for a place that was not taken.
			return backend.Assignment{}, fmt.Errorf("allocate on %s: %d of %d players not in the list: %w", s.name, n, seats, backend.ErrNoCapacity)
		}
		f.wake()
		return f.assignment(s, i == 0), nil
	}
	f.wake() // scale up if the maximum allows
	return backend.Assignment{}, fmt.Errorf("allocate %d players: %w", seats, backend.ErrNoCapacity)
}

// missing counts the players that are not in the list.
func missing(l agonessdk.List, playerIDs []string) int {
	n := 0
	for _, id := range playerIDs {
		if !l.Contains(id) {
			n++
		}
	}
	return n
}

func free(l agonessdk.List) int { return int(l.Capacity) - len(l.Values) }

func (f *Fleet) assignment(s *server, joined bool) backend.Assignment {
	return backend.Assignment{GameServer: s.name, Address: f.cfg.Host, Port: s.port, Joined: joined}
}

// scaleSingle starts servers until the Ready buffer and the minimum are
// met, within the maximum (Agones' Buffer policy).
func (f *Fleet) scaleSingle() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil
	}
	ready, total := 0, len(f.servers)
	for _, s := range f.order {
		if st := s.state(); st != agoneswire.StateAllocated && st != agoneswire.StateShutdown && st != agoneswire.StateUnhealthy {
			ready++ // Scheduled and RequestReady count: they are on their way
		}
	}
	want := max(f.cfg.BufferSize-ready, f.cfg.MinReplicas-total, 0)
	want = min(want, f.cfg.MaxReplicas-total)
	for range want {
		if err := f.startServer(); err != nil {
			return err
		}
	}
	return nil
}
