// Package closecode is the WebSocket close codes of Leapfrog's realtime
// protocol: what a game server or the edge sends after a fatal error frame,
// and what clients act on (4004 means "ask the allocator again"). Declared
// once for the game server, the edge and the Go client; the browser
// client's copy is generated from Codes.
package closecode

import (
	"maps"
	"slices"

	"github.com/gorilla/websocket"

	realtimev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/realtime/v1"
)

// Code is a WebSocket close code.
type Code int

// The close codes. 1xxx are the WebSocket standard's; 4xxx are Leapfrog's.
const (
	Normal         Code = websocket.CloseNormalClosure     // 1000: the session ended
	GoingAway      Code = websocket.CloseGoingAway         // 1001: the server is shutting down
	MessageTooBig  Code = websocket.CloseMessageTooBig     // 1009: an oversized frame or payload
	Internal       Code = websocket.CloseInternalServerErr // 1011: the game crashed or its loop stopped
	ServiceRestart Code = websocket.CloseServiceRestart    // 1012: the edge is restarting
	BadToken       Code = 4001                             // the player session token is not valid
	ExpiredToken   Code = 4002                             // the player session token expired
	WrongServer    Code = 4003                             // the token names another game server
	SessionFull    Code = 4004                             // the seat is taken: ask the allocator again
	MalformedFrame Code = 4006                             // a frame that does not decode
	// HandshakeTimeout: no Hello in time, or a silent connection's handshake
	// slot went to a newcomer.
	HandshakeTimeout Code = 4008
	Rejected         Code = 4009 // the game refused the player, or the game on this server is over
	SlowConsumer     Code = 4010 // the client did not read fast enough
	Replaced         Code = 4011 // the same player connected again elsewhere
	RateLimited      Code = 4012 // the client sent more than its input budget
	TokenUsed        Code = 4013 // the token was already used by another connection
)

// names are the codes' names in generated clients (camelCase).
var names = map[Code]string{
	Normal: "normal", GoingAway: "goingAway", MessageTooBig: "messageTooBig", Internal: "internal",
	ServiceRestart: "serviceRestart", BadToken: "badToken", ExpiredToken: "expiredToken",
	WrongServer: "wrongServer", SessionFull: "sessionFull", MalformedFrame: "malformedFrame", HandshakeTimeout: "handshakeTimeout", Rejected: "rejected",
	SlowConsumer: "slowConsumer", Replaced: "replaced", RateLimited: "rateLimited", TokenUsed: "tokenUsed",
}

// Codes lists every close code in ascending order.
func Codes() []Code { return slices.Sorted(maps.Keys(names)) }

// String is the code's name, as generated clients spell it.
func (c Code) String() string {
	if n, ok := names[c]; ok {
		return n
	}
	return "unknown"
}

// For maps an error frame's code to the close code that follows it, or 0
// when the error is not fatal to the connection.
func For(c realtimev1.Error_Code) Code {
	switch c {
	case realtimev1.Error_CODE_BAD_TOKEN:
		return BadToken
	case realtimev1.Error_CODE_EXPIRED_TOKEN:
		return ExpiredToken
	case realtimev1.Error_CODE_WRONG_SERVER:
		return WrongServer
	case realtimev1.Error_CODE_SESSION_FULL:
		return SessionFull
	case realtimev1.Error_CODE_MALFORMED_FRAME:
		return MalformedFrame
	case realtimev1.Error_CODE_OVERSIZED_FRAME:
		return MessageTooBig
	case realtimev1.Error_CODE_SHUTTING_DOWN:
		return GoingAway
	case realtimev1.Error_CODE_HANDSHAKE_TIMEOUT:
		return HandshakeTimeout
	case realtimev1.Error_CODE_REJECTED:
		return Rejected
	case realtimev1.Error_CODE_SLOW_CONSUMER:
		return SlowConsumer
	case realtimev1.Error_CODE_REPLACED:
		return Replaced
	case realtimev1.Error_CODE_SESSION_ENDED:
		return Normal
	case realtimev1.Error_CODE_RATE_LIMITED:
		return RateLimited
	case realtimev1.Error_CODE_TOKEN_USED:
		return TokenUsed
	case realtimev1.Error_CODE_INTERNAL:
		return Internal
	default:
		return 0
	}
}
