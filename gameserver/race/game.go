package race

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/protobuf/proto"

	racev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/race/v1"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime"
)

// Op codes, as in race.proto.
const (
	OpAssignPlayer = int32(racev1.OpCode_OP_CODE_ASSIGN_PLAYER)
	OpCountdown    = int32(racev1.OpCode_OP_CODE_COUNTDOWN)
	OpFrogMoved    = int32(racev1.OpCode_OP_CODE_FROG_MOVED)
	OpRaceResult   = int32(racev1.OpCode_OP_CODE_RACE_RESULT)
	OpRaceSnapshot = int32(racev1.OpCode_OP_CODE_RACE_SNAPSHOT)
	OpPlayerStatus = int32(racev1.OpCode_OP_CODE_PLAYER_STATUS)
	OpSceneReady   = int32(racev1.OpCode_OP_CODE_SCENE_READY)
	OpHop          = int32(racev1.OpCode_OP_CODE_HOP)
)

// Outcomes a race session ends with (the realtime session outcome).
const (
	OutcomeFinished  = "finished"
	OutcomeForfeit   = "forfeit"
	OutcomeAbandoned = "abandoned"
	// OutcomeIdle: nobody hopped for the rules' IdleTimeout.
	OutcomeIdle = "idle"
)

// Game plays one Mega Frog Race on a realtime session.
type Game struct {
	model   *Model
	metrics *Metrics
	// timers holds per lane the timer of a player who is away: the lobby
	// release or the reconnect grace; 0 when none.
	timers []int
	// dirty marks lanes whose penalties have not been broadcast: presses
	// during a hop are sent at most once a tick, so that one player's
	// presses cannot flood the other's connection.
	dirty   uint32
	started bool // the countdown began (races_started counted it)
	// grid is the time ticks are aligned to (the session's start) and
	// lastTick the last OnTick: landings are seen at the tick after they
	// happen, penalties sent at most once a tick, as with a fixed tick.
	grid, lastTick time.Time
	// scratch messages reused on the hot path
	moved racev1.FrogMoved
	frog  racev1.Frog
	buf   []byte
}

var (
	_ realtime.Game    = (*Game)(nil)
	_ realtime.Sleeper = (*Game)(nil)
)

// NewGame returns a race with rules; metrics may be nil.
func NewGame(rules Rules, metrics *Metrics) (*Game, error) {
	if err := rules.Validate(); err != nil {
		return nil, fmt.Errorf("race rules: %w", err)
	}
	return &Game{model: NewModel(rules), metrics: metrics, timers: make([]int, rules.Players)}, nil
}

// Model exposes the race state (for tests and snapshots). Loop only.
func (g *Game) Model() *Model { return g.model }

// OnStart gives the lobby its deadline.
func (g *Game) OnStart(s *realtime.Session) {
	g.grid, g.lastTick = s.Now(), s.Now()
	s.After(g.model.Rules().LobbyTimeout, func() {
		if g.model.Phase() != Waiting {
			return
		}
		s.Logger().Info("lobby timed out: the race never started", "timeout", g.model.Rules().LobbyTimeout)
		g.model.Abandon(s.Now())
		g.announce(s)
	})
}

// OpenSeats is the lanes nobody holds while the race waits for its
// players; 0 once the countdown started (realtime.SeatKeeper).
func (g *Game) OpenSeats(*realtime.Session) int {
	if g.model.Phase() != Waiting {
		return 0
	}
	open := 0
	for lane := range g.model.Lanes() {
		if !g.model.Frog(lane).Present {
			open++
		}
	}
	return open
}

var _ realtime.SeatKeeper = (*Game)(nil)

// OnPlayerConnect gives the player a lane, or refuses once the race is on.
func (g *Game) OnPlayerConnect(_ *realtime.Session, p *realtime.Player) error {
	if _, ok := g.model.Join(p.PlayerID()); !ok {
		return fmt.Errorf("the race has already started")
	}
	return nil
}

