package race

import (
	"errors"
	"fmt"
	"time"

	"github.com/leapfrog-games/leapfrog/gameserver/realtime/match"
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
	// Rules are the match's: Seats is how many frogs race, Timeout ends a
	// race still running with no winner, and IdleTimeout one in which no
	// player started a hop for that long (two connected players who never
	// hop would otherwise hold a place of their server for the Timeout).
	match.Rules
}

// DefaultRules returns the original sample's constants: hop 0.2 of the
// track in 4 s, +0.1 s per press during a hop, finish at 1.0, two players.
func DefaultRules() Rules {
	return Rules{HopDistance: 0.2, HopDuration: 4 * time.Second, HopPenalty: 100 * time.Millisecond, FinishLine: 1.0,
		Rules: match.Rules{Seats: 2, Countdown: 3 * time.Second, ReconnectGrace: 10 * time.Second,
			LobbyTimeout: 3 * time.Minute, Timeout: 10 * time.Minute, IdleTimeout: 30 * time.Second}}
}

// Validate reports rules that cannot make a race.
func (r Rules) Validate() error {
	var errs []error
	if r.HopDistance <= 0 || r.FinishLine <= 0 || r.HopDistance > r.FinishLine {
		errs = append(errs, fmt.Errorf("hop distance %v and finish line %v must be positive, with the hop no longer than the track", r.HopDistance, r.FinishLine))
	}
	if r.HopDuration <= 0 || r.HopPenalty < 0 || r.Seats > 8 {
		errs = append(errs, fmt.Errorf("hop duration %v must be positive, the penalty %v not negative, and players %d at most 8", r.HopDuration, r.HopPenalty, r.Seats))
	}
	if r.LobbyTimeout <= 0 || r.Timeout <= 0 || (r.IdleTimeout > 0 && r.IdleTimeout <= r.HopDuration) {
		// A player presses again only after landing: an idle timeout within
		// one hop would end races that are being played.
		errs = append(errs, fmt.Errorf("lobby timeout %v and race timeout %v must be positive, idle timeout %v 0 (off) or longer than a hop", r.LobbyTimeout, r.Timeout, r.IdleTimeout))
	}
	return errors.Join(append(errs, r.Rules.Validate())...)
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

// position is where a frog is after hops hops (0 before the first).
func (r Rules) position(hops int) float64 {
	if hops >= r.hopsToFinish() {
		return r.FinishLine
	}
	return float64(max(hops, 0)) * r.HopDistance
}
