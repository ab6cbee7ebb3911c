package local

import (
	"errors"
	"fmt"
	"slices"

	"github.com/leapfrog-games/leapfrog/contract/agoneswire"
	"github.com/leapfrog-games/leapfrog/gameserver/agonessdk"
	"github.com/leapfrog-games/leapfrog/internal/allocator/backend"
	"github.com/leapfrog-games/leapfrog/internal/allocator/placement"
)

// Lessee is the lessee label the fleet puts on the high-density servers it
// leases, as an allocator replica does on Agones.
const Lessee = "local"

// allocateHighDensity places the players in a match on a high-density server
// through the placement engine: the player's own match, else the oldest match
// waiting for players, else a new match on the fullest server with room. No
// scan and no fleet lock: the cost does not grow with the fleet.
func (f *Fleet) allocateHighDensity(req backend.AllocationRequest) (backend.Assignment, error) {
	if f.stopping.Load() {
		return backend.Assignment{}, fmt.Errorf("allocate: %w: the fleet is stopping", backend.ErrNoCapacity)
	}
	p, err := f.highDensity.Place(req.PlayerIDs)
	if err != nil {
		if errors.Is(err, backend.ErrNoCapacity) {
			f.wake() // scale up if the maximum allows
		}
		return backend.Assignment{}, fmt.Errorf("allocate: %w", err)
	}
	if !p.Joined && f.highDensity.FreeMatches() < f.cfg.BufferSize {
		f.wake()
	}
	return backend.Assignment{GameServer: p.Server, Address: p.Address, Port: p.Port, Match: p.Match, Joined: p.Joined,
		MatchStartBy: p.StartBy, SeatedAt: p.SeatedAt}, nil
}

// observe feeds one state of a high-density server to the placement
// engine, from the server's watch: a Ready server is leased (Allocated, the
// lessee label set), an Allocated one reports its matches and whether it is
// closed (draining: no new match), and one shut down or unhealthy is gone.
func (f *Fleet) observe(s *server, gs *agonessdk.GameServer) {
	s.feed.Lock()
	defer s.feed.Unlock()
	if s.gone {
		return
	}
	switch gs.Status.State {
	case agoneswire.StateReady:
		leased, err := s.sdk.AllocateWith(agonessdk.Allocation{Labels: map[string]string{agoneswire.LesseeLabel: Lessee}})
		if err != nil {
			f.log.Warn("lease game server", "game_server", s.name, "err", err)
			return
		}
		f.report(s, leased)
	case agoneswire.StateAllocated:
		f.report(s, gs)
	case agoneswire.StateShutdown, agoneswire.StateUnhealthy:
		s.gone = true
		f.highDensity.Remove(s.name)
	}
}

// report gives the engine a leased server's matches. Called with s.feed held.
func (f *Fleet) report(s *server, gs *agonessdk.GameServer) {
	closed := gs.ObjectMeta.Labels[agoneswire.ClosedLabel] == agoneswire.ClosedValue
	if closed { // before the report, so that no match is placed in between
		f.highDensity.Suspend(s.name, true)
	}
	matches := gs.Status.Lists[agoneswire.MatchesList]
	f.highDensity.Upsert(placement.Server{Name: s.name, Address: f.cfg.Host, Port: s.port, Capacity: int(matches.Capacity)}, matches.Values)
	if lobbies, err := agoneswire.DecodeLobbies(gs.ObjectMeta.Annotations[agoneswire.LobbiesAnnotation]); err == nil {
		f.highDensity.Lobbies(s.name, lobbies) // the fleet's own game servers write it: always readable
	}
	f.highDensity.Suspend(s.name, closed)
}

// forget takes a server out of placement for good, before it is stopped.
func (f *Fleet) forget(s *server) {
	if f.highDensity == nil {
		return
	}
	s.feed.Lock()
	defer s.feed.Unlock()
	s.gone = true
	f.highDensity.Remove(s.name)
}

// scaleHighDensity keeps BufferSize free matches: it starts servers while the
// leased ones and those on their way hold fewer, within the maximum, and
// stops idle servers the buffer does not need, down to the minimum
// (Agones' List policy on the matches list).
func (f *Fleet) scaleHighDensity() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil
	}
	n, starting, total := f.cfg.MatchesPerServer, 0, len(f.servers)
	for _, s := range f.order {
		switch s.state() {
		case agoneswire.StateScheduled, agoneswire.StateRequestReady, agoneswire.StateReady:
			starting++ // not leased yet: its matches are on their way
		}
	}
	free := f.highDensity.FreeMatches() + starting*n
	want := max((f.cfg.BufferSize-free+n-1)/n, f.cfg.MinReplicas-total, 0)
	want = min(want, f.cfg.MaxReplicas-total)
	for range want {
		if err := f.startServer(); err != nil {
			return err
		}
	}
	if want == 0 && starting == 0 {
		f.release(free, total)
	}
	return nil
}

// release stops idle servers while the others keep the buffer and the
// fleet stays at its minimum or above. Called with f.mu held.
func (f *Fleet) release(free, total int) {
	n := f.cfg.MatchesPerServer
	for _, name := range f.highDensity.Idle() {
		s := f.servers[name]
		if s == nil {
			continue
		}
		if total <= f.cfg.MinReplicas || free-n < f.cfg.BufferSize {
			return
		}
		// Suspended, it takes no match; still idle then, it never will.
		f.highDensity.Suspend(name, true)
		if !slices.Contains(f.highDensity.Idle(), name) {
			f.highDensity.Suspend(name, false)
			continue
		}
		f.log.Info("game server not needed for the buffer: stopping it", "game_server", name, "free_races", free-n)
		f.forget(s)
		s.cancel()
		free, total = free-n, total-1
	}
}
