package match

import (
	"errors"
	"fmt"
	"time"

	"github.com/leapfrog-games/leapfrog/gameserver/realtime"
)

// Phase is where a match is.
type Phase int

// Phases, in order.
const (
	Lobby     Phase = iota + 1 // seats fill and their players get ready
	Countdown                  // everyone is ready; play starts at StartAt
	Playing
	Over
)

func (p Phase) String() string {
	switch p {
	case Lobby:
		return "lobby"
	case Countdown:
		return "countdown"
	case Playing:
		return "playing"
	case Over:
		return "over"
	}
	return "unknown"
}

// Outcome is how a match ended: the session's outcome.
type Outcome string

// Outcomes the match decides on its own, and Finished for the game's.
const (
	Finished Outcome = "finished" // the game's rules decided it
	// Forfeit: a player did not come back within the reconnect grace.
	Forfeit Outcome = "forfeit"
	// Abandoned: the lobby or the match ran out of time, or the session
	// ended before the match did (server shutdown, everybody gone, a crash).
	Abandoned Outcome = "abandoned"
	// Idle: nobody did anything (Touch) for Rules.IdleTimeout.
	Idle Outcome = "idle"
)

// Rules are the match's timings. The zero duration turns a timeout off.
type Rules struct {
	// Seats is how many players make the match; it starts when all are
	// in and ready.
	Seats int
	// Countdown is the time between everyone being ready and the start.
	Countdown time.Duration
	// ReconnectGrace is how long a player who dropped from a started match
	// has to come back before it forfeits.
	ReconnectGrace time.Duration
	// LobbyTimeout ends a match whose countdown has not begun this long
	// after its session started (a lobby never waits forever).
	LobbyTimeout time.Duration
	// Timeout ends a match still playing this long after its start.
	Timeout time.Duration
	// IdleTimeout ends a started match in which nobody did anything the
	// game counts (Touch) for this long, from the start.
	IdleTimeout time.Duration
	// ReadyOnJoin makes a player ready as soon as it joins, for games with
	// no ready message of their own (see Match.Ready).
	ReadyOnJoin bool
}

// Validate reports rules that cannot make a match.
func (r Rules) Validate() error {
	var errs []error
	if r.Seats < 1 {
		errs = append(errs, fmt.Errorf("seats %d: want at least 1", r.Seats))
	}
	if r.Countdown < 0 || r.ReconnectGrace < 0 || r.LobbyTimeout < 0 || r.Timeout < 0 || r.IdleTimeout < 0 {
		errs = append(errs, errors.New("countdown, reconnect grace and timeouts must not be negative"))
	}
	return errors.Join(errs...)
}

// Hooks are what the game hears from its match; each may be nil. They run
// on the session's goroutine, like every realtime.Game callback.
type Hooks struct {
	// Countdown: every seat is taken and ready; play starts at startAt.
	Countdown func(s *realtime.Session, startAt time.Time)
	// Begin: the countdown is over.
	Begin func(s *realtime.Session)
	// Joined: p took its seat, or came back to it (p.Reconnects() > 0);
	// the game tells it where things stand.
	Joined func(s *realtime.Session, p *realtime.Player, seat int)
	// Left: a player who left the lobby did not come back within the
	// no-show time; it is released and its seat is free again.
	Left func(s *realtime.Session, p *realtime.Player, seat int)
	// Away: a player of a started match lost its connection; it forfeits
	// at until unless it comes back.
	Away func(s *realtime.Session, p *realtime.Player, until time.Time)
	// Forfeit: p did not come back in time and is about to be removed. It
	// returns the outcome to end the match with, or "" to play on. Nil
	// plays on while two players remain, else ends with Forfeit.
	Forfeit func(s *realtime.Session, p *realtime.Player) Outcome
	// Over: the match ends with outcome; the game sends its results.
	Over func(s *realtime.Session, outcome Outcome)
}

// seat is one place of the match.
type seat struct {
	player *realtime.Player
	ready  bool
	timer  int // the lobby release or the reconnect grace; 0 when none
}

// Match runs the lifecycle of one match. A game embeds *Match, which gives
// it every realtime.Game method but OnMessage (and realtime.Sleeper and
// realtime.SeatKeeper); a game that overrides one calls the Match's too.
type Match struct {
	rules      Rules
	hooks      Hooks
	metrics    *Metrics
	phase      Phase
	seats      []seat
	startAt    time.Time
	lastActive time.Time
}

