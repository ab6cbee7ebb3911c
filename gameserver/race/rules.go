package race

import (
	"errors"
	"fmt"
	"time"
)

// Rules are a race's constants. DefaultRules are the original game's.
type Rules struct {
	// HopDistance is how far one hop moves a frog, as a fraction of the track.
	HopDistance float64
	// HopDuration is how long a hop takes.
	HopDuration time.Duration
	// HopPenalty is added to the current hop each time its player presses hop
	// again before landing; penalties accumulate.
	HopPenalty time.Duration
	// FinishLine is the track position that wins.
	FinishLine float64
	// Players is how many frogs race.
	Players int
	// Countdown is the time between both players being ready and the start.
	Countdown time.Duration
	// ReconnectGrace is how long a player who dropped mid-race has to come
	// back before the other player wins by forfeit.
	ReconnectGrace time.Duration
	// LobbyTimeout ends a race whose countdown has not started this long
	// after its session began (a lobby never waits forever).
	LobbyTimeout time.Duration
	// RaceTimeout ends a race still running this long after its start,
	// with no winner.
	RaceTimeout time.Duration
	// IdleTimeout ends a started race in which no player has started a hop
	// for this long (counted from the start, then from the last hop), with
	// no winner: two connected players who never hop would otherwise hold
	// the race, and a place of their server, for the whole RaceTimeout.
	// 0 turns it off.
	IdleTimeout time.Duration
}

// DefaultRules returns the original sample's constants: hop 0.2 of the
// track in 4 s, +0.1 s per press during a hop, finish at 1.0, two players.
func DefaultRules() Rules {
	return Rules{
		HopDistance:    0.2,
		HopDuration:    4 * time.Second,
		HopPenalty:     100 * time.Millisecond,
		FinishLine:     1.0,
		Players:        2,
		Countdown:      3 * time.Second,
		ReconnectGrace: 10 * time.Second,
		LobbyTimeout:   3 * time.Minute,
		RaceTimeout:    10 * time.Minute,
		IdleTimeout:    30 * time.Second,
	}
}

// Validate reports rules that cannot make a race.
func (r Rules) Validate() error {
	var errs []error
	if r.HopDistance <= 0 || r.FinishLine <= 0 || r.HopDistance > r.FinishLine {
		errs = append(errs, fmt.Errorf("hop distance %v and finish line %v must be positive, with the hop no longer than the track", r.HopDistance, r.FinishLine))
	}
	if r.HopDuration <= 0 || r.HopPenalty < 0 || r.Countdown < 0 || r.ReconnectGrace < 0 {
		errs = append(errs, errors.New("hop duration must be positive; penalty, countdown and reconnect grace must not be negative"))
	}
	if r.LobbyTimeout <= 0 || r.RaceTimeout <= 0 {
		errs = append(errs, fmt.Errorf("lobby timeout %v and race timeout %v must be positive", r.LobbyTimeout, r.RaceTimeout))
	}
	if r.IdleTimeout < 0 || (r.IdleTimeout > 0 && r.IdleTimeout <= r.HopDuration) {
		// A player presses again only after landing: a timeout within one
		// hop would end races that are being played.
		errs = append(errs, fmt.Errorf("idle timeout %v must be 0 (off) or longer than the hop duration %v", r.IdleTimeout, r.HopDuration))
	}
	if r.Players < 1 || r.Players > 8 {
		errs = append(errs, fmt.Errorf("players %d must be between 1 and 8", r.Players))
	}
	return errors.Join(errs...)
}

// hopsToFinish is how many hops cross the line; positions are computed from
// hop counts, never by adding floats, so 5 × 0.2 lands exactly on 1.0.
func (r Rules) hopsToFinish() int {
	n := int(r.FinishLine / r.HopDistance)
	if float64(n)*r.HopDistance < r.FinishLine-1e-9 {
		n++
	}
	return n
}

func (r Rules) position(hops int) float64 {
	if hops >= r.hopsToFinish() {
		return r.FinishLine
	}
	return float64(hops) * r.HopDistance
}
