package matchapi

import "time"

// Paths of the API, relative to the allocator's base URL.
const (
	GuestPath = "/v1/guest"
	MatchPath = "/v1/match"
)

// MaxSeats is the most players one device may ask places for (living-room
// play: two players at one keyboard).
const MaxSeats = 2

// GuestRequest is the body of POST /v1/guest: empty, an object.
type GuestRequest struct{}

// Guest is a guest identity (201 Created to POST /v1/guest): it stands in
// for a Cognito unauthenticated identity. GuestToken is the bearer token of
// POST /v1/match.
type Guest struct {
	PlayerID   string    `json:"player_id"`
	GuestToken string    `json:"guest_token"`
	ExpiresAt  time.Time `json:"expires_at"`
}

// MatchRequest is the body of POST /v1/match.
type MatchRequest struct {
	// Seats is the number of players on this device; absent means one.
	Seats *int `json:"seats,omitempty"`
}

// Match is a place on a game server (200 OK to POST /v1/match): where to
// connect and the player session token to log in with, for each seat.
type Match struct {
	// GameServer names the game server (an Agones GameServer, or a server
	// of the local fleet).
	GameServer string `json:"game_server"`
	Address    string `json:"address"`
	Port       int32  `json:"port"`
	// WSURL is the WebSocket URL to open: the game server's, or the edge's
	// when one relays for the fleet.
	WSURL              string    `json:"ws_url"`
	PlayerID           string    `json:"player_id"`
	PlayerSessionToken string    `json:"player_session_token"`
	ExpiresAt          time.Time `json:"expires_at"`
	// Seats is set when more than one seat was asked for; the first is the
	// top-level player.
	Seats []Seat `json:"seats,omitempty"`
	GameLiftPlayerSession
}

// Seat is one player of a multi-seat match.
type Seat struct {
	PlayerID           string `json:"player_id"`
	PlayerSessionToken string `json:"player_session_token"`
}

// GameLiftPlayerSession is what GameLift's CreatePlayerSession gave a
// Realtime client, under the names its client code reads, so that code
// written for GameLift maps one to one (docs/migrating-from-gamelift.md).
// The port is the match's own "port"; a GameLift Realtime client connects
// to ws://<ipAddress or dnsName>:<port>/websocket.
type GameLiftPlayerSession struct {
	// IPAddress is the game server's address when it is an IP address.
	IPAddress string `json:"ipAddress,omitempty"`
	// DNSName is the game server's address when it is a host name.
	DNSName string `json:"dnsName,omitempty"`
	// PlayerSessionID is the player session token: the client logs in with it.
	PlayerSessionID string `json:"playerSessionId"`
	// GameSessionID names the game session as the game server does (its
	// Welcome.session_id and a script's getGameSessionId()): the match on a
	// high-density server (match ids are unique), else the game server's
	// name (one game session per allocation).
	GameSessionID string `json:"gameSessionId"`
}

// ErrorCode is the machine-readable kind of an error answer.
type ErrorCode string

// The error codes, each with the HTTP status it comes with.
const (
	CodeBadRequest       ErrorCode = "bad_request"        // 400
	CodeUnauthenticated  ErrorCode = "unauthenticated"    // 401
	CodeRateLimited      ErrorCode = "rate_limited"       // 429, with Retry-After
	CodeNoCapacity       ErrorCode = "no_capacity"        // 503, with Retry-After
	CodeUnavailable      ErrorCode = "unavailable"        // 503, with Retry-After
	CodeConflict         ErrorCode = "conflict"           // 409
	CodeNotFound         ErrorCode = "not_found"          // 404
	CodeMethodNotAllowed ErrorCode = "method_not_allowed" // 405
	CodeInternal         ErrorCode = "internal"           // 500
)

// ErrorCodes lists every error code, for generated clients and tests.
func ErrorCodes() []ErrorCode {
	return []ErrorCode{CodeBadRequest, CodeUnauthenticated, CodeRateLimited, CodeNoCapacity, CodeUnavailable,
		CodeConflict, CodeNotFound, CodeMethodNotAllowed, CodeInternal}
}

// ErrorAnswer is the body of every error answer.
type ErrorAnswer struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail says what went wrong: Code for programs, Message for people.
type ErrorDetail struct {
	Code    ErrorCode `json:"code"`
	Message string    `json:"message"`
}
