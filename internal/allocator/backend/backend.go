package backend

import (
	"context"
	"errors"
	"time"
)

// ErrNoCapacity means that no game server can take the players right now. It
// is an expected outcome, not a failure: the caller should retry after a
// while (the HTTP API answers 503 with Retry-After).
var ErrNoCapacity = errors.New("no game server has room")

// ErrSeatsTaken means the requesting player already holds a place with fewer
// seats than asked, and its game server has no room for the others. Minting
// tokens for seats that are not in the players list would only get them
// refused by the game server; the HTTP API answers 409.
var ErrSeatsTaken = errors.New("the player already holds a place with other seats")

// ErrTooManySeats means a request asked for more seats than a game has
// players (a device's seats must fit one match); the HTTP API answers 400.
var ErrTooManySeats = errors.New("more seats than a game has players")

// ErrUnavailable means the backend could not be reached (the Kubernetes API
// is down or overloaded). Like ErrNoCapacity it is temporary: the HTTP API
// answers 503 with Retry-After, never 500.
var ErrUnavailable = errors.New("game server backend unavailable")

// Backend places players on game servers.
//
// Allocate reserves one slot per entry of req.PlayerIDs on a single game
// server, preferring a server that already has players waiting over starting
// a new one. It is idempotent per player: while the reservation of
// req.PlayerIDs[0] is live, asking again returns the same game server and
// takes no second slot; seats missing from that reservation are added on the
// same server if it has room, and the call fails with ErrSeatsTaken if not. A
// returned assignment always has every player in its game server's players
// list. It returns an error wrapping ErrNoCapacity when no server has room
// and ErrUnavailable when the backend cannot be reached; any other error is
// unexpected. Allocate must be safe for
// concurrent use.
type Backend interface {
	Allocate(ctx context.Context, req AllocationRequest) (Assignment, error)
}

// AllocationRequest asks for one slot per player on the same game server.
type AllocationRequest struct {
	// PlayerIDs holds one id per seat; the first is the requesting player.
	PlayerIDs []string
}

// Assignment says where the players go.
type Assignment struct {
	// GameServer names the game server; player session tokens are bound to it.
	GameServer string
	// Address and Port are where clients connect (ws://Address:Port/ws).
	Address string
	Port    int32
	// Match names the match on a high-density game server (player session
	// tokens name it too); empty when the game server hosts one match.
	Match string
	// Joined is true when the players were placed on a game server that was
	// already allocated (a match waiting for players, or the player's own
	// earlier reservation), false when a fresh game server was allocated.
	Joined bool
	// MatchStartBy is the latest time the match may start on its server (the
	// players' tokens carry it: a match the backend forgot, or one that
	// ended, is never started by a late token); zero when the backend does
	// not bound it (one match per server).
	MatchStartBy time.Time
	// SeatedAt is when the backend (re)seated the players, from which it
	// may give a seat away once the seat's hold (the token lifetime plus the
	// game servers' clock leeway, and a second) has passed: tokens for the
	// seats must expire no later than SeatedAt plus their lifetime. Zero
	// when the backend never gives a seat away.
	SeatedAt time.Time
}
