package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/leapfrog-games/leapfrog/client"
	partyv1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/party/v1"
	realtimev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/realtime/v1"
)

// earlySnap is when, after a round begins, a bot that snaps too early does:
// the shortest wait for a fly is longer than that in the default rules.
const earlySnap = 100 * time.Millisecond

// snatcher plays one Fly Snatch match on a connection: it snaps a reaction
// time after each fly and, with the EarlyPress chance a round, too early.
type snatcher struct {
	*bot
	conn    *client.Conn
	timer   *time.Timer
	early   bool // the pending snap is an early one
	lastErr *realtimev1.Error
}

func (f *snatcher) play(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return fmt.Errorf("playing: %w", ctx.Err())
		case <-f.timer.C:
			// A snap that crosses the match's end finds the connection
			// closed: its events, still queued, tell how the match ended.
			if err := f.conn.SendGameMessage(int32(partyv1.OpCode_OP_CODE_SNAP), nil); err != nil {
				f.log.Debug("snap not sent", "err", err)
			} else if f.early {
				f.res.early++
			}
		case ev, ok := <-f.conn.Events():
			if !ok {
				return errors.New("connection ended without a close")
			}
			done, err := f.handle(ev)
			if done || err != nil {
				return err
			}
		}
	}
}

// handle reacts to one event; done is true once the match is over.
func (f *snatcher) handle(ev client.Event) (done bool, err error) {
	switch e := ev.(type) {
	case client.GameMessage:
		switch partyv1.OpCode(e.OpCode) {
		case partyv1.OpCode_OP_CODE_ROUND:
			if f.rng.Float64() < f.cfg.EarlyPress {
				f.snap(earlySnap, true)
			}
		case partyv1.OpCode_OP_CODE_FLY:
			f.snap(f.reaction(), false)
		case partyv1.OpCode_OP_CODE_RESULT:
			var res partyv1.Result
			if err := proto.Unmarshal(e.Payload, &res); err != nil {
				return true, fmt.Errorf("decode result: %w", err)
			}
			if res.Outcome != "finished" {
				return true, fmt.Errorf("match ended %s, not played out", res.Outcome)
			}
			f.res.result = resultLine(&res)
			f.log.Debug("match over", "result", f.res.result)
			return true, nil
		}
	case client.ServerError:
		f.lastErr = e.Error
	case client.Closed:
		if f.lastErr != nil {
			return true, fmt.Errorf("closed (%d) before the result: %s: %s", e.Code, f.lastErr.Code, f.lastErr.Message)
		}
		return true, fmt.Errorf("closed (%d %s) before the result", e.Code, e.Text)
	}
	return false, nil
}

func (f *snatcher) snap(after time.Duration, early bool) {
	f.timer.Stop()
	f.early = early
	f.timer.Reset(after)
}

// reaction draws a delay within ±HopJitter of HopDelay.
func (f *snatcher) reaction() time.Duration {
	return jittered(f.bot, f.cfg.HopDelay, f.cfg.HopJitter)
}

// resultLine is a match's scores in seat order and its winners:
// "p1=2 p2=-1 p3=1 p4=0; winners p1".
func resultLine(r *partyv1.Result) string {
	var b strings.Builder
	for _, s := range r.Scores {
		fmt.Fprintf(&b, "%s=%d ", s.PlayerId, s.Points)
	}
	return fmt.Sprintf("%s; winners %s", strings.TrimSpace(b.String()), strings.Join(r.Winners, " "))
}
