package race

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

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

// reasons are the wire's names of the outcomes a race ends with.
var reasons = map[match.Outcome]racev1.RaceResult_Reason{
	match.Finished: racev1.RaceResult_REASON_FINISH, match.Forfeit: racev1.RaceResult_REASON_FORFEIT,
	match.Abandoned: racev1.RaceResult_REASON_ABANDONED, match.Idle: racev1.RaceResult_REASON_IDLE,
}

// Game plays one Mega Frog Race on a realtime session. The embedded Match
// runs the lobby, countdown, reconnect grace, forfeits and timeouts.
type Game struct {
	*match.Match
	rules  Rules
	frogs  []Frog
	result Result // no Reason until decided
	// dirty marks lanes with penalties not yet sent: they go out at most
	// once a tick, so that one player's presses cannot flood the others.
	dirty uint32
	moved racev1.FrogMoved // scratch messages, reused on the hot path
	frog  racev1.Frog
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
	g := &Game{rules: rules, frogs: make([]Frog, rules.Seats)}
	m, err := match.New(rules.Rules, match.Hooks{
		Countdown: func(s *realtime.Session, start time.Time) {
			s.SendProto(nil, OpCountdown, &racev1.Countdown{StartAtMs: start.UnixMilli(), ServerTimeMs: s.Now().UnixMilli()})
		},
		Joined: g.joined,
		Left:   func(s *realtime.Session, _ *realtime.Player, _ int) { s.SendProto(nil, OpRaceSnapshot, g.snapshot(s)) },
		Away: func(s *realtime.Session, p *realtime.Player, until time.Time) {
			g.status(s, g.Seat(p), racev1.PlayerStatus_STATUS_RECONNECTING, until)
		},
		Forfeit: g.forfeit,
		Over:    g.announce,
	}, metrics)
	g.Match = m
	return g, err
}

// joined tells the player its lane and the whole race.
func (g *Game) joined(s *realtime.Session, p *realtime.Player, lane int) {
	r := g.rules
	s.SendProto(p, OpAssignPlayer, &racev1.AssignPlayer{
		Lane: int32(lane), PlayerId: p.PlayerID(), PeerId: p.PeerID(),
		Rules: &racev1.Rules{
			HopDistance: r.HopDistance, HopDurationMs: r.HopDuration.Milliseconds(), HopPenaltyMs: r.HopPenalty.Milliseconds(),
			FinishLine: r.FinishLine, Players: int32(r.Seats), CountdownMs: r.Countdown.Milliseconds(),
			ReconnectGraceMs: r.ReconnectGrace.Milliseconds(),
		},
	})
	s.SendProto(p, OpRaceSnapshot, g.snapshot(s))
	if p.Reconnects() > 0 {
		g.status(s, lane, racev1.PlayerStatus_STATUS_CONNECTED, time.Time{})
	}
}

// forfeit decides the race for the others of a player who did not come
// back, unless it was decided: the best placed other frog wins (the lowest
// lane, when positions are equal), or nobody if there is none.
func (g *Game) forfeit(s *realtime.Session, p *realtime.Player) match.Outcome {
	if g.result.Reason != "" {
		return ""
	}
	lane, now := g.Seat(p), s.Now()
	g.result = Result{Winner: -1, Reason: match.Abandoned}
	for i := range g.frogs {
		if i != lane && (g.result.Winner < 0 || g.position(i, now) > g.position(g.result.Winner, now)) {
			g.result.Winner, g.result.Reason = i, match.Forfeit
		}
	}
	g.status(s, lane, racev1.PlayerStatus_STATUS_FORFEITED, time.Time{})
	return g.result.Reason
}

// OnMessage handles scene-ready and hop. Every player that can send holds
// a lane: the match seats a player before the session accepts it.
func (g *Game) OnMessage(s *realtime.Session, p *realtime.Player, m realtime.Message) error {
	switch m.OpCode {
	case OpSceneReady:
		g.Ready(s, p)
		return nil
	case OpHop: // pressed: below
	default:
		return fmt.Errorf("%w: %d", realtime.ErrUnknownOpCode, m.OpCode)
	}
	switch lane := g.Seat(p); g.hop(lane, s.Now()) {
	case Started:
		g.Touch(s.Now())
		g.dirty &^= 1 << lane
		g.broadcastFrog(s, lane, racev1.FrogMoved_CAUSE_HOP)
		g.Answered(m)
	case Penalized:
		g.dirty |= 1 << lane
	}
	return nil
}

// NextTick asks for the landing of a hopping frog at the tick a fixed tick
// would land it, so that a press right after a landing carries it, and for
// a tick after the last one with penalties to send. (The match's timers
// wake the session for the start and its deadlines.)
func (g *Game) NextTick(s *realtime.Session, _ time.Time) time.Time {
	var next time.Time
	if g.dirty != 0 {
		next = s.LastTick().Add(s.TickPeriod())
	}
	for _, f := range g.frogs {
		if f.Hopping {
			next = realtime.Earliest(next, s.GridTick(f.HopEnd))
		}
	}
	return next
}

