package e2e

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"golang.org/x/sync/errgroup"

	"github.com/leapfrog-games/leapfrog/client"
	racev1 "github.com/leapfrog-games/leapfrog/gameserver/proto/leapfrog/race/v1"
	realtimev1 "github.com/leapfrog-games/leapfrog/gameserver/proto/leapfrog/realtime/v1"
)

const (
	// pressEvery is how often a racer looks whether it may hop.
	pressEvery = 20 * time.Millisecond
	// repress is how long a racer waits for its hop to show before pressing
	// again: presses before the start are ignored.
	repress = 150 * time.Millisecond
)

// dialOptions connect without a proxy (loopback only) and with room for
// every event of a race while a test is busy elsewhere.
var dialOptions = client.DialOptions{
	Dialer:      &websocket.Dialer{HandshakeTimeout: 10 * time.Second},
	EventBuffer: 256,
}

// player is a connected player.
type player struct {
	id   string
	conn *client.Conn
}

// join connects with a player session token and waits for Welcome; the
// connection is closed when the test ends.
func join(t *testing.T, wsURL, playerID, tok string) player {
	t.Helper()
	c, err := client.Dial(t.Context(), wsURL, tok, dialOptions)
	if err != nil {
		t.Fatalf("%s: %v", playerID, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	ctx, cancel := context.WithTimeout(t.Context(), waitFor)
	defer cancel()
	var lastErr *realtimev1.Error
	for {
		ev, err := nextEvent(ctx, c)
		if err != nil {
			t.Fatalf("%s: wait for welcome: %v", playerID, err)
		}
		switch e := ev.(type) {
		case client.Welcome:
			if e.PlayerId != playerID {
				t.Fatalf("welcomed as %q, want %q", e.PlayerId, playerID)
			}
			return player{id: playerID, conn: c}
		case client.ServerError:
			lastErr = e.Error
		case client.Closed:
			t.Fatalf("%s: closed (%d %q) before welcome; last error: %v", playerID, e.Code, e.Text, lastErr)
		}
	}
}

// refusal is how the server turned a connection down.
type refusal struct {
	code  realtimev1.Error_Code
	close int
}

// refuse connects with a player session token that the server must turn
// down, and returns the last error frame's code and the close code.
func refuse(t *testing.T, wsURL, tok string) refusal {
	t.Helper()
	c, err := client.Dial(t.Context(), wsURL, tok, dialOptions)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	lastErr, closed, err := awaitClose(t.Context(), c)
	if err != nil {
		t.Fatal(err)
	}
	if lastErr == nil {
		t.Fatalf("closed (%d %q) without an error frame", closed.Code, closed.Text)
	}
	return refusal{code: lastErr.Code, close: closed.Code}
}

// awaitClose reads a connection until it closes; it returns the last error
// frame (nil if none) and the close. A Welcome is an error: the connection
// was expected to be refused or ended by the server.
func awaitClose(ctx context.Context, c *client.Conn) (*realtimev1.Error, client.Closed, error) {
	ctx, cancel := context.WithTimeout(ctx, waitFor)
	defer cancel()
	var lastErr *realtimev1.Error
	for {
		ev, err := nextEvent(ctx, c)
		if err != nil {
			return lastErr, client.Closed{}, fmt.Errorf("wait for the server to close: %w", err)
		}
		switch e := ev.(type) {
		case client.Welcome:
			return lastErr, client.Closed{}, fmt.Errorf("the server welcomed %s", e.PlayerId)
		case client.ServerError:
			lastErr = e.Error
		case client.Closed:
			return lastErr, e, nil
		}
	}
}

func nextEvent(ctx context.Context, c *client.Conn) (client.Event, error) {
	select {
	case ev, ok := <-c.Events():
		if !ok {
			return nil, errors.New("events ended without a close")
		}
		return ev, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// outcome is what one player saw of a race.
type outcome struct {
	result  *racev1.RaceResult
	lastErr *realtimev1.Error
	closed  *client.Closed
}

// racer drives one frog: it hops whenever the frog stands still and the race
// is on, as fast as the rules allow.
type racer struct {
	player
	outcome
	started  bool      // a countdown was seen: presses may count
	hopEnd   time.Time // when the current hop lands; zero when standing
	pressed  time.Time // the last press the server has not answered; zero when none
	hops     int       // hops the server started
	finished bool
}

// observe updates the racer from one event.
func (r *racer) observe(ev client.Event) {
	switch e := ev.(type) {
	case client.Countdown:
		r.started = true
	case client.RaceSnapshot:
		if e.Phase == racev1.Phase_PHASE_COUNTDOWN || e.Phase == racev1.Phase_PHASE_RACING {
			r.started = true
		}
	case client.FrogMoved:
		f := e.Frog
		if f.GetPlayerId() != r.id {
			return
		}
		r.pressed = time.Time{}
		switch e.Cause {
		case racev1.FrogMoved_CAUSE_HOP:
			r.hops++
			r.hopEnd = time.UnixMilli(f.HopEndMs)
		case racev1.FrogMoved_CAUSE_PENALTY:
			r.hopEnd = time.UnixMilli(f.HopEndMs)
		case racev1.FrogMoved_CAUSE_LANDED:
			r.hopEnd = time.Time{}
		}
		r.finished = f.FinishedAtMs != 0
	case client.RaceResult:
		r.result = e.RaceResult
	case client.ServerError:
		r.lastErr = e.Error
	case client.Closed:
		r.closed = &e
	}
}

// press hops if the frog may. Every process of the suite runs on this
// machine, so the server's timestamps are on the local clock.
func (r *racer) press(now time.Time) {
	if !r.started || r.finished || r.result != nil || now.Before(r.hopEnd) {
		return
	}
	if !r.pressed.IsZero() && now.Sub(r.pressed) < repress {
		return
	}
	if r.conn.SendHop() == nil {
		r.pressed = now
	}
}

// run says the scene is ready, then hops and reads events until done
// reports true; a close before that is an error.
func (r *racer) run(ctx context.Context, done func() bool) error {
	ctx, cancel := context.WithTimeout(ctx, waitFor)
	defer cancel()
	if err := r.conn.SendSceneReady(); err != nil {
		return fmt.Errorf("%s: send scene ready: %w", r.id, err)
	}
	tick := time.NewTicker(pressEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %w (hops %d, result %v)", r.id, ctx.Err(), r.hops, r.result)
		case <-tick.C:
			r.press(time.Now())
		case ev, ok := <-r.conn.Events():
			if !ok {
				return fmt.Errorf("%s: events ended without a close", r.id)
			}
			r.observe(ev)
			if done() {
				return nil
			}
			if c := r.closed; c != nil {
				return fmt.Errorf("%s: closed (%d %q) too early; result %v, last error %v", r.id, c.Code, c.Text, r.result, r.lastErr)
			}
		}
	}
}

// race plays a whole race between the players, each on its own goroutine,
// until the server has closed every connection after the result.
func race(t *testing.T, players ...player) []outcome {
	t.Helper()
	racers := make([]*racer, len(players))
	g, ctx := errgroup.WithContext(t.Context())
	for i, p := range players {
		r := &racer{player: p}
		racers[i] = r
		g.Go(func() error {
			return r.run(ctx, func() bool { return r.result != nil && r.closed != nil })
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	outs := make([]outcome, len(racers))
	for i, r := range racers {
		outs[i] = r.outcome
	}
	return outs
}

// startRacing brings the players to the race and returns once each frog has
// started its first hop: the race is on and far from decided.
func startRacing(t *testing.T, players ...player) {
	t.Helper()
	g, ctx := errgroup.WithContext(t.Context())
	for _, p := range players {
		r := &racer{player: p}
		g.Go(func() error {
			return r.run(ctx, func() bool { return r.hops > 0 })
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
}

// checkOneWinner checks that every player saw the same finish, won by one of
// them, and was then let go with close 1000 (the session ended).
func checkOneWinner(t *testing.T, players []player, outs []outcome) {
	t.Helper()
	ids := make([]string, len(players))
	for i, p := range players {
		ids[i] = p.id
	}
	winner := outs[0].result.GetWinnerPlayerId()
	if !slices.Contains(ids, winner) {
		t.Errorf("winner %q is none of the players %q", winner, ids)
	}
	for i, out := range outs {
		res := out.result
		if res.GetReason() != racev1.RaceResult_REASON_FINISH {
			t.Errorf("%s: race ended by %s, want the finish line", ids[i], res.GetReason())
		}
		if res.GetWinnerPlayerId() != winner || res.GetWinnerLane() != outs[0].result.GetWinnerLane() {
			t.Errorf("%s saw winner %q (lane %d), %s saw %q (lane %d)", ids[i], res.GetWinnerPlayerId(), res.GetWinnerLane(),
				ids[0], winner, outs[0].result.GetWinnerLane())
		}
		if out.closed.Code != websocket.CloseNormalClosure || out.lastErr.GetCode() != realtimev1.Error_CODE_SESSION_ENDED {
			t.Errorf("%s: after the result got error %v and close %d, want %s and %d", ids[i], out.lastErr, out.closed.Code,
				realtimev1.Error_CODE_SESSION_ENDED, websocket.CloseNormalClosure)
		}
	}
}
