package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/leapfrog-games/leapfrog/client"
	racev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/race/v1"
	realtimev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/realtime/v1"
)

var (
	errPartnerFailed = errors.New("stopped: another bot of the match failed")
	errRaceTimeout   = errors.New("race timeout")
)

// clockPings is how many pings a bot sends to learn the server's clock; the
// one with the shortest round trip wins.
const clockPings = 3

// result is one bot's share of a race.
type result struct {
	match   time.Duration
	hops    []time.Duration
	early   int
	retries int
	// result is a party match's scores and winners, as the bot saw them.
	result string
	err    error
}

// bot is one player. It is used by one goroutine.
type bot struct {
	cfg   Config
	alloc *client.Client
	rng   *rand.Rand
	log   *slog.Logger
	res   result
	// after, if set, is closed once the partner has its match: the bot asks
	// for its own only then, as the second of two players arriving. Two
	// requests at the same instant can each be given a fresh server on
	// Agones, where no allocation sees the other's half-full race yet.
	after <-chan struct{}
	// matched, if set, is closed once this bot's match is answered.
	matched chan<- struct{}
}

// play takes a guest identity, gets a match and races until the result.
func (b *bot) play(ctx context.Context) result {
	b.res.err = b.run(ctx)
	if b.res.err != nil && ctx.Err() != nil {
		// Say why the race was cut short rather than how.
		b.res.err = fmt.Errorf("%w (while: %v)", context.Cause(ctx), b.res.err)
		if errors.Is(context.Cause(ctx), errPartnerFailed) {
			b.res.err = errPartnerFailed
		}
	}
	if b.res.err != nil {
		b.log.Debug("bot failed", "err", b.res.err)
	}
	return b.res
}

func (b *bot) run(ctx context.Context) error {
	guest, err := retry(ctx, b, func() (client.Guest, error) { return b.alloc.Guest(ctx) })
	if err != nil {
		return fmt.Errorf("guest: %w", err)
	}
	if b.after != nil {
		select {
		case <-b.after:
		case <-ctx.Done():
			return fmt.Errorf("wait for the partner's match: %w", ctx.Err())
		}
	}
	var took time.Duration
	match, err := retry(ctx, b, func() (client.Match, error) {
		start := b.now()
		m, err := b.alloc.Match(ctx, guest.GuestToken, 0)
		took = b.now().Sub(start)
		return m, err
	})
	if b.matched != nil {
		close(b.matched)
	}
	if err != nil {
		return fmt.Errorf("match: %w", err)
	}
	b.res.match = took
	b.log = b.log.With("player", match.PlayerID, "game_server", match.GameServer)

	// A busy server (503 on the upgrade) asks to be dialled again shortly.
	conn, err := retry(ctx, b, func() (*client.Conn, error) {
		return client.Dial(ctx, match.WSURL, match.PlayerSessionToken, b.cfg.Dial)
	})
	if err != nil {
		return err
	}
	defer conn.Close()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	if b.cfg.Game == GameParty {
		return (&snatcher{bot: b, conn: conn, timer: timer}).play(ctx)
	}
	r := &racer{bot: b, conn: conn, me: match.PlayerID, timer: timer}
	return r.race(ctx)
}

// now is the clock events are stamped with.
func (b *bot) now() time.Time {
	if b.cfg.Dial.Now != nil {
		return b.cfg.Dial.Now()
	}
	return time.Now()
}

// retry calls f until it succeeds, fails for good, or ctx ends, waiting
// Retry-After (with jitter) between tries on 429 and 503.
func retry[T any](ctx context.Context, b *bot, f func() (T, error)) (T, error) {
	for {
		v, err := f()
		if err == nil {
			return v, nil
		}
		after, ok := client.RetryAfter(err)
		if !ok {
			return v, err
		}
		b.res.retries++
		wait := min(max(after, 100*time.Millisecond), maxRetryWait)
		wait += time.Duration(b.rng.Int64N(int64(wait/4) + 1))
		b.log.Debug("retrying", "err", err, "wait", wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return v, fmt.Errorf("%w; gave up: %w", err, ctx.Err())
		case <-t.C:
		}
	}
}

// action is what the racer's timer does when it fires.
type action int

const (
	actNone  action = iota
	actHop          // start a hop
	actEarly        // press again during the hop
	actRetry        // the hop did not show: press again
)

// racer plays one race on a connection: it reacts to events and to its one
// timer.
type racer struct {
	*bot
	conn    *client.Conn
	me      string
	timer   *time.Timer
	next    action
	hopping bool
	// hopSent is when the pending hop was pressed; zero when none is pending.
	hopSent  time.Time
	started  bool
	lastErr  *realtimev1.Error
	finished bool
}