// OnPlayerAccepted tells the player its lane and the whole race.
func (g *Game) OnPlayerAccepted(s *realtime.Session, p *realtime.Player) {
	lane := g.model.Lane(p.PlayerID())
	if lane < 0 {
		return
	}
	g.cancelTimer(s, lane)
	r := g.model.Rules()
	s.SendProto(p, OpAssignPlayer, &racev1.AssignPlayer{
		Lane: int32(lane), PlayerId: p.PlayerID(), PeerId: p.PeerID(),
		Rules: &racev1.Rules{
			HopDistance: r.HopDistance, HopDurationMs: r.HopDuration.Milliseconds(), HopPenaltyMs: r.HopPenalty.Milliseconds(),
			FinishLine: r.FinishLine, Players: int32(r.Players), CountdownMs: r.Countdown.Milliseconds(),
			ReconnectGraceMs: r.ReconnectGrace.Milliseconds(),
		},
	})
	s.SendProto(p, OpRaceSnapshot, g.snapshot(s))
	if p.Reconnects() > 0 {
		g.status(s, lane, racev1.PlayerStatus_STATUS_CONNECTED, time.Time{})
	}
}

// OnPlayerDisconnect keeps a lobby player's place for the no-show time, and
// gives a racing player the reconnect grace.
func (g *Game) OnPlayerDisconnect(s *realtime.Session, p *realtime.Player) {
	lane := g.model.Lane(p.PlayerID())
	if lane < 0 || g.model.Phase() == Finished {
		return
	}
	if g.model.Phase() == Waiting {
		g.cancelTimer(s, lane)
		g.timers[lane] = s.After(s.Config().NoShowTimeout, func() {
			g.timers[lane] = 0
			g.leaveLobby(s, p, lane)
		})
		return
	}
	g.startGrace(s, p, lane)
}

// leaveLobby gives the place of a player who left the lobby and did not
// come back to someone else.
func (g *Game) leaveLobby(s *realtime.Session, p *realtime.Player, lane int) {
	if p.Connected() || !g.model.Leave(lane) {
		return
	}
	s.ReleasePlayer(p, "left the lobby")
	s.SendProto(nil, OpRaceSnapshot, g.snapshot(s))
}

// startGrace gives a player who dropped out of a started race the
// reconnect grace; then the others win by forfeit.
func (g *Game) startGrace(s *realtime.Session, p *realtime.Player, lane int) {
	g.cancelTimer(s, lane)
	grace := g.model.Rules().ReconnectGrace
	ends := s.Now().Add(grace)
	g.status(s, lane, racev1.PlayerStatus_STATUS_RECONNECTING, ends)
	g.timers[lane] = s.After(grace, func() {
		g.timers[lane] = 0
		if p.Connected() || !g.model.Forfeit(lane, s.Now()) {
			return
		}
		g.status(s, lane, racev1.PlayerStatus_STATUS_FORFEITED, time.Time{})
		s.RemovePlayer(p, "forfeited: did not reconnect in time")
		g.announce(s)
	})
}

func (g *Game) cancelTimer(s *realtime.Session, lane int) {
	if id := g.timers[lane]; id != 0 {
		s.CancelTimer(id)
		g.timers[lane] = 0
	}
}

// OnMessage handles scene-ready and hop.
func (g *Game) OnMessage(s *realtime.Session, p *realtime.Player, m realtime.Message) error {
	lane := g.model.Lane(p.PlayerID())
	if lane < 0 {
		return fmt.Errorf("player has no lane")
	}
	now := s.Now()
	switch m.OpCode {
	case OpSceneReady:
		if g.model.SceneReady(lane, now) {
			g.startCountdown(s, now)
		}
	case OpHop:
		switch g.model.Hop(lane, now) {
		case Started:
			g.dirty &^= 1 << uint(lane)
			g.broadcastFrog(s, lane, racev1.FrogMoved_CAUSE_HOP)
			g.metrics.observeHop(time.Since(m.Received))
		case Penalized:
			g.dirty |= 1 << uint(lane)
		}
	default:
		return fmt.Errorf("%w: %d", realtime.ErrUnknownOpCode, m.OpCode)
	}
	return nil
}

// startCountdown tells everyone when the race starts, gives it its
// deadline, and starts the reconnect grace of anyone away at that moment.
func (g *Game) startCountdown(s *realtime.Session, now time.Time) {
	g.started = true
	g.metrics.raceStarted()
	s.SendProto(nil, OpCountdown, &racev1.Countdown{StartAtMs: g.model.StartAt().UnixMilli(), ServerTimeMs: now.UnixMilli()})
	r := g.model.Rules()
	s.After(r.Countdown+r.RaceTimeout, func() {
		if g.model.Abandon(s.Now()) {
			s.Logger().Info("race timed out", "timeout", r.RaceTimeout)
			g.announce(s)
		}
	})
	if r.IdleTimeout > 0 {
		s.After(r.Countdown+r.IdleTimeout, func() { g.checkIdle(s) })
	}
	for _, p := range s.Players() {
		if lane := g.model.Lane(p.PlayerID()); lane >= 0 && !p.Connected() {
			g.startGrace(s, p, lane)
		}
	}
}

