// Package playtest plays races against a running allocator and race servers
// for the end-to-end suites: players that join, race as fast as the rules
// allow, and report what they saw.
package playtest

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
	racev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/race/v1"
	realtimev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/realtime/v1"
)

// WaitFor bounds every wait: far above what any step takes on a loaded
// machine.
var WaitFor = 30 * time.Second

const (
	// pressEvery is how often a racer looks whether it may hop.
	pressEvery = 20 * time.Millisecond
	// repress is how long a racer waits for its hop to show before pressing
	// again: presses before the start are ignored.
	repress = 150 * time.Millisecond
)

// DialOptions connect without a proxy (loopback only) and with room for
// every event of a race while a test is busy elsewhere.
var DialOptions = client.DialOptions{
	Dialer:      &websocket.Dialer{HandshakeTimeout: 10 * time.Second},
	EventBuffer: 256,
}

// Player is a connected player.
type Player struct {
	ID   string
	Conn *client.Conn
}

// Join connects with a player session token and waits for Welcome; the
// connection is closed when the test ends.
func Join(t testing.TB, wsURL, playerID, tok string) Player {
	t.Helper()
	c, err := client.Dial(t.Context(), wsURL, tok, DialOptions)
	if err != nil {
		t.Fatalf("%s: %v", playerID, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	ctx, cancel := context.WithTimeout(t.Context(), WaitFor)
	defer cancel()
	var lastErr *realtimev1.Error
	for {
		ev, err := NextEvent(ctx, c)
		if err != nil {
			t.Fatalf("%s: wait for welcome: %v", playerID, err)
		}
		switch e := ev.(type) {
		case client.Welcome:
			if e.PlayerId != playerID {
				t.Fatalf("welcomed as %q, want %q", e.PlayerId, playerID)
			}
			return Player{ID: playerID, Conn: c}
		case client.ServerError:
			lastErr = e.Error
		case client.Closed:
			t.Fatalf("%s: closed (%d %q) before welcome; last error: %v", playerID, e.Code, e.Text, lastErr)
		}
	}
}

// Refusal is how the server turned a connection down.
type Refusal struct {
	Code  realtimev1.Error_Code
	Close int
}

// Refuse connects with a player session token that the server must turn
// down, and returns the last error frame's code and the close code.
func Refuse(t testing.TB, wsURL, tok string) Refusal {
	t.Helper()
	c, err := client.Dial(t.Context(), wsURL, tok, DialOptions)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	lastErr, closed, err := AwaitClose(t.Context(), c)
	if err != nil {
		t.Fatal(err)
	}
	if lastErr == nil {
		t.Fatalf("closed (%d %q) without an error frame", closed.Code, closed.Text)
	}
	return Refusal{Code: lastErr.Code, Close: closed.Code}
}

// AwaitClose reads a connection until it closes; it returns the last error
// frame (nil if none) and the close. A Welcome is an error: the connection
// was expected to be refused or ended by the server.
func AwaitClose(ctx context.Context, c *client.Conn) (*realtimev1.Error, client.Closed, error) {
	ctx, cancel := context.WithTimeout(ctx, WaitFor)
	defer cancel()
	var lastErr *realtimev1.Error
	for {
		ev, err := NextEvent(ctx, c)
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

// NextEvent waits for the next event of c or the end of ctx.
func NextEvent(ctx context.Context, c *client.Conn) (client.Event, error) {
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

// Outcome is what one player saw of a race.
type Outcome struct {
	Result  *racev1.RaceResult
	LastErr *realtimev1.Error
	Closed  *client.Closed
}

// racer drives one frog: it hops whenever the frog stands still and the race
// is on, as fast as the rules allow.
type racer struct {
	Player
	Outcome
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
		if f.GetPlayerId() != r.ID {
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
		r.Result = e.RaceResult
	case client.ServerError:
		r.LastErr = e.Error
	case client.Closed:
		r.Closed = &e
	}
}

// press hops if the frog may. Every process of the suite runs on this
// machine, so the server's timestamps are on the local clock.
func (r *racer) press(now time.Time) {
	if !r.started || r.finished || r.Result != nil || now.Before(r.hopEnd) {
		return
	}
	if !r.pressed.IsZero() && now.Sub(r.pressed) < repress {
		return
	}
	if r.Conn.SendHop() == nil {
		r.pressed = now
	}
}

// run says the scene is ready, then hops and reads events until done
// reports true; a close before that is an error.
func (r *racer) run(ctx context.Context, done func() bool) error {
	ctx, cancel := context.WithTimeout(ctx, WaitFor)
	defer cancel()
	if err := r.Conn.SendSceneReady(); err != nil {
		return fmt.Errorf("%s: send scene ready: %w", r.ID, err)
	}
	tick := time.NewTicker(pressEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %w (started %v, hops %d, result %v, last error %v)", r.ID, ctx.Err(), r.started, r.hops, r.Result, r.LastErr)
		case <-tick.C:
			r.press(time.Now())
		case ev, ok := <-r.Conn.Events():
			if !ok {
				return fmt.Errorf("%s: events ended without a close", r.ID)
			}
			r.observe(ev)
			if done() {
				return nil
			}
			if c := r.Closed; c != nil {
				return fmt.Errorf("%s: closed (%d %q) too early; result %v, last error %v", r.ID, c.Code, c.Text, r.Result, r.LastErr)
			}
		}
	}
}

// Race plays a whole race between the players, each on its own goroutine,
// until the server has closed every connection after the result.
func Race(t testing.TB, players ...Player) []Outcome {
	t.Helper()
	outs, err := play(t.Context(), players, func(r *racer) bool { return r.Result != nil && r.Closed != nil })
	if err != nil {
		t.Fatal(err)
	}
	return outs
}

// RaceUntilClosed plays a race between the players as Race does, but takes
// any end: it returns once the server has closed every connection, after a
// result or not (a draining server may end a race early with
// CODE_SHUTTING_DOWN, 1001). Safe to call from any goroutine.
func RaceUntilClosed(t testing.TB, players ...Player) []Outcome {
	t.Helper()
	outs, err := play(t.Context(), players, func(r *racer) bool { return r.Closed != nil })
	if err != nil {
		t.Error(err)
	}
	return outs
}

// play races the players, each on its own goroutine, until done says so
// for every one of them.
func play(ctx context.Context, players []Player, done func(*racer) bool) ([]Outcome, error) {
	racers := make([]*racer, len(players))
	g, ctx := errgroup.WithContext(ctx)
	for i, p := range players {
		r := &racer{Player: p}
		racers[i] = r
		g.Go(func() error {
			return r.run(ctx, func() bool { return done(r) })
		})
	}
	err := g.Wait()
	outs := make([]Outcome, len(racers))
	for i, r := range racers {
		outs[i] = r.Outcome
	}
	return outs, err
}

// StartRacing brings the players to the race and returns once each frog has
// started its first hop: the race is on and far from decided.
func StartRacing(t testing.TB, players ...Player) {
	t.Helper()
	g, ctx := errgroup.WithContext(t.Context())
	for _, p := range players {
		r := &racer{Player: p}
		g.Go(func() error {
			return r.run(ctx, func() bool { return r.hops > 0 })
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
}

// CheckOneWinner checks that every player saw the same finish, won by one of
// them, and was then let go with close 1000 (the session ended).
func CheckOneWinner(t testing.TB, players []Player, outs []Outcome) {
	t.Helper()
	ids := make([]string, len(players))
	for i, p := range players {
		ids[i] = p.ID
	}
	winner := outs[0].Result.GetWinnerPlayerId()
	if !slices.Contains(ids, winner) {
		t.Errorf("winner %q is none of the players %q", winner, ids)
	}
	for i, out := range outs {
		res := out.Result
		if res.GetReason() != racev1.RaceResult_REASON_FINISH {
			t.Errorf("%s: race ended by %s, want the finish line", ids[i], res.GetReason())
		}
		if res.GetWinnerPlayerId() != winner || res.GetWinnerLane() != outs[0].Result.GetWinnerLane() {
			t.Errorf("%s saw winner %q (lane %d), %s saw %q (lane %d)", ids[i], res.GetWinnerPlayerId(), res.GetWinnerLane(),
				ids[0], winner, outs[0].Result.GetWinnerLane())
		}
		if out.Closed.Code != websocket.CloseNormalClosure || out.LastErr.GetCode() != realtimev1.Error_CODE_SESSION_ENDED {
			t.Errorf("%s: after the result got error %v and close %d, want %s and %d", ids[i], out.LastErr, out.Closed.Code,
				realtimev1.Error_CODE_SESSION_ENDED, websocket.CloseNormalClosure)
		}
	}
}

// ExpectClosed waits for the server to close each player's connection and
// checks the close code and, unless wantErr is CODE_UNSPECIFIED, that the
// last Error frame before it had code wantErr.
func ExpectClosed(t testing.TB, players []Player, wantErr realtimev1.Error_Code, wantClose int) {
	t.Helper()
	for _, p := range players {
		lastErr, closed, err := AwaitClose(t.Context(), p.Conn)
		if err != nil {
			t.Fatalf("%s: %v", p.ID, err)
		}
		if closed.Code != wantClose || (wantErr != realtimev1.Error_CODE_UNSPECIFIED && lastErr.GetCode() != wantErr) {
			t.Errorf("%s: got error %v and close %d (%q), want %s and close %d", p.ID, lastErr, closed.Code, closed.Text, wantErr, wantClose)
		}
	}
}