func (r *racer) race(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return fmt.Errorf("racing: %w", ctx.Err())
		case <-r.timer.C:
			if err := r.act(); err != nil {
				return err
			}
		case ev, ok := <-r.conn.Events():
			if !ok {
				return errors.New("connection ended without a close")
			}
			done, err := r.handle(ev)
			if done || err != nil {
				return err
			}
		}
	}
}

// handle reacts to one event; done is true once the race is decided.
func (r *racer) handle(ev client.Event) (done bool, err error) {
	switch e := ev.(type) {
	case client.Welcome:
		if err := r.conn.SendSceneReady(); err != nil {
			return false, fmt.Errorf("send scene ready: %w", err)
		}
		for range clockPings {
			if err := r.conn.Ping(); err != nil {
				return false, fmt.Errorf("send ping: %w", err)
			}
		}
	case client.Countdown:
		r.scheduleStart(e.StartAtMs)
	case client.RaceSnapshot:
		if e.Phase == racev1.Phase_PHASE_COUNTDOWN || e.Phase == racev1.Phase_PHASE_RACING {
			r.scheduleStart(e.StartAtMs)
		}
	case client.FrogMoved:
		if e.Frog.GetPlayerId() == r.me {
			r.moved(e)
		}
	case client.RaceResult:
		if e.Reason != racev1.RaceResult_REASON_FINISH {
			return true, fmt.Errorf("race ended by %s, not at the finish line", e.Reason)
		}
		r.log.Debug("race finished", "winner", e.WinnerPlayerId, "me", r.me)
		return true, nil
	case client.ServerError:
		switch e.Code {
		case realtimev1.Error_CODE_UNKNOWN_OP_CODE, realtimev1.Error_CODE_INVALID_TARGET:
			r.log.Warn("server refused a frame", "code", e.Code, "message", e.Message)
		default:
			r.lastErr = e.Error
		}
	case client.Closed:
		if r.lastErr != nil {
			return true, fmt.Errorf("closed (%d) before the result: %s: %s", e.Code, r.lastErr.Code, r.lastErr.Message)
		}
		return true, fmt.Errorf("closed (%d %s) before the result", e.Code, e.Text)
	}
	return false, nil
}

// moved handles a FrogMoved of the bot's own frog.
func (r *racer) moved(e client.FrogMoved) {
	switch e.Cause {
	case racev1.FrogMoved_CAUSE_HOP:
		if !r.hopSent.IsZero() {
			r.res.hops = append(r.res.hops, e.At.Sub(r.hopSent))
			r.hopSent = time.Time{}
		}
		r.hopping = true
		r.schedule(actNone, 0)
		if r.rng.Float64() < r.cfg.EarlyPress {
			// Somewhere in the middle of the hop, as an impatient player would.
			hop := time.Duration(e.Frog.HopEndMs-e.Frog.HopStartMs) * time.Millisecond
			r.schedule(actEarly, hop/5+time.Duration(r.rng.Int64N(int64(hop*3/5)+1)))
		}
	case racev1.FrogMoved_CAUSE_LANDED:
		r.hopping = false
		if e.Frog.FinishedAtMs != 0 {
			r.finished = true
			r.schedule(actNone, 0)
			return
		}
		r.schedule(actHop, r.reaction())
	}
}

// scheduleStart plans the first hop a reaction time after the start.
func (r *racer) scheduleStart(startAtMs int64) {
	if r.started || startAtMs == 0 {
		return
	}
	r.started = true
	r.schedule(actHop, r.conn.LocalTime(startAtMs).Sub(r.now())+r.reaction())
}

func (r *racer) act() error {
	next := r.next
	r.next = actNone
	switch next {
	case actHop, actRetry:
		if r.hopping || r.finished {
			return nil
		}
		if err := r.conn.SendHop(); err != nil {
			return fmt.Errorf("send hop: %w", err)
		}
		r.hopSent = r.now()
		r.schedule(actRetry, r.cfg.HopTimeout)
	case actEarly:
		if !r.hopping {
			return nil
		}
		if err := r.conn.SendHop(); err != nil {
			return fmt.Errorf("send early hop: %w", err)
		}
		r.res.early++
	}
	return nil
}

// schedule sets the one timer; actNone stops it.
func (r *racer) schedule(a action, after time.Duration) {
	r.timer.Stop()
	r.next = a
	if a != actNone {
		r.timer.Reset(max(after, 0))
	}
}

// reaction draws a delay within ±HopJitter of HopDelay.
func (r *racer) reaction() time.Duration { return jittered(r.bot, r.cfg.HopDelay, r.cfg.HopJitter) }

// jittered draws a delay within ±j of d, not below 0.
func jittered(b *bot, d, j time.Duration) time.Duration {
	if j > 0 {
		d += time.Duration(b.rng.Int64N(int64(2*j)+1)) - j
	}
	return max(d, 0)
}