// checkIdle ends the race if nobody has started a hop for the idle
// timeout, else looks again when that would be so. One timer at a time,
// set again at most once per idle timeout: hops cost nothing here.
func (g *Game) checkIdle(s *realtime.Session) {
	timeout, now := g.model.Rules().IdleTimeout, s.Now()
	if left := g.model.LastHop().Add(timeout).Sub(now); left > 0 {
		s.After(left, func() { g.checkIdle(s) })
		return
	}
	if g.model.EndIdle(now) {
		s.Logger().Info("race ended: nobody hopped", "idle_timeout", timeout)
		g.announce(s)
	}
}

// NextTick asks for a tick when there is something to do: the start of the
// race, the landing of a hopping frog (at the first tick of the session's
// grid at or after it, so that a press right after a landing carries it, as
// with a fixed tick) or penalties to send (a tick after the last one). A
// race that waits for its players does not tick.
func (g *Game) NextTick(s *realtime.Session, now time.Time) time.Time {
	period := time.Second / time.Duration(s.Config().TickRate)
	var next time.Time
	if g.dirty != 0 {
		next = g.lastTick.Add(period)
	}
	switch g.model.Phase() {
	case CountingDown: // the start itself, so that the phase is right for anyone who asks
		if start := g.model.StartAt(); next.IsZero() || start.Before(next) {
			next = start
		}
		return next
	case Racing:
	default:
		return next
	}
	for lane := range g.model.Lanes() {
		f := g.model.Frog(lane)
		if !f.Hopping {
			continue
		}
		at := f.HopEnd
		if off := at.Sub(g.grid) % period; off > 0 {
			at = at.Add(period - off)
		}
		if next.IsZero() || at.Before(next) {
			next = at
		}
	}
	return next
}

// OnTick lands frogs, sends the penalties of the tick, and decides the race.
func (g *Game) OnTick(s *realtime.Session, now time.Time) {
	g.lastTick = now
	landed, finished := g.model.Tick(now)
	changed := landed | g.dirty
	g.dirty = 0
	for lane := 0; changed != 0; lane++ {
		switch {
		case landed&(1<<uint(lane)) != 0:
			g.broadcastFrog(s, lane, racev1.FrogMoved_CAUSE_LANDED)
		case changed&1 != 0:
			g.broadcastFrog(s, lane, racev1.FrogMoved_CAUSE_PENALTY)
		}
		changed >>= 1
	}
	if finished {
		g.announce(s)
	}
}

// OnEnd counts a race cut short (server shutdown, everybody gone, a crash)
// as abandoned; a race decided by announce is counted already.
func (g *Game) OnEnd(s *realtime.Session) {
	if p := g.model.Phase(); g.started && (p == CountingDown || p == Racing) {
		g.metrics.raceEnded(OutcomeAbandoned)
		s.Logger().Info("race cut short", "outcome", s.Outcome())
	}
}

// announce sends the result and ends the session.
func (g *Game) announce(s *realtime.Session) {
	r := g.model.Result()
	res := &racev1.RaceResult{
		WinnerLane: int32(r.Winner), TieBreak: r.TieBreak, ServerTimeMs: s.Now().UnixMilli(),
		FinishTimesMs: make([]int64, g.model.Lanes()),
	}
	outcome := OutcomeFinished
	switch r.Reason {
	case ByFinish:
		res.Reason = racev1.RaceResult_REASON_FINISH
	case ByForfeit:
		res.Reason = racev1.RaceResult_REASON_FORFEIT
		outcome = OutcomeForfeit
	case Idle:
		res.Reason = racev1.RaceResult_REASON_IDLE
		outcome = OutcomeIdle
	default:
		res.Reason = racev1.RaceResult_REASON_ABANDONED
		outcome = OutcomeAbandoned
	}
	if r.Winner >= 0 {
		res.WinnerPlayerId = g.model.Frog(r.Winner).PlayerID
	}
	for i := range res.FinishTimesMs {
		if f := g.model.Frog(i); !f.FinishedAt.IsZero() {
			res.FinishTimesMs[i] = f.FinishedAt.Sub(g.model.StartAt()).Milliseconds()
		}
	}
	s.SendProto(nil, OpRaceResult, res)
	if g.started { // a lobby that timed out never was a race
		g.metrics.raceEnded(outcome)
	}
	s.Logger().Info("race decided", "winner_lane", r.Winner, "winner", res.WinnerPlayerId, "reason", res.Reason.String(), "tie_break", r.TieBreak)
	s.End(outcome)
}

