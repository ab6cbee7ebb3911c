package client

import (
	"time"

	racev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/race/v1"
	realtimev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/realtime/v1"
)

// Event is something the race server sent, or the end of the connection.
// The concrete types are the ones below; switch on them.
type Event interface {
	// ReceivedAt is the local time the frame was read.
	ReceivedAt() time.Time
}

// Received is embedded in every event.
type Received struct {
	At time.Time
}

// ReceivedAt implements Event.
func (r Received) ReceivedAt() time.Time { return r.At }

// Realtime framework events.
type (
	// Welcome: the server accepted the player.
	Welcome struct {
		Received
		*realtimev1.Welcome
	}
	// ServerError: the server refused a frame or is about to close the
	// connection (then Closed follows).
	ServerError struct {
		Received
		*realtimev1.Error
	}
	// PeerEvent: another player came, left or is away.
	PeerEvent struct {
		Received
		*realtimev1.PeerEvent
	}
	// GroupMembership lists a group's peers.
	GroupMembership struct {
		Received
		*realtimev1.GroupMembership
	}
	// Pong answers Ping; RTT and Offset (server clock minus local clock) are
	// measured from it.
	Pong struct {
		Received
		RTT    time.Duration
		Offset time.Duration
	}
	// GameMessage is a game message with an op code this package does not
	// decode.
	GameMessage struct {
		Received
		*realtimev1.GameMessage
	}
	// Closed is the last event: the connection ended. Code is the WebSocket
	// close code (1006 when the connection broke without one), Err the read
	// error, Local true when Close was called.
	Closed struct {
		Received
		Code  int
		Text  string
		Err   error
		Local bool
	}
)

// Mega Frog Race events, decoded from game messages by op code. Sender is
// the peer that sent it (-1 for the server).
type (
	AssignPlayer struct {
		Received
		Sender int32
		*racev1.AssignPlayer
	}
	Countdown struct {
		Received
		Sender int32
		*racev1.Countdown
	}
	FrogMoved struct {
		Received
		Sender int32
		*racev1.FrogMoved
	}
	RaceResult struct {
		Received
		Sender int32
		*racev1.RaceResult
	}
	RaceSnapshot struct {
		Received
		Sender int32
		*racev1.RaceSnapshot
	}
	PlayerStatus struct {
		Received
		Sender int32
		*racev1.PlayerStatus
	}
)