// OnTick lands frogs, sends the penalties of the tick, and decides the race.
func (g *Game) OnTick(s *realtime.Session, now time.Time) {
	landed, finished := g.land(now)
	for lane := range g.frogs {
		switch bit := uint32(1) << lane; {
		case landed&bit != 0:
			g.broadcastFrog(s, lane, racev1.FrogMoved_CAUSE_LANDED)
		case g.dirty&bit != 0:
			g.broadcastFrog(s, lane, racev1.FrogMoved_CAUSE_PENALTY)
		}
	}
	g.dirty = 0
	if finished {
		g.End(s, match.Finished)
	}
}

// announce sends the result of a race the match ended.
func (g *Game) announce(s *realtime.Session, outcome match.Outcome) {
	if g.result.Reason == "" { // the match ended it: abandoned or idle
		g.result = Result{Winner: -1, Reason: outcome}
	}
	r := g.result
	res := &racev1.RaceResult{WinnerLane: int32(r.Winner), Reason: reasons[r.Reason], TieBreak: r.TieBreak,
		ServerTimeMs: s.Now().UnixMilli(), FinishTimesMs: make([]int64, len(g.frogs))}
	if r.Winner >= 0 {
		res.WinnerPlayerId = g.Player(r.Winner).PlayerID()
	}
	for i, f := range g.frogs {
		if !f.FinishedAt.IsZero() {
			res.FinishTimesMs[i] = f.FinishedAt.Sub(g.StartAt()).Milliseconds()
		}
	}
	s.SendProto(nil, OpRaceResult, res)
	s.Logger().Info("race decided", "winner_lane", r.Winner, "winner", res.WinnerPlayerId, "reason", res.Reason.String(), "tie_break", r.TieBreak)
}

func (g *Game) status(s *realtime.Session, lane int, st racev1.PlayerStatus_Status, graceEnds time.Time) {
	s.SendProto(nil, OpPlayerStatus, &racev1.PlayerStatus{Lane: int32(lane), PlayerId: g.Player(lane).PlayerID(), Status: st,
		GraceEndsMs: unixMs(graceEnds), ServerTimeMs: s.Now().UnixMilli()})
}

// unixMs is t in Unix milliseconds, as the wire has times, or 0 for the
// zero time (whose Unix time is negative).
func unixMs(t time.Time) int64 { return max(t.UnixMilli(), 0) }

// fillFrog writes lane's state, and its player's, into dst.
func (g *Game) fillFrog(lane int, dst *racev1.Frog) *racev1.Frog {
	f, r := g.frogs[lane], g.rules
	*dst = racev1.Frog{
		Lane: int32(lane), From: r.position(f.Hops - 1), To: r.position(f.Hops), PenaltyMs: f.Penalty.Milliseconds(),
		Hops: int32(f.Hops), Penalties: int32(f.Penalties), Hopping: f.Hopping,
		HopStartMs: unixMs(f.HopStart), HopEndMs: unixMs(f.HopEnd), FinishedAtMs: unixMs(f.FinishedAt),
	}
	if p := g.Player(lane); p != nil {
		dst.PlayerId, dst.Connected = p.PlayerID(), p.Connected()
	}
	return dst
}

// broadcastFrog sends lane's state to everyone in the scratch messages:
// this runs on every hop and landing.
func (g *Game) broadcastFrog(s *realtime.Session, lane int, cause racev1.FrogMoved_Cause) {
	g.moved.Frog, g.moved.ServerTimeMs, g.moved.Cause = g.fillFrog(lane, &g.frog), s.Now().UnixMilli(), cause
	s.SendProto(nil, OpFrogMoved, &g.moved)
}

// snapshot is the whole race; its phases are the match's.
func (g *Game) snapshot(s *realtime.Session) *racev1.RaceSnapshot {
	snap := &racev1.RaceSnapshot{Phase: racev1.Phase(g.Phase()), StartAtMs: unixMs(g.StartAt()), ServerTimeMs: s.Now().UnixMilli()}
	for i := range g.frogs {
		snap.Frogs = append(snap.Frogs, g.fillFrog(i, &racev1.Frog{}))
	}
	return snap
}

// Metrics are the race's, made by NewMetrics.
type Metrics = match.Metrics

// NewMetrics creates the race metrics on reg: leapfrog_race_races_started_total,
// _ended_total{outcome} and leapfrog_race_hop_broadcast_latency_seconds.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	return match.NewMetrics(reg, "race", "races").WithLatency(reg, "hop_broadcast_latency_seconds",
		"Time from reading a hop frame to queueing the move to both players.")
}
