package local

import (
	"context"
	"fmt"
	"net"
	"strconv"

	"github.com/leapfrog-games/leapfrog/contract/agoneswire"
	"github.com/leapfrog-games/leapfrog/internal/edge"
)

var _ edge.Resolver = (*Fleet)(nil)

// Resolve finds an Allocated game server of the fleet by name, for the edge
// of local mode. Allocation is synchronous here, so there is nothing to wait for.
func (f *Fleet) Resolve(_ context.Context, gameServer string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.servers[gameServer]
	if s == nil {
		return "", fmt.Errorf("resolve %s: %w", gameServer, edge.ErrUnknownGameServer)
	}
	if st := s.state(); st != agoneswire.StateAllocated {
		return "", fmt.Errorf("resolve %s: state %s: %w", gameServer, st, edge.ErrUnknownGameServer)
	}
	return net.JoinHostPort(f.cfg.Host, strconv.Itoa(int(s.port))), nil
}