func (g *Game) status(s *realtime.Session, lane int, st racev1.PlayerStatus_Status, graceEnds time.Time) {
	ps := &racev1.PlayerStatus{Lane: int32(lane), PlayerId: g.model.Frog(lane).PlayerID, Status: st, ServerTimeMs: s.Now().UnixMilli()}
	if !graceEnds.IsZero() {
		ps.GraceEndsMs = graceEnds.UnixMilli()
	}
	s.SendProto(nil, OpPlayerStatus, ps)
}

// fillFrog writes lane's state into dst.
func (g *Game) fillFrog(s *realtime.Session, lane int, dst *racev1.Frog) {
	f := g.model.Frog(lane)
	*dst = racev1.Frog{
		Lane: int32(lane), PlayerId: f.PlayerID, From: g.model.HopFrom(lane), To: g.model.HopTo(lane),
		PenaltyMs: f.Penalty.Milliseconds(), Hops: int32(f.Hops), Penalties: int32(f.Penalties), Hopping: f.Hopping,
	}
	if !f.HopStart.IsZero() {
		dst.HopStartMs, dst.HopEndMs = f.HopStart.UnixMilli(), f.HopEnd.UnixMilli()
	}
	if !f.FinishedAt.IsZero() {
		dst.FinishedAtMs = f.FinishedAt.UnixMilli()
	}
	for _, p := range s.Players() {
		if p.PlayerID() == f.PlayerID {
			dst.Connected = p.Connected()
		}
	}
}

// broadcastFrog sends lane's state to everyone, reusing its scratch messages
// and buffer: this runs on every hop and landing.
func (g *Game) broadcastFrog(s *realtime.Session, lane int, cause racev1.FrogMoved_Cause) {
	g.fillFrog(s, lane, &g.frog)
	g.moved.Frog, g.moved.ServerTimeMs, g.moved.Cause = &g.frog, s.Now().UnixMilli(), cause
	b, err := proto.MarshalOptions{}.MarshalAppend(g.buf[:0], &g.moved)
	if err != nil {
		s.Logger().Error("marshal frog", "err", err)
		return
	}
	g.buf = b
	s.Broadcast(OpFrogMoved, b)
}

func (g *Game) snapshot(s *realtime.Session) *racev1.RaceSnapshot {
	snap := &racev1.RaceSnapshot{Phase: racev1.Phase(g.model.Phase()), ServerTimeMs: s.Now().UnixMilli()}
	if !g.model.StartAt().IsZero() {
		snap.StartAtMs = g.model.StartAt().UnixMilli()
	}
	for i := 0; i < g.model.Lanes(); i++ {
		f := &racev1.Frog{}
		g.fillFrog(s, i, f)
		snap.Frogs = append(snap.Frogs, f)
	}
	return snap
}

// Metrics are the race's own Prometheus metrics.
type Metrics struct {
	hopLatency prometheus.Histogram
	started    prometheus.Counter
	ended      *prometheus.CounterVec
}

// NewMetrics creates the race metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		hopLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "leapfrog_race_hop_broadcast_latency_seconds",
			Help:    "Time from reading a hop frame to queueing the move to both players.",
			Buckets: []float64{1e-5, 5e-5, 1e-4, 5e-4, 1e-3, 5e-3, 2e-2, 1e-1},
		}),
		started: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "leapfrog_race_races_started_total", Help: "Races whose countdown started.",
		}),
		ended: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leapfrog_race_races_ended_total", Help: "Races decided, by outcome (finished, forfeit, abandoned, idle).",
		}, []string{"outcome"}),
	}
	reg.MustRegister(m.hopLatency, m.started, m.ended)
	return m
}

func (m *Metrics) observeHop(d time.Duration) {
	if m != nil {
		m.hopLatency.Observe(d.Seconds())
	}
}

func (m *Metrics) raceStarted() {
	if m != nil {
		m.started.Inc()
	}
}

func (m *Metrics) raceEnded(outcome string) {
	if m != nil {
		m.ended.WithLabelValues(outcome).Inc()
	}
}
