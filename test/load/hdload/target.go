package hdload

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"
)

// Target is a server under load as its players see it: where they connect,
// what they send, and what its frames mean. The race server and the relay
// are the two; the driver plays both the same way.
type Target interface {
	// Name names the target in the summary ("race" or "relay").
	Name() string
	// URL is the WebSocket URL players dial.
	URL() string
	// Hello is the first frame of player (0 or 1) of race.
	Hello(race string, player int) ([]byte, error)
	// SceneReady is what each player sends once it has joined; nil when the
	// target needs nothing (the relay).
	SceneReady() []byte
	// AppendHop appends the frame of lane's hop number seq (from 1) to dst.
	AppendHop(dst []byte, lane int, seq int64) []byte
	// Parse tells what one frame from the server means.
	Parse(b []byte) (Event, error)
	// AnnouncesStart is true when the server tells the start time
	// (EventStart); otherwise the driver waits the countdown itself.
	AnnouncesStart() bool
	// EndsRaces is true when the server ends a race once a frog has hopped
	// HopsPerRace times (EventOver); otherwise the driver ends it.
	EndsRaces() bool
	// PID is the server's process, for its memory and CPU; SidecarPID the
	// process of its Agones SDK sidecar, or 0.
	PID() int
	SidecarPID() int
	// Check reports an error once the server has stopped on its own.
	Check() error
	// Close stops the server (and what it needs) and waits for it.
	Close() error
}

// EventKind is what a server frame means to the driver.
type EventKind int

// Event kinds.
const (
	EventNone    EventKind = iota // nothing the driver acts on
	EventJoined                   // the player is in the race, in Lane
	EventStart                    // the race starts At
	EventHop                      // Lane's hop number Seq reached this player
	EventOver                     // the race is over
	EventRefused                  // the server refused something: Text says what
)

// Event is one server frame's meaning.
type Event struct {
	Kind EventKind
	Lane int
	Seq  int64
	At   time.Time
	Text string
}

// RelayTarget is a Relay serving in its own process.
type RelayTarget struct {
	proc   *process
	url    string
	fanOut bool
}

// HopFrameBytes is the size of a relay hop frame: lane, sequence number and
// padding, about what a hop costs on the race server's wire (a hop frame in,
// a FrogMoved of 40 to 60 bytes out).
const HopFrameBytes = 48

// StartRelay starts `self serve-relay` (self is this tool's executable) on a
// free loopback port and waits until it listens; fanOut above 0 is its
// Relay.FanOut.
func StartRelay(ctx context.Context, self string, fanOut time.Duration) (*RelayTarget, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	p, err := startProcess("relay", self, []string{"serve-relay", "-listen", addr, "-fan-out", fanOut.String()}, nil)
	if err != nil {
		return nil, err
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := waitHTTP(wctx, p, "http://"+addr+"/healthz"); err != nil {
		_ = p.stop(5 * time.Second)
		return nil, err
	}
	return &RelayTarget{proc: p, url: "ws://" + addr + "/ws", fanOut: fanOut > 0}, nil
}

// Name is "relay", or "fanout-relay".
func (t *RelayTarget) Name() string {
	if t.fanOut {
		return "fanout-relay"
	}
	return "relay"
}

// URL is the relay's /ws.
func (t *RelayTarget) URL() string { return t.url }

// Hello is the pair key: the race id.
func (t *RelayTarget) Hello(race string, _ int) ([]byte, error) {
	if len(race) == 0 || len(race) > maxPairKey {
		return nil, fmt.Errorf("race id %q: want 1 to %d bytes", race, maxPairKey)
	}
	return []byte(race), nil
}

// SceneReady is nil: a pair starts relaying at once.
func (t *RelayTarget) SceneReady() []byte { return nil }

// AppendHop appends lane, then seq, then padding.
func (t *RelayTarget) AppendHop(dst []byte, lane int, seq int64) []byte {
	dst = append(dst, byte(lane))
	dst = binary.BigEndian.AppendUint64(dst, uint64(seq))
	return append(dst, make([]byte, HopFrameBytes-9)...)
}

// Parse reads the paired notice, the relayed hops and a fan-out relay's
// landings.
func (t *RelayTarget) Parse(b []byte) (Event, error) {
	switch {
	case len(b) == 1 && b[0] == relayPaired:
		return Event{Kind: EventJoined, Lane: -1}, nil
	case len(b) == HopFrameBytes && b[0] < 2:
		return Event{Kind: EventHop, Lane: int(b[0]), Seq: int64(binary.BigEndian.Uint64(b[1:9]))}, nil
	case len(b) == HopFrameBytes && t.fanOut && b[0]-relayLanded < 2:
		return Event{}, nil
	}
	return Event{}, fmt.Errorf("relay frame of %d bytes is neither the paired notice nor a hop", len(b))
}

// AnnouncesStart is false: the driver waits the countdown.
func (t *RelayTarget) AnnouncesStart() bool { return false }

// EndsRaces is false: the driver ends a pair's race.
func (t *RelayTarget) EndsRaces() bool { return false }

// PID is the relay process.
func (t *RelayTarget) PID() int { return t.proc.pid() }

// SidecarPID is 0: the relay has none.
func (t *RelayTarget) SidecarPID() int { return 0 }

// Check reports the relay's exit.
func (t *RelayTarget) Check() error { return t.proc.exited() }

// Close stops the relay.
func (t *RelayTarget) Close() error { return t.proc.stop(10 * time.Second) }

var _ Target = (*RelayTarget)(nil)