// New returns a match waiting for its players; metrics may be nil.
func New(r Rules, h Hooks, m *Metrics) (*Match, error) {
	if err := r.Validate(); err != nil {
		return nil, fmt.Errorf("match rules: %w", err)
	}
	return &Match{rules: r, hooks: h, metrics: m, phase: Lobby, seats: make([]seat, r.Seats)}, nil
}

// Rules are the match's rules.
func (m *Match) Rules() Rules { return m.rules }

// Phase is the current phase.
func (m *Match) Phase() Phase { return m.phase }

// StartAt is when play starts (zero before the countdown).
func (m *Match) StartAt() time.Time { return m.startAt }

// Seat is p's seat, or -1.
func (m *Match) Seat(p *realtime.Player) int {
	for i, st := range m.seats {
		if st.player == p {
			return i
		}
	}
	return -1
}

// Player is the player in seat i, or nil.
func (m *Match) Player(i int) *realtime.Player { return m.seats[i].player }

// ErrStarted refuses a player once the match has begun or is full.
var ErrStarted = errors.New("the match has already started")

// OnStart gives the lobby its deadline.
func (m *Match) OnStart(s *realtime.Session) {
	if m.rules.LobbyTimeout > 0 {
		s.After(m.rules.LobbyTimeout, func() {
			if m.phase == Lobby {
				s.Logger().Info("lobby timed out: the match never started", "timeout", m.rules.LobbyTimeout)
				m.End(s, Abandoned)
			}
		})
	}
}

// OnPlayerConnect gives the player the first free seat while in the lobby.
func (m *Match) OnPlayerConnect(_ *realtime.Session, p *realtime.Player) error {
	if m.phase != Lobby {
		return ErrStarted
	}
	for i := range m.seats {
		if m.seats[i].player == nil {
			m.seats[i] = seat{player: p}
			return nil
		}
	}
	return ErrStarted
}

// OnPlayerAccepted cancels the player's release or grace; with
// ReadyOnJoin, it is ready. Then the game hears it Joined.
func (m *Match) OnPlayerAccepted(s *realtime.Session, p *realtime.Player) {
	i := m.Seat(p)
	if i < 0 {
		return
	}
	m.cancel(s, i)
	if m.rules.ReadyOnJoin {
		m.Ready(s, p)
	}
	if m.hooks.Joined != nil {
		m.hooks.Joined(s, p, i)
	}
}

// OnPlayerDisconnect keeps a lobby player's seat for the no-show time, and
// gives a player of a started match the reconnect grace.
func (m *Match) OnPlayerDisconnect(s *realtime.Session, p *realtime.Player) {
	i := m.Seat(p)
	switch {
	case i < 0 || m.phase == Over:
	case m.phase == Lobby:
		m.cancel(s, i)
		m.seats[i].timer = s.After(s.Config().NoShowTimeout, func() {
			m.seats[i].timer = 0
			m.leave(s, p, i)
		})
	default:
		m.startGrace(s, p, i)
	}
}

// OnTick does nothing: a match needs only its timers.
func (m *Match) OnTick(*realtime.Session, time.Time) {}

// NextTick asks for no tick: the match wakes for its timers only.
func (m *Match) NextTick(*realtime.Session, time.Time) time.Time { return time.Time{} }

// OnEnd counts a started match cut short (server shutdown, everybody
// gone, a crash) as abandoned.
func (m *Match) OnEnd(s *realtime.Session) {
	if m.phase == Countdown || m.phase == Playing {
		m.phase = Over
		m.metrics.matchEnded(Abandoned)
		s.Logger().Info("match cut short", "outcome", s.Outcome())
	}
}

// OpenSeats is the seats nobody holds while in the lobby; 0 once the
// countdown began (realtime.SeatKeeper).
func (m *Match) OpenSeats(*realtime.Session) int {
	if m.phase != Lobby {
		return 0
	}
	open := 0
	for _, st := range m.seats {
		if st.player == nil {
			open++
		}
	}
	return open
}

var (
	_ realtime.Sleeper    = (*Match)(nil)
	_ realtime.SeatKeeper = (*Match)(nil)
)

// Ready marks p ready; once every seat is taken and ready, the countdown
// begins.
func (m *Match) Ready(s *realtime.Session, p *realtime.Player) {
	i := m.Seat(p)
	if i < 0 || m.phase != Lobby {
		return
	}
	m.seats[i].ready = true
	for _, st := range m.seats {
		if st.player == nil || !st.ready {
			return
		}
	}
	m.countdown(s)
}

