package agones

import (
	"time"

	"github.com/leapfrog-games/leapfrog/contract/token"
	"github.com/leapfrog-games/leapfrog/internal/allocator/placement"
)

// pairingEngine is the placement engine of a replica in the pairing tests,
// configured as the allocator configures it (allocator/app).
func pairingEngine(id string, sessionTTL time.Duration) (*placement.Engine, error) {
	return placement.New(placement.Config{SeatsPerMatch: 2, Pending: time.Minute, StartLeeway: token.ClockSkewLeeway,
		SeatHold: token.AcceptedFor(sessionTTL), ShowGrace: placement.DefaultShowGrace, MatchPrefix: MatchPrefix(id)})
}
