package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/leapfrog-games/leapfrog/client"
	"github.com/leapfrog-games/leapfrog/contract/closecode"
	racev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/race/v1"
	realtimev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/realtime/v1"
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
	// outFlooded: a flooder (the hop-flood fault) was closed by the race
	// server's input budget (4012), as it should be.
	outFlooded = "flooded"
	outFailed  = "failed"
)

// behaviour is what one player does.
type behaviour int

func (b behaviour) String() string {
	return [...]string{"racing", "no-show", "lobby-leaver", "disconnector", "flooder", "late-no-show", "mid-race-asker"}[b]
}

const (
	racing       behaviour = iota
	noShow                 // matches and never connects
	lobbyLeaver            // connects, then leaves before the race
	disconnector           // races, drops its connection mid-race and comes back
	flooder                // races and sends a burst of hop presses mid-race
	// lateNoShow matches and does not come; asks again after its race was
	// reported waiting, then comes with the fresh token once its first
	// token could no longer bring it (a seat given twice, if the fresh
	// token did not keep the seat).
	lateNoShow
	// midRaceAsker races, asks again mid-race and keeps that token; once
	// every token the server saw has expired it comes back with it (a race
	// started again, if the server welcomes it).
	midRaceAsker
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
	// sessionTTL is the allocator's token lifetime; seatHold how long a
	// seat is held after its last token (token.AcceptedFor).
	sessionTTL, seatHold time.Duration
	// servers are the race servers' ws URLs the players were sent to: the
	// idle-sockets attacker's targets.
	servers *serverSet
	// attacked is set while an attacker holds idle sockets on them.
	attacked atomic.Bool
}

type result struct {
	outcome string
	detail  string // why, for failures
	reason  racev1.RaceResult_Reason
	race    string // the race the player was welcomed into
	// refused is the error code the server closed with before a Welcome.
	refused realtimev1.Error_Code
	// seatGivenTwice: the player's token was refused because the race was
	// full of others (its seat had been given to another player too).
	seatGivenTwice bool
	// raceRestarted: a token of a race that had ended was welcomed into it.
	raceRestarted bool
	// refusedUnderAttack: the race server turned the player away (HTTP 503)
	// while an attacker held idle sockets.
	refusedUnderAttack bool
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
	m, err := retrying(ctx, e.patience, func() (client.Match, error) { return e.api.Match(ctx, g.GuestToken, seats) })
	if err == nil {
		e.servers.add(m.WSURL)
	}
	return m, err
}

