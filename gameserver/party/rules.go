package party

import (
	"errors"
	"fmt"
	"time"

	"github.com/leapfrog-games/leapfrog/gameserver/realtime/match"
)

// Rules are a Fly Snatch match's constants.
type Rules struct {
	// Players is how many frogs play, 3 to 8.
	Players int
	// Rounds is how many flies the match has.
	Rounds int
	// MinWait and MaxWait bound the random wait from a round's start to its fly.
	MinWait, MaxWait time.Duration
	// FlyTime is how long a fly stays; then the round ends with no catch.
	FlyTime time.Duration
	// Pause is the time between a round's end and the next one.
	Pause time.Duration
	// Countdown, ReconnectGrace and LobbyTimeout are the match's (see match.Rules).
	Countdown, ReconnectGrace, LobbyTimeout time.Duration
}

// DefaultRules are four frogs, five flies.
func DefaultRules() Rules {
	return Rules{Players: 4, Rounds: 5, MinWait: time.Second, MaxWait: 3 * time.Second, FlyTime: 2 * time.Second,
		Pause: time.Second, Countdown: 3 * time.Second, ReconnectGrace: 10 * time.Second, LobbyTimeout: 3 * time.Minute}
}

// Validate reports rules that cannot make a match.
func (r Rules) Validate() error {
	var errs []error
	if r.Players < 3 || r.Players > 8 || r.Rounds < 1 {
		errs = append(errs, fmt.Errorf("players %d must be 3 to 8 and rounds %d at least 1", r.Players, r.Rounds))
	}
	if r.MinWait < 0 || r.MaxWait < r.MinWait || r.FlyTime <= 0 || r.Pause < 0 {
		errs = append(errs, errors.New("waits must be 0 <= min <= max, the fly time positive and the pause not negative"))
	}
	return errors.Join(append(errs, r.match().Validate())...)
}

func (r Rules) match() match.Rules {
	return match.Rules{Seats: r.Players, Countdown: r.Countdown, ReconnectGrace: r.ReconnectGrace,
		LobbyTimeout: r.LobbyTimeout, ReadyOnJoin: true}
}
