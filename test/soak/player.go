package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/websocket"

	"github.com/leapfrog-games/leapfrog/client"
	racev1 "github.com/leapfrog-games/leapfrog/gameserver/proto/leapfrog/race/v1"
	realtimev1 "github.com/leapfrog-games/leapfrog/gameserver/proto/leapfrog/realtime/v1"
)

// Outcomes of one player. Every one but failed is a documented end of a
// player's visit: the soak fails on any failed outcome.
const (
	outFinish    = "finish"    // the race reached the finish line
	outForfeit   = "forfeit"   // the other player left for good: won by forfeit
	outAbandoned = "abandoned" // everybody left
	outIdle      = "idle"      // nobody hopped for the race servers' --idle-race-timeout
	// outLobbyTimeout: the player waited alone in the lobby until the
	// session gave up (--wait-for-players): no opponent came in time.
	outLobbyTimeout = "lobby_timeout"
	// outNoCapacity: the fleet stayed full (503) for the player's whole
	// patience; only expected when more players come than places exist.
	outNoCapacity = "no_capacity"
	outNoShow     = "no_show" // a fault: matched and never connected
	outLeft       = "left"    // a fault: left the lobby or the race for good
	// outNobodyCame: the player waited lobbyLimit in the lobby without an
	// opponent and left, as a person would.
	outNobodyCame = "nobody_came"
	outFailed     = "failed"
)

// behaviour is what one player does.
type behaviour int

func (b behaviour) String() string {
	return [...]string{"racing", "no-show", "lobby-leaver", "disconnector", "flooder"}[b]
}

const (
	racing       behaviour = iota
	noShow                 // matches and never connects
	lobbyLeaver            // connects, then leaves before the race
	disconnector           // races, drops its connection mid-race and comes back
	flooder                // races and sends a burst of hop presses mid-race
)

// env is what players share.
type env struct {
	api            *client.Client
	hopEvery       time.Duration
	patience       time.Duration // how long a player keeps asking for a place
	lobbyLimit     time.Duration // how long a player waits in the lobby for an opponent
	raceLimit      time.Duration // one connection's time limit
	floodHops      int
	reconnectAfter time.Duration
}

type result struct {
	outcome string
	detail  string // why, for failures
	reason  racev1.RaceResult_Reason
}

func failed(format string, args ...any) result {
	return result{outcome: outFailed, detail: fmt.Sprintf(format, args...)}
}

var dial = client.DialOptions{Dialer: &websocket.Dialer{HandshakeTimeout: 10 * time.Second}, EventBuffer: 1024}

// guest gets a guest identity, waiting out 429s.
func (e *env) guest(ctx context.Context) (client.Guest, error) {
	return retrying(ctx, e.patience, func() (client.Guest, error) { return e.api.Guest(ctx) })
}

// match gets places, waiting out 429 and 503 for up to e.patience.
func (e *env) match(ctx context.Context, g client.Guest, seats int) (client.Match, error) {
	return retrying(ctx, e.patience, func() (client.Match, error) { return e.api.Match(ctx, g.GuestToken, seats) })
}

var errPatience = errors.New("still refused at the end of the player's patience")

func retrying[T any](ctx context.Context, patience time.Duration, f func() (T, error)) (T, error) {
	deadline := time.Now().Add(patience)
	for {
		v, err := f()
		apiErr, ok := errors.AsType[*client.APIError](err)
		if err == nil || !ok || (apiErr.StatusCode != http.StatusServiceUnavailable && apiErr.StatusCode != http.StatusTooManyRequests) {
			return v, err
		}
		wait := min(max(apiErr.RetryAfter, 100*time.Millisecond), time.Second)
		if time.Now().Add(wait).After(deadline) {
			return v, fmt.Errorf("%w: %v", errPatience, err)
		}
		select {
		case <-ctx.Done():
			return v, ctx.Err()
		case <-time.After(wait):
		}
	}
}

// player plays one guest with the given seats and behaviour; each seat's
// result is sent to out.
func (e *env) player(ctx context.Context, seats int, b behaviour, out chan<- result) {
	send := func(r result) {
		for range seats {
			out <- r
		}
	}
	g, err := e.guest(ctx)
	if err != nil {
		send(failed("guest: %v", err))
		return
	}
	m, err := e.match(ctx, g, seats)
	switch {
	case errors.Is(err, errPatience):
		send(result{outcome: outNoCapacity})
		return
	case err != nil:
		send(failed("match: %v", err))
		return
	case b == noShow:
		send(result{outcome: outNoShow})
		return
	}
	tokens := []string{m.PlayerSessionToken}
	if seats > 1 {
		tokens = tokens[:0]
		for _, s := range m.Seats {
			tokens = append(tokens, s.PlayerSessionToken)
		}
	}
	done := make(chan result, len(tokens))
	for i, tok := range tokens {
		go func() {
			if i == 0 {
				done <- e.race(ctx, g, m, tok, b)
			} else {
				done <- e.race(ctx, g, m, tok, racing)
			}
		}()
	}
	for range tokens {
		out <- <-done
	}
}

