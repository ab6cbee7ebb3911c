package race

import "time"

// Phase is where a race is.
type Phase int

// Phases, in order.
const (
	Waiting Phase = iota + 1
	CountingDown
	Racing
	Finished
)

func (p Phase) String() string {
	switch p {
	case Waiting:
		return "waiting"
	case CountingDown:
		return "countdown"
	case Racing:
		return "racing"
	case Finished:
		return "finished"
	}
	return "unknown"
}

// Frog is one lane's frog.
type Frog struct {
	Lane     int
	Hops     int // hops started
	HopStart time.Time
	HopEnd   time.Time // includes penalties
	Hopping  bool
	// Penalty is the time added to the current hop.
	Penalty time.Duration
	// Penalties counts every press during a hop, over the whole race.
	Penalties  int
	FinishedAt time.Time
}

// Reason says how a race was decided.
type Reason int

// Reasons.
const (
	ByFinish Reason = iota + 1
	ByForfeit
	Abandoned
	// Idle: nobody hopped for the rules' IdleTimeout; nobody wins.
	Idle
)

// Result is a finished race.
type Result struct {
	Winner   int // lane; -1 when nobody won
	Reason   Reason
	TieBreak bool
	At       time.Time
}

// HopOutcome is what a hop press did.
type HopOutcome int

// Hop outcomes.
const (
	Ignored   HopOutcome = iota // not racing, or the frog has finished
	Started                     // a new hop
	Penalized                   // pressed during a hop: the hop got longer
)

// Model is the race's rules over time. It is driven by explicit times, so
// tests need no clock; it is not safe for concurrent use (a session's
// goroutine owns it).
type Model struct {
	rules   Rules
	phase   Phase
	frogs   []Frog
	startAt time.Time
	result  Result
}

// NewModel returns a race waiting for its players.
func NewModel(r Rules) *Model {
	m := &Model{rules: r, phase: Waiting, frogs: make([]Frog, r.Players)}
	for i := range m.frogs {
		m.frogs[i].Lane = i
	}
	return m
}

// Rules are the race's rules.
func (m *Model) Rules() Rules { return m.rules }

// Phase is the current phase.
func (m *Model) Phase() Phase { return m.phase }

// StartAt is when the race starts (zero before the countdown).
func (m *Model) StartAt() time.Time { return m.startAt }

// Frog returns lane's frog.
func (m *Model) Frog(lane int) Frog { return m.frogs[lane] }

// Lanes is the number of lanes.
func (m *Model) Lanes() int { return len(m.frogs) }

// Result is the result once Finished.
func (m *Model) Result() Result { return m.result }

// Position is lane's position on the track at now, interpolated during a hop
// (what a client draws).
func (m *Model) Position(lane int, now time.Time) float64 {
	f := &m.frogs[lane]
	from, to := m.rules.position(f.Hops-1), m.rules.position(f.Hops)
	if !f.Hopping {
		return m.rules.position(f.Hops)
	}
	if f.Hops == 0 {
		from = 0
	}
	total := f.HopEnd.Sub(f.HopStart)
	done := now.Sub(f.HopStart)
	if done <= 0 || total <= 0 {
		return from
	}
	if done >= total {
		return to
	}
	return from + (to-from)*float64(done)/float64(total)
}

// HopFrom and HopTo are where lane's current (or last) hop starts and ends.
func (m *Model) HopFrom(lane int) float64 {
	if h := m.frogs[lane].Hops; h > 0 {
		return m.rules.position(h - 1)
	}
	return 0
}

// HopTo is where lane's current (or last) hop ends.
func (m *Model) HopTo(lane int) float64 { return m.rules.position(m.frogs[lane].Hops) }

// Start begins the countdown: the race starts at startAt. Who holds the
// lanes and when everyone is ready is the match's (realtime/match).
func (m *Model) Start(startAt time.Time) {
	if m.phase == Waiting {
		m.phase, m.startAt = CountingDown, startAt
	}
}

// Hop presses lane's hop key at now.
func (m *Model) Hop(lane int, now time.Time) HopOutcome {
	f := &m.frogs[lane]
	if m.phase == CountingDown && !now.Before(m.startAt) {
		m.phase = Racing // a press right at the start must not wait for the tick
	}
	if m.phase != Racing || !f.FinishedAt.IsZero() || now.Before(m.startAt) {
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
	f.Hopping = true
	f.HopStart = now
	f.HopEnd = now.Add(m.rules.HopDuration)
	f.Penalty = 0
	return Started
}

// Tick advances the race to now. It returns a bit set of the lanes that
// landed (bit i for lane i) and whether the race finished. Frogs landing on
// the line in the same tick are ranked by their exact landing time; an exact
// tie goes to the frog with fewer penalties, then to the lower lane.
func (m *Model) Tick(now time.Time) (landed uint32, finished bool) {
	switch m.phase {
	case CountingDown:
		if !now.Before(m.startAt) {
			m.phase = Racing
		}
		return 0, false
	case Racing:
	default:
		return 0, false
	}
	winner, tie := -1, false
	for i := range m.frogs {
		f := &m.frogs[i]
		if !f.Hopping || now.Before(f.HopEnd) {
			continue
		}
		f.Hopping = false
		landed |= 1 << uint(i)
		if f.Hops < m.rules.hopsToFinish() {
			continue
		}
		f.FinishedAt = f.HopEnd
		if winner < 0 {
			winner = i
			continue
		}
		tie = true
		if beats(f, &m.frogs[winner]) {
			winner = i
		}
	}
	if winner >= 0 {
		m.finish(Result{Winner: winner, Reason: ByFinish, TieBreak: tie && m.frogs[winner].FinishedAt.Equal(m.otherFinish(winner)), At: m.frogs[winner].FinishedAt})
		return landed, true
	}
	return landed, false
}

func (m *Model) otherFinish(winner int) time.Time {
	for i, f := range m.frogs {
		if i != winner && !f.FinishedAt.IsZero() {
			return f.FinishedAt
		}
	}
	return time.Time{}
}

func beats(a, b *Frog) bool {
	if !a.FinishedAt.Equal(b.FinishedAt) {
		return a.FinishedAt.Before(b.FinishedAt)
	}
	if a.Penalties != b.Penalties {
		return a.Penalties < b.Penalties
	}
	return a.Lane < b.Lane
}

// Forfeit ends the race because lane's player is gone for good: the best
// placed other frog wins (the lowest other lane, when positions are equal).
// It reports false when the race is already over.
func (m *Model) Forfeit(lane int, now time.Time) bool {
	if m.phase == Finished {
		return false
	}
	winner := -1
	for i := range m.frogs {
		if i == lane {
			continue
		}
		if winner < 0 || m.Position(i, now) > m.Position(winner, now) {
			winner = i
		}
	}
	reason := ByForfeit
	if winner < 0 {
		reason = Abandoned
	}
	m.finish(Result{Winner: winner, Reason: reason, At: now})
	return true
}

// End ends a race the match ended for reason (Abandoned, Idle), with no
// winner. It reports false when the race is already over.
func (m *Model) End(reason Reason, now time.Time) bool {
	if m.phase == Finished {
		return false
	}
	m.finish(Result{Winner: -1, Reason: reason, At: now})
	return true
}

func (m *Model) finish(r Result) {
	m.phase = Finished
	m.result = r
}
