package race

import (
	"errors"
	"fmt"
	"math"
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
	// Rules are the match's: Seats is how many frogs race, and a hop is
	// what the IdleTimeout counts.
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
func (r Rules) hopsToFinish() int { return int(math.Ceil(r.FinishLine/r.HopDistance - 1e-9)) }

// position is where a frog is after hops hops (0 before the first).
func (r Rules) position(hops int) float64 {
	if hops >= r.hopsToFinish() {
		return r.FinishLine
	}
	return float64(max(hops, 0)) * r.HopDistance
}

// Frog is one lane's frog.
type Frog struct {
	Hops             int       // hops started
	HopStart, HopEnd time.Time // HopEnd includes penalties
	Hopping          bool
	Penalty          time.Duration // added to the current hop
	Penalties        int           // presses during a hop, over the whole race
	FinishedAt       time.Time
}

// Result is a decided race: the winner's lane (-1 when nobody won), how it
// was decided, and whether another frog crossed the line at the same time.
type Result struct {
	Winner   int
	Reason   match.Outcome
	TieBreak bool
}

// HopOutcome is what a hop press did.
type HopOutcome int

// Hop outcomes.
const (
	Ignored   HopOutcome = iota // before the start, or the race is decided
	Started                     // a new hop
	Penalized                   // pressed during a hop: the hop got longer
)

// racing reports whether hops count at now. The rules take the time they
// apply at, so that tests need no clock; the match holds the start.
func (g *Game) racing(now time.Time) bool {
	return !g.StartAt().IsZero() && !now.Before(g.StartAt()) && g.result.Reason == ""
}

// position is lane's position on the track at now, interpolated during a
// hop (what a client draws).
func (g *Game) position(lane int, now time.Time) float64 {
	f := &g.frogs[lane]
	from, to := g.rules.position(f.Hops-1), g.rules.position(f.Hops)
	if done, total := now.Sub(f.HopStart), f.HopEnd.Sub(f.HopStart); f.Hopping && done < total {
		return from + (to-from)*float64(max(done, 0))/float64(total)
	}
	return to
}

// hop presses lane's hop key at now.
func (g *Game) hop(lane int, now time.Time) HopOutcome {
	f := &g.frogs[lane]
	switch {
	case !g.racing(now):
		return Ignored
	case f.Hopping && now.Before(f.HopEnd):
		f.Penalty += g.rules.HopPenalty
		f.HopEnd = f.HopEnd.Add(g.rules.HopPenalty)
		f.Penalties++
		return Penalized
	case f.Hopping && f.Hops >= g.rules.hopsToFinish():
		return Ignored // over, though no tick has landed it yet: land ranks a finish
	}
	// A hop over though no tick has landed it yet ends: decide from the
	// time, not the tick. The new hop's FrogMoved carries the landing.
	f.Hops++
	f.Hopping, f.HopStart, f.HopEnd, f.Penalty = true, now, now.Add(g.rules.HopDuration), 0
	return Started
}

// land lands the frogs whose hop is over at now, as a bit set of lanes
// (bit i for lane i), and reports whether one crossed the line and won.
// Frogs crossing in the same tick are ranked by their exact landing time; an
// exact tie goes to the frog with fewer penalties, then to the lower lane.
func (g *Game) land(now time.Time) (landed uint32, finished bool) {
	if !g.racing(now) {
		return 0, false
	}
	w := -1
	for i := range g.frogs {
		f := &g.frogs[i]
		if !f.Hopping || now.Before(f.HopEnd) {
			continue
		}
		f.Hopping = false
		landed |= 1 << i
		if f.Hops < g.rules.hopsToFinish() {
			continue
		}
		f.FinishedAt = f.HopEnd
		if w < 0 || f.FinishedAt.Before(g.frogs[w].FinishedAt) || f.FinishedAt.Equal(g.frogs[w].FinishedAt) && f.Penalties < g.frogs[w].Penalties {
			w = i
		}
	}
	if w < 0 {
		return landed, false
	}
	g.result = Result{Winner: w, Reason: match.Finished}
	for i, f := range g.frogs {
		g.result.TieBreak = g.result.TieBreak || i != w && f.FinishedAt.Equal(g.frogs[w].FinishedAt)
	}
	return landed, true
}
