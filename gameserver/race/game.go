package race

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/protobuf/proto"

	racev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/race/v1"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime/match"
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
	OutcomeFinished  = string(match.Finished)
	OutcomeForfeit   = string(match.Forfeit)
	OutcomeAbandoned = string(match.Abandoned)
	// OutcomeIdle: nobody hopped for the rules' IdleTimeout.
	OutcomeIdle = string(match.Idle)
)

// Game plays one Mega Frog Race on a realtime session. The embedded Match
// runs the lobby, countdown, reconnect grace, forfeits and timeouts.
type Game struct {
	*match.Match
	model   *Model
	metrics *Metrics
	// dirty marks lanes whose penalties have not been broadcast: presses
	// during a hop are sent at most once a tick, so that one player's
	// presses cannot flood the other's connection.
	dirty uint32
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
	_ realtime.Game       = (*Game)(nil)
	_ realtime.Sleeper    = (*Game)(nil)
	_ realtime.SeatKeeper = (*Game)(nil)
)

// NewGame returns a race with rules; metrics may be nil.
func NewGame(rules Rules, metrics *Metrics) (*Game, error) {
	if err := rules.Validate(); err != nil {
		return nil, fmt.Errorf("race rules: %w", err)
	}
	g := &Game{model: NewModel(rules), metrics: metrics}
	m, err := match.New(match.Rules{
		Seats: rules.Players, Countdown: rules.Countdown, ReconnectGrace: rules.ReconnectGrace,
		LobbyTimeout: rules.LobbyTimeout, Timeout: rules.RaceTimeout, IdleTimeout: rules.IdleTimeout,
	}, match.Hooks{
		Countdown: func(s *realtime.Session, start time.Time) {
			g.model.Start(start)
			s.SendProto(nil, OpCountdown, &racev1.Countdown{StartAtMs: start.UnixMilli(), ServerTimeMs: s.Now().UnixMilli()})
		},
		Left: func(s *realtime.Session, _ *realtime.Player, _ int) { s.SendProto(nil, OpRaceSnapshot, g.snapshot(s)) },
		Away: func(s *realtime.Session, p *realtime.Player, until time.Time) {
			g.status(s, g.Seat(p), racev1.PlayerStatus_STATUS_RECONNECTING, until)
		},
		Forfeit: g.forfeit,
		Over:    g.announce,
	}, metrics.matches())
	g.Match = m
	return g, err
}

// Model exposes the race state (for tests and snapshots). Loop only.
func (g *Game) Model() *Model { return g.model }

// OnStart aligns the ticks to the session's start.
func (g *Game) OnStart(s *realtime.Session) {
	g.grid, g.lastTick = s.Now(), s.Now()
	g.Match.OnStart(s)
}

