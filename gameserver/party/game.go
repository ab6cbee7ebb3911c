package party

import (
	"fmt"
	"math/rand/v2"
	"time"

	partyv1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/party/v1"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime/match"
)

// Op codes, as in party.proto.
const (
	OpCountdown = int32(partyv1.OpCode_OP_CODE_COUNTDOWN)
	OpRound     = int32(partyv1.OpCode_OP_CODE_ROUND)
	OpFly       = int32(partyv1.OpCode_OP_CODE_FLY)
	OpScores    = int32(partyv1.OpCode_OP_CODE_SCORES)
	OpResult    = int32(partyv1.OpCode_OP_CODE_RESULT)
	OpSnap      = int32(partyv1.OpCode_OP_CODE_SNAP)
)

// Game plays one Fly Snatch match. The embedded Match runs the lobby,
// countdown, reconnect grace and forfeits; Game is only the rounds.
type Game struct {
	*match.Match
	rules  Rules
	round  int
	points []int32
	// waiting: the round began and its fly has not shown; flyOff is the
	// timer of the fly that is out, 0 when none.
	waiting bool
	flyOff  int
	early   uint8 // seats that snapped early this round, bit per seat
}

var (
	_ realtime.Game       = (*Game)(nil)
	_ realtime.Sleeper    = (*Game)(nil)
	_ realtime.SeatKeeper = (*Game)(nil)
)

// NewGame returns a match of rules; metrics may be nil.
func NewGame(r Rules, metrics *match.Metrics) (*Game, error) {
	if err := r.Validate(); err != nil {
		return nil, fmt.Errorf("party rules: %w", err)
	}
	g := &Game{rules: r, points: make([]int32, r.Players)}
	m, err := match.New(r.match(), match.Hooks{
		Countdown: func(s *realtime.Session, at time.Time) {
			s.SendProto(nil, OpCountdown, &partyv1.Countdown{StartAtMs: at.UnixMilli(), Rounds: int32(r.Rounds), Scores: g.scores()})
		},
		Joined: func(s *realtime.Session, p *realtime.Player, _ int) { // a player who comes back hears the scores
			if g.Phase() != match.Lobby {
				s.SendProto(p, OpScores, &partyv1.Scores{Round: int32(g.round), Scores: g.scores()})
			}
		},
		Begin: g.nextRound,
		Over:  g.over,
	}, metrics)
	g.Match = m
	return g, err
}

// OnMessage handles a snap: the first after the fly catches it, one
// before it costs a point (once a round).
func (g *Game) OnMessage(s *realtime.Session, p *realtime.Player, m realtime.Message) error {
	if m.OpCode != OpSnap {
		return fmt.Errorf("%w: %d", realtime.ErrUnknownOpCode, m.OpCode)
	}
	seat := g.Seat(p)
	switch {
	case seat < 0 || g.Phase() != match.Playing:
	case g.flyOff != 0:
		s.CancelTimer(g.flyOff)
		g.points[seat]++
		g.endRound(s, p.PlayerID())
	case g.waiting && g.early&(1<<seat) == 0:
		g.early |= 1 << seat
		g.points[seat]--
		s.SendProto(nil, OpScores, &partyv1.Scores{Round: int32(g.round), Early: p.PlayerID(), Scores: g.scores()})
	}
	return nil
}

// nextRound starts a round and sends its fly after a random wait.
func (g *Game) nextRound(s *realtime.Session) {
	g.round++
	g.waiting, g.early = true, 0
	s.SendProto(nil, OpRound, &partyv1.Round{Round: int32(g.round), Rounds: int32(g.rules.Rounds)})
	wait := g.rules.MinWait
	if spread := g.rules.MaxWait - g.rules.MinWait; spread > 0 {
		wait += rand.N(spread + 1)
	}
	s.After(wait, func() {
		if g.Phase() != match.Playing {
			return
		}
		g.waiting = false
		s.SendProto(nil, OpFly, &partyv1.Fly{Round: int32(g.round)})
		g.flyOff = s.After(g.rules.FlyTime, func() { g.endRound(s, "") })
	})
}

// endRound tells who caught the fly and goes on to the next round, or ends
// the match after the last.
func (g *Game) endRound(s *realtime.Session, caughtBy string) {
	g.flyOff = 0
	s.SendProto(nil, OpScores, &partyv1.Scores{Round: int32(g.round), CaughtBy: caughtBy, Scores: g.scores()})
	if g.round >= g.rules.Rounds {
		g.End(s, match.Finished)
		return
	}
	s.After(g.rules.Pause, func() {
		if g.Phase() == match.Playing {
			g.nextRound(s)
		}
	})
}

// over sends the result: when the match was played out, the highest score
// among the frogs still in wins.
func (g *Game) over(s *realtime.Session, outcome match.Outcome) {
	res := &partyv1.Result{Outcome: string(outcome), Scores: g.scores()}
	best := int32(-1 << 30)
	for _, sc := range res.Scores {
		if (outcome != match.Finished && outcome != match.Forfeit) || g.Player(int(sc.Seat)).Removed() || sc.Points < best {
			continue
		}
		if sc.Points > best {
			best, res.Winners = sc.Points, nil
		}
		res.Winners = append(res.Winners, sc.PlayerId)
	}
	s.SendProto(nil, OpResult, res)
	s.Logger().Info("fly snatch over", "outcome", outcome, "winners", res.Winners)
}

// scores lists every seated frog's points, by seat.
func (g *Game) scores() []*partyv1.Score {
	var out []*partyv1.Score
	for i, pts := range g.points {
		if p := g.Player(i); p != nil {
			out = append(out, &partyv1.Score{PlayerId: p.PlayerID(), Seat: int32(i), Points: pts})
		}
	}
	return out
}