// race connects with tok and plays until the server lets the player go.
func (e *env) race(ctx context.Context, g client.Guest, m client.Match, tok string, b behaviour) result {
	ctx, cancel := context.WithTimeout(ctx, e.raceLimit)
	defer cancel()
	opts := dial
	if b == flooder {
		opts.SendQueue = e.floodHops + 16
	}
	c, err := client.Dial(ctx, m.WSURL, tok, opts)
	if err != nil {
		return failed("dial %s: %v", m.GameServer, err)
	}
	defer c.Close()
	if b == lobbyLeaver {
		if err := waitWelcome(ctx, c); err != nil {
			return failed("lobby leaver: %v", err)
		}
		return result{outcome: outLeft}
	}
	if err := c.SendSceneReady(); err != nil {
		return failed("scene ready: %v", err)
	}
	press := time.NewTicker(e.hopEvery)
	defer press.Stop()
	lobby := time.NewTimer(e.lobbyLimit)
	defer lobby.Stop()
	var (
		started, faulted bool
		startedAt        time.Time
		lastErr          *realtimev1.Error
		res              *racev1.RaceResult
	)
	for {
		select {
		case <-ctx.Done():
			return failed("%s (%s) on %s: no end within %v (started %v, result %v, last error %v)", g.PlayerID, b, m.GameServer, e.raceLimit, started, res, lastErr)
		case <-lobby.C:
			if !started {
				return result{outcome: outNobodyCame}
			}
		case <-press.C:
			if started {
				_ = c.SendHop()
			}
			if started && !faulted && time.Since(startedAt) > e.reconnectAfter {
				switch b {
				case disconnector:
					faulted = true
					_ = c.Close()
					return e.comeBack(ctx, g, m)
				case flooder:
					faulted = true
					for range e.floodHops {
						if c.SendHop() != nil {
							break
						}
					}
				}
			}
		case ev, ok := <-c.Events():
			if !ok {
				return failed("%s: events ended without a close", g.PlayerID)
			}
			switch ev := ev.(type) {
			case client.Countdown:
				if !started {
					started, startedAt = true, time.Now()
				}
			case client.RaceResult:
				res = ev.RaceResult
			case client.ServerError:
				lastErr = ev.Error
			case client.Closed:
				return classify(res, started, lastErr, ev)
			}
		}
	}
}

// comeBack is a player whose connection dropped mid-race: it asks the
// allocator again (its place is still its own) and rejoins within the grace.
func (e *env) comeBack(ctx context.Context, g client.Guest, old client.Match) result {
	m, err := e.match(ctx, g, 1)
	if err != nil {
		return failed("rejoin match: %v", err)
	}
	if m.GameServer != old.GameServer {
		// The race ended while the player was away (its opponent finished):
		// the new place is a new race this player walks away from.
		return result{outcome: outLeft}
	}
	return e.race(ctx, g, m, m.PlayerSessionToken, racing)
}

func waitWelcome(ctx context.Context, c *client.Conn) error {
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case ev, ok := <-c.Events():
			if !ok {
				return errors.New("events ended")
			}
			switch ev := ev.(type) {
			case client.Welcome:
				return nil
			case client.Closed:
				return fmt.Errorf("closed %d %q before welcome", ev.Code, ev.Text)
			}
		}
	}
}

// classify names how a player's visit ended.
func classify(res *racev1.RaceResult, started bool, lastErr *realtimev1.Error, closed client.Closed) result {
	if res != nil {
		switch res.GetReason() {
		case racev1.RaceResult_REASON_FINISH:
			return result{outcome: outFinish, reason: res.GetReason()}
		case racev1.RaceResult_REASON_FORFEIT:
			return result{outcome: outForfeit, reason: res.GetReason()}
		case racev1.RaceResult_REASON_ABANDONED:
			return result{outcome: outAbandoned, reason: res.GetReason()}
		case racev1.RaceResult_REASON_IDLE:
			return result{outcome: outIdle, reason: res.GetReason()}
		}
	}
	if !started && (lastErr.GetCode() == realtimev1.Error_CODE_SESSION_ENDED || closed.Code == websocket.CloseNormalClosure) {
		return result{outcome: outLobbyTimeout}
	}
	return failed("closed %d %q without a result (started %v, last error %v %q)", closed.Code, closed.Text, started,
		lastErr.GetCode(), strings.TrimSpace(lastErr.GetMessage()))
}

// badFrames connects to a race server as a hostile client would (no token,
// a text frame, bytes that are no protobuf) and checks that the server
// closes each connection.
func badFrames(ctx context.Context, wsURL string) error {
	for _, frame := range []struct {
		kind int
		data []byte
	}{
		{websocket.TextMessage, []byte(`{"hello":"frog"}`)},
		{websocket.BinaryMessage, []byte{0xff, 0x00, 0x13, 0x37, 0xde, 0xad}},
		{websocket.BinaryMessage, make([]byte, 64<<10)},
	} {
		d := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
		c, _, err := d.DialContext(ctx, wsURL, nil)
		if err != nil {
			return fmt.Errorf("dial: %w", err)
		}
		_ = c.WriteMessage(frame.kind, frame.data)
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		var readErr error
		for readErr == nil {
			_, _, readErr = c.ReadMessage()
		}
		c.Close()
		if _, ok := errors.AsType[*websocket.CloseError](readErr); !ok && !errors.Is(readErr, websocket.ErrCloseSent) {
			if ne, ok := readErr.(interface{ Timeout() bool }); ok && ne.Timeout() {
				return fmt.Errorf("a bad frame (type %d, %d bytes) left the connection open", frame.kind, len(frame.data))
			}
		}
	}
	return nil
}