// OnPlayerAccepted tells the player its lane and the whole race.
func (g *Game) OnPlayerAccepted(s *realtime.Session, p *realtime.Player) {
	lane := g.Seat(p)
	if lane < 0 {
		return
	}
	g.Match.OnPlayerAccepted(s, p)
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

// forfeit decides the race for the others of a player who did not come back.
func (g *Game) forfeit(s *realtime.Session, p *realtime.Player) match.Outcome {
	lane := g.Seat(p)
	if !g.model.Forfeit(lane, s.Now()) {
		return ""
	}
	g.status(s, lane, racev1.PlayerStatus_STATUS_FORFEITED, time.Time{})
	if g.model.Result().Reason == Abandoned {
		return match.Abandoned
	}
	return match.Forfeit
}

// OnMessage handles scene-ready and hop.
func (g *Game) OnMessage(s *realtime.Session, p *realtime.Player, m realtime.Message) error {
	lane := g.Seat(p)
	if lane < 0 {
		return fmt.Errorf("player has no lane")
	}
	now := s.Now()
	switch m.OpCode {
	case OpSceneReady:
		g.Ready(s, p)
	case OpHop:
		switch g.model.Hop(lane, now) {
		case Started:
			g.Touch(now)
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
		g.End(s, match.Finished)
	}
}

// announce sends the result of a race the match ended.
func (g *Game) announce(s *realtime.Session, outcome match.Outcome) {
	switch outcome {
	case match.Idle:
		g.model.End(Idle, s.Now())
	case match.Abandoned:
		g.model.End(Abandoned, s.Now())
	}
	r := g.model.Result()
	res := &racev1.RaceResult{
		WinnerLane: int32(r.Winner), TieBreak: r.TieBreak, ServerTimeMs: s.Now().UnixMilli(),
		FinishTimesMs: make([]int64, g.model.Lanes()),
	}
	switch r.Reason {
	case ByFinish:
		res.Reason = racev1.RaceResult_REASON_FINISH
	case ByForfeit:
		res.Reason = racev1.RaceResult_REASON_FORFEIT
	case Idle:
		res.Reason = racev1.RaceResult_REASON_IDLE
	default:
		res.Reason = racev1.RaceResult_REASON_ABANDONED
	}
	if r.Winner >= 0 {
		res.WinnerPlayerId = g.Player(r.Winner).PlayerID()
	}
	for i := range res.FinishTimesMs {
		if f := g.model.Frog(i); !f.FinishedAt.IsZero() {
			res.FinishTimesMs[i] = f.FinishedAt.Sub(g.model.StartAt()).Milliseconds()
		}
	}
	s.SendProto(nil, OpRaceResult, res)
	s.Logger().Info("race decided", "winner_lane", r.Winner, "winner", res.WinnerPlayerId, "reason", res.Reason.String(), "tie_break", r.TieBreak)
}

func (g *Game) status(s *realtime.Session, lane int, st racev1.PlayerStatus_Status, graceEnds time.Time) {
	ps := &racev1.PlayerStatus{Lane: int32(lane), PlayerId: g.Player(lane).PlayerID(), Status: st, ServerTimeMs: s.Now().UnixMilli()}
	if !graceEnds.IsZero() {
		ps.GraceEndsMs = graceEnds.UnixMilli()
	}
	s.SendProto(nil, OpPlayerStatus, ps)
}

// fillFrog writes lane's state, and its player's, into dst.
func (g *Game) fillFrog(lane int, dst *racev1.Frog) {
	f := g.model.Frog(lane)
	*dst = racev1.Frog{
		Lane: int32(lane), From: g.model.HopFrom(lane), To: g.model.HopTo(lane),
		PenaltyMs: f.Penalty.Milliseconds(), Hops: int32(f.Hops), Penalties: int32(f.Penalties), Hopping: f.Hopping,
	}
	if !f.HopStart.IsZero() {
		dst.HopStartMs, dst.HopEndMs = f.HopStart.UnixMilli(), f.HopEnd.UnixMilli()
	}
	if !f.FinishedAt.IsZero() {
		dst.FinishedAtMs = f.FinishedAt.UnixMilli()
	}
	if p := g.Player(lane); p != nil {
		dst.PlayerId, dst.Connected = p.PlayerID(), p.Connected()
	}
}

// broadcastFrog sends lane's state to everyone, reusing its scratch messages
// and buffer: this runs on every hop and landing.
func (g *Game) broadcastFrog(s *realtime.Session, lane int, cause racev1.FrogMoved_Cause) {
	g.fillFrog(lane, &g.frog)
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
		g.fillFrog(i, f)
		snap.Frogs = append(snap.Frogs, f)
	}
	return snap
}

// Metrics are the race's own Prometheus metrics.
type Metrics struct {
	hopLatency prometheus.Histogram
	match      *match.Metrics
}

// NewMetrics creates the race metrics on reg: the hop latency and
// leapfrog_race_races_started_total and _ended_total{outcome}.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		hopLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "leapfrog_race_hop_broadcast_latency_seconds",
			Help:    "Time from reading a hop frame to queueing the move to both players.",
			Buckets: []float64{1e-5, 5e-5, 1e-4, 5e-4, 1e-3, 5e-3, 2e-2, 1e-1},
		}),
		match: match.NewMetrics(reg, "race", "races"),
	}
	reg.MustRegister(m.hopLatency)
	return m
}

func (m *Metrics) observeHop(d time.Duration) {
	if m != nil {
		m.hopLatency.Observe(d.Seconds())
	}
}

func (m *Metrics) matches() *match.Metrics {
	if m == nil {
		return nil
	}
	return m.match
}