// dial connects to the race server, dialing again while it answers 503
// (busy: too many connections in their handshake), as the Go client's
// users do, for up to e.patience. refused says whether a 503 came while
// an attacker held idle sockets.
func (e *env) dial(ctx context.Context, wsURL, tok string, opts client.DialOptions) (c *client.Conn, refused bool, err error) {
	deadline := time.Now().Add(e.patience)
	for {
		c, err = client.Dial(ctx, wsURL, tok, opts)
		hsErr, ok := errors.AsType[*client.HandshakeError](err)
		if err == nil || !ok || !hsErr.Busy() || time.Now().After(deadline) {
			return c, refused, err
		}
		refused = refused || e.attacked.Load()
		select {
		case <-ctx.Done():
			return nil, refused, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
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
	case b == lateNoShow:
		out <- e.lateNoShow(ctx, g, m)
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
	return e.raceFor(ctx, g, m, tok, b, e.lobbyLimit)
}

// raceFor is race with its own lobby limit.
func (e *env) raceFor(ctx context.Context, g client.Guest, m client.Match, tok string, b behaviour, lobbyLimit time.Duration) result {
	return e.raceOnce(ctx, g, m, tok, b, lobbyLimit, false)
}

// raceOnce is raceFor; second says the player already asked again after its
// seat was taken.
func (e *env) raceOnce(ctx context.Context, g client.Guest, m client.Match, tok string, b behaviour, lobbyLimit time.Duration, second bool) result {
	ctx, cancel := context.WithTimeout(ctx, e.raceLimit)
	defer cancel()
	opts := dial
	if b == flooder {
		opts.SendQueue = e.floodHops + 16
	}
	c, refused, err := e.dial(ctx, m.WSURL, tok, opts)
	if err != nil {
		r := failed("dial %s: %v", m.GameServer, err)
		r.refusedUnderAttack = refused
		return r
	}
	defer c.Close()
	r := e.play(ctx, g, m, c, b, lobbyLimit)
	r.refusedUnderAttack = r.refusedUnderAttack || refused
	if r.seatGivenTwice && !second {
		// A seat of a race reported waiting may be promised to two players
		// (docs/high-density.md, "Pairing across replicas"): the race
		// server seats whoever comes first, and the report tells the
		// allocators who won, so the other, asking again as the browser
		// does a second later, is placed elsewhere. Only a seat refused
		// again after that was given twice.
		select {
		case <-ctx.Done():
			return r
		case <-time.After(time.Second):
		}
		again, err := e.match(ctx, g, 1)
		if err != nil {
			return failed("%s: match again after a seat taken by another player: %v", g.PlayerID, err)
		}
		return e.raceOnce(ctx, g, again, again.PlayerSessionToken, b, lobbyLimit, true)
	}
	return r
}

// play plays one connection until the server lets the player go.
func (e *env) play(ctx context.Context, g client.Guest, m client.Match, c *client.Conn, b behaviour, lobbyLimit time.Duration) result {
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
	lobby := time.NewTimer(lobbyLimit)
	defer lobby.Stop()
	var (
		started, faulted bool
		startedAt        time.Time
		lastErr          *realtimev1.Error
		res              *racev1.RaceResult
		race             string
		midRace          *client.Match // midRaceAsker's token, asked for mid-race
	)
	for {
		select {
		case <-ctx.Done():
			return failed("%s (%s) on %s: no end within %v (started %v, result %v, last error %v)", g.PlayerID, b, m.GameServer, e.raceLimit, started, res, lastErr)
		case <-lobby.C:
			if !started {
				return result{outcome: outNobodyCame, race: race}
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
			case client.Welcome:
				race = ev.SessionId
			case client.Countdown:
				if !started {
					started, startedAt = true, time.Now()
				}
				if b == midRaceAsker && midRace == nil {
					again, err := e.match(ctx, g, 1)
					if err != nil {
						return failed("%s: match again mid-race: %v", g.PlayerID, err)
					}
					midRace = &again
				}
			case client.RaceResult:
				res = ev.RaceResult
			case client.ServerError:
				lastErr = ev.Error
			case client.Closed:
				r := classify(res, started, lastErr, ev)
				if b == flooder && faulted && ev.Code == int(closecode.RateLimited) {
					r = result{outcome: outFlooded}
				}
				if r.outcome == outFailed {
					r.detail = b.String() + ": " + r.detail
				}
				r.race = race
				if race == "" {
					r.refused = lastErr.GetCode()
				}
				if race == "" && lastErr.GetCode() == realtimev1.Error_CODE_SESSION_FULL && strings.Contains(lastErr.GetMessage(), "session already has") {
					r.seatGivenTwice = true
					r.detail = fmt.Sprintf("%s on %s: refused, the race is full of others: its seat was given twice (%q)", g.PlayerID, m.GameServer, lastErr.GetMessage())
				}
				if b == midRaceAsker && midRace != nil && r.outcome != outFailed {
					r.raceRestarted = e.comeBackAfterTheEnd(ctx, *midRace, race, m.ExpiresAt)
				}
				return r
			}
		}
	}
}

// lateNoShow is a player placed at placed (m) who does not come: it asks
// again once its race was reported waiting without it, and comes with the
// fresh token once its first token could no longer bring it. The fresh
// token must still hold its seat: nobody else may have been given it.
func (e *env) lateNoShow(ctx context.Context, g client.Guest, m client.Match) result {
	placed := time.Now()
	if err := sleepUntil(ctx, placed.Add(noShowTimeout+2*time.Second)); err != nil {
		return failed("late no-show: %v", err)
	}
	again, err := e.match(ctx, g, 1)
	if err != nil {
		return failed("late no-show: match again: %v", err)
	}
	if err := sleepUntil(ctx, placed.Add(e.seatHold+time.Second)); err != nil {
		return failed("late no-show: %v", err)
	}
	r := e.raceFor(ctx, g, again, again.PlayerSessionToken, racing, e.lobbyLimit)
	if r.race != "" || r.refused != realtimev1.Error_CODE_REJECTED {
		return r
	}
	// Nobody came to the race (the no-show was alone in it): the allocator
	// forgot it, the race server no longer starts it, and the player asks
	// again, as the server says.
	m2, err := e.match(ctx, g, 1)
	if err != nil {
		return failed("late no-show: match after a refusal: %v", err)
	}
	return e.race(ctx, g, m2, m2.PlayerSessionToken, racing)
}

// comeBackAfterTheEnd comes back with the token a player asked for mid-race
// once every token of the race the server saw has expired (they expire
// with the player's first, firstExpiry, give or take the seconds between
// the two players' matches): it reports whether the server welcomed it
// into the race that ended, a race started again.
func (e *env) comeBackAfterTheEnd(ctx context.Context, mid client.Match, race string, firstExpiry time.Time) bool {
	if err := sleepUntil(ctx, firstExpiry.Add(3*time.Second)); err != nil {
		return false
	}
	c, _, err := e.dial(ctx, mid.WSURL, mid.PlayerSessionToken, dial)
	if err != nil {
		return false
	}
	defer c.Close()
	for {
		select {
		case <-ctx.Done():
			return false
		case ev, ok := <-c.Events():
			if !ok {
				return false
			}
			switch ev := ev.(type) {
			case client.Welcome:
				return ev.SessionId == race
			case client.Closed:
				return false
			}
		}
	}
}

func sleepUntil(ctx context.Context, at time.Time) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(time.Until(at)):
		return nil
	}
}

// serverSet is the race servers' ws URLs seen in matches.
type serverSet struct {
	mu   sync.Mutex
	urls map[string]struct{}
}

func (s *serverSet) add(wsURL string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.urls == nil {
		s.urls = make(map[string]struct{})
	}
	s.urls[wsURL] = struct{}{}
}

func (s *serverSet) list() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.urls))
	for u := range s.urls {
		out = append(out, u)
	}
	return out
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