// Touch records activity at now: the idle timeout counts from the last.
func (m *Match) Touch(now time.Time) { m.lastActive = now }

// Answered records that what msg did is queued for the players now: the
// latency of Metrics.WithLatency.
func (m *Match) Answered(msg realtime.Message) { m.metrics.answered(time.Since(msg.Received)) }

// End ends the match with outcome: the game's Over hook sends the results,
// then the session ends. Ending twice does nothing.
func (m *Match) End(s *realtime.Session, outcome Outcome) {
	if m.phase == Over {
		return
	}
	started := m.phase != Lobby
	m.phase = Over
	if m.hooks.Over != nil {
		m.hooks.Over(s, outcome)
	}
	if started { // a lobby that timed out never was a match
		m.metrics.matchEnded(outcome)
	}
	s.Logger().Info("match over", "outcome", outcome)
	s.End(string(outcome))
}

// countdown tells the game when play starts, gives the match its
// deadlines, and starts the reconnect grace of anyone away at that moment.
func (m *Match) countdown(s *realtime.Session) {
	m.phase = Countdown
	// Whole milliseconds: clients get the start in ms and may act right at it.
	m.startAt = s.Now().Add(m.rules.Countdown).Truncate(time.Millisecond)
	m.lastActive = m.startAt
	m.metrics.matchStarted()
	if m.hooks.Countdown != nil {
		m.hooks.Countdown(s, m.startAt)
	}
	s.After(m.startAt.Sub(s.Now()), func() {
		if m.phase == Countdown {
			m.phase = Playing
			if m.hooks.Begin != nil {
				m.hooks.Begin(s)
			}
		}
	})
	if t := m.rules.Timeout; t > 0 {
		s.After(m.rules.Countdown+t, func() { m.End(s, Abandoned) })
	}
	if m.rules.IdleTimeout > 0 {
		s.After(m.rules.Countdown+m.rules.IdleTimeout, func() { m.checkIdle(s) })
	}
	for i, st := range m.seats {
		if !st.player.Connected() {
			m.startGrace(s, st.player, i)
		}
	}
}

// checkIdle ends the match if nobody did anything for the idle timeout,
// else looks again when that would be so: one timer at a time, however
// often Touch is called.
func (m *Match) checkIdle(s *realtime.Session) {
	if left := m.lastActive.Add(m.rules.IdleTimeout).Sub(s.Now()); left > 0 {
		s.After(left, func() { m.checkIdle(s) })
		return
	}
	if m.phase == Countdown || m.phase == Playing {
		s.Logger().Info("match idle: nobody played", "idle_timeout", m.rules.IdleTimeout)
		m.End(s, Idle)
	}
}

// leave releases a player who left the lobby and did not come back.
func (m *Match) leave(s *realtime.Session, p *realtime.Player, i int) {
	if p.Connected() || m.phase != Lobby {
		return
	}
	m.seats[i] = seat{}
	s.ReleasePlayer(p, "left the lobby")
	if m.hooks.Left != nil {
		m.hooks.Left(s, p, i)
	}
}

// startGrace gives a player who dropped out of a started match the
// reconnect grace; then it forfeits.
func (m *Match) startGrace(s *realtime.Session, p *realtime.Player, i int) {
	m.cancel(s, i)
	until := s.Now().Add(m.rules.ReconnectGrace)
	if m.hooks.Away != nil {
		m.hooks.Away(s, p, until)
	}
	m.seats[i].timer = s.After(m.rules.ReconnectGrace, func() {
		m.seats[i].timer = 0
		if p.Connected() || m.phase == Over {
			return
		}
		outcome := m.forfeit(s, p)
		s.RemovePlayer(p, "forfeited: did not reconnect in time")
		if outcome != "" {
			m.End(s, outcome)
		}
	})
}

func (m *Match) forfeit(s *realtime.Session, p *realtime.Player) Outcome {
	if m.hooks.Forfeit != nil {
		return m.hooks.Forfeit(s, p)
	}
	in := 0
	for _, st := range m.seats {
		if st.player != p && !st.player.Removed() {
			in++
		}
	}
	if in < 2 {
		return Forfeit
	}
	return ""
}

func (m *Match) cancel(s *realtime.Session, i int) {
	if id := m.seats[i].timer; id != 0 {
		s.CancelTimer(id)
		m.seats[i].timer = 0
	}
}
