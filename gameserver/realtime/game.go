package realtime

import (
	"errors"
	"time"
)

// Reserved identifiers (see realtime.proto).
const (
	// ServerPeerID is the sender of messages that come from the server.
	ServerPeerID int32 = -1
	// NoGroup is the zero group id; game groups are 1 and up.
	NoGroup int32 = 0
)

// Game is the game logic a session runs. Every method is called on the
// session's own goroutine, one at a time, so a game needs no locks; none may
// block. The *Session passed in is valid only for the session's life.
type Game interface {
	// OnStart is called once, before any player connects.
	OnStart(s *Session)
	// OnPlayerConnect may reject a new player with an error, whose text is
	// sent to the client. Reconnections of a known player skip it.
	OnPlayerConnect(s *Session, p *Player) error
	// OnPlayerAccepted is called when a player joined, and again each time it
	// reconnects (p.Reconnects() > 0).
	OnPlayerAccepted(s *Session, p *Player)
	// OnPlayerDisconnect is called when a player's connection is gone. The
	// player keeps its place (and may reconnect) until the game calls
	// s.RemovePlayer.
	OnPlayerDisconnect(s *Session, p *Player)
	// OnMessage handles a game message from a player. Returning
	// ErrUnknownOpCode (or an error wrapping it) answers the sender with a
	// typed error frame; the connection stays open.
	OnMessage(s *Session, p *Player, m Message) error
	// OnTick is called at the session's tick rate, or, for a Sleeper, when
	// it asks for it.
	OnTick(s *Session, now time.Time)
	// OnEnd is called once when the session ends, before connections close.
	OnEnd(s *Session)
}

// Sleeper is a Game that says when it next needs OnTick, so that its
// session sleeps while nothing happens instead of waking at the tick rate.
// A high-density server runs thousands of sessions, most of them waiting
// for a player: their fixed ticks alone would cost it a core. The session
// still wakes for its own timers (After), no-show deadlines and the empty
// timeout, and OnTick then runs as usual.
type Sleeper interface {
	// NextTick is called after every event and tick with the session's
	// time; it returns when OnTick is next wanted, or the zero time for
	// "not until a player does something". A time not after now means at once.
	NextTick(s *Session, now time.Time) time.Time
}

// Message is a game message received from a player.
type Message struct {
	OpCode      int32
	Sender      int32
	TargetPeer  int32
	TargetGroup int32
	Payload     []byte
	// Fast is set when the sender did not ask for reliable delivery (a
	// GameLift Realtime client's fast message); relaying keeps it.
	Fast bool
	// Received is when the server read the frame.
	Received time.Time
}

// ErrUnknownOpCode is returned by Game.OnMessage for op codes it does not handle.
var ErrUnknownOpCode = errors.New("unknown op code")

// ErrGameFailed is wrapped by a Game.OnPlayerConnect error when the game
// itself failed deciding (a script threw), as opposed to refusing the
// player: the player gets Error CODE_INTERNAL and close 1011, as for a
// crash, not CODE_REJECTED, so that its client retries elsewhere instead
// of showing "rejected" to the player.
var ErrGameFailed = errors.New("the game failed")
