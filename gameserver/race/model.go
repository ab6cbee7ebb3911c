package race

import (
	"time"

	"github.com/leapfrog-games/leapfrog/gameserver/realtime/match"
)

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

// Model is the race's rules over time: the frogs and the result. Who holds
// the lanes, and when the race starts, is the match's (realtime/match). It
// is driven by explicit times, so tests need no clock; a session's
// goroutine owns it.
type Model struct {
	rules   Rules
	frogs   []Frog
	startAt time.Time // zero until the countdown
	result  Result    // no Reason until decided
}

// NewModel returns a race waiting for its start.
func NewModel(r Rules) *Model { return &Model{rules: r, frogs: make([]Frog, r.Seats)} }

// Start sets when hops begin to count.
func (m *Model) Start(startAt time.Time) { m.startAt = startAt }

// racing reports whether hops count at now.
func (m *Model) racing(now time.Time) bool {
	return !m.startAt.IsZero() && !now.Before(m.startAt) && m.result.Reason == ""
}

// Position is lane's position on the track at now, interpolated during a hop
// (what a client draws).
func (m *Model) Position(lane int, now time.Time) float64 {
	f := &m.frogs[lane]
	from, to := m.rules.position(f.Hops-1), m.rules.position(f.Hops)
	switch done, total := now.Sub(f.HopStart), f.HopEnd.Sub(f.HopStart); {
	case !f.Hopping || done >= total:
		return to
	case done <= 0:
		return from
	default:
		return from + (to-from)*float64(done)/float64(total)
	}
}

// Hop presses lane's hop key at now.
func (m *Model) Hop(lane int, now time.Time) HopOutcome {
	f := &m.frogs[lane]
	if !m.racing(now) {
		return Ignored
	}
	if f.Hopping && !now.Before(f.HopEnd) {
		// The hop is over though no tick has landed it yet: decide from the
		// time, not the tick. A finishing hop is left for Tick to rank.
		if f.Hops >= m.rules.hopsToFinish() {
			return Ignored
		}
		f.Hopping = false // the new hop's FrogMoved carries the landing
	}
	if f.Hopping {
		f.Penalty += m.rules.HopPenalty
		f.HopEnd = f.HopEnd.Add(m.rules.HopPenalty)
		f.Penalties++
		return Penalized
	}
	f.Hops++
	f.Hopping, f.HopStart, f.HopEnd, f.Penalty = true, now, now.Add(m.rules.HopDuration), 0
	return Started
}

// Tick lands the frogs whose hop is over at now, as a bit set of lanes
// (bit i for lane i), and reports whether one crossed the line and won.
// Frogs crossing in the same tick are ranked by their exact landing time; an
// exact tie goes to the frog with fewer penalties, then to the lower lane.
func (m *Model) Tick(now time.Time) (landed uint32, finished bool) {
	if !m.racing(now) {
		return 0, false
	}
	w := -1
	for i := range m.frogs {
		f := &m.frogs[i]
		if !f.Hopping || now.Before(f.HopEnd) {
			continue
		}
		f.Hopping = false
		landed |= 1 << i
		if f.Hops < m.rules.hopsToFinish() {
			continue
		}
		f.FinishedAt = f.HopEnd
		if w < 0 || f.FinishedAt.Before(m.frogs[w].FinishedAt) || f.FinishedAt.Equal(m.frogs[w].FinishedAt) && f.Penalties < m.frogs[w].Penalties {
			w = i
		}
	}
	if w < 0 {
		return landed, false
	}
	m.result = Result{Winner: w, Reason: match.Finished}
	for i, f := range m.frogs {
		m.result.TieBreak = m.result.TieBreak || i != w && f.FinishedAt.Equal(m.frogs[w].FinishedAt)
	}
	return landed, true
}

// Forfeit decides the race because lane's player is gone for good: the best
// placed other frog wins (the lowest lane, when positions are equal), or
// nobody if there is none. It reports false when the race was decided.
func (m *Model) Forfeit(lane int, now time.Time) bool {
	if m.result.Reason != "" {
		return false
	}
	m.result = Result{Winner: -1, Reason: match.Abandoned}
	for i := range m.frogs {
		if i != lane && (m.result.Winner < 0 || m.Position(i, now) > m.Position(m.result.Winner, now)) {
			m.result.Winner, m.result.Reason = i, match.Forfeit
		}
	}
	return true
}

// End decides a race the match ended otherwise (abandoned, idle) with no
// winner, unless it was decided.
func (m *Model) End(reason match.Outcome) {
	if m.result.Reason == "" {
		m.result = Result{Winner: -1, Reason: reason}
	}
}
