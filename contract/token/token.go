package token

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// Sentinel errors a caller acts on. Every verification failure wraps exactly
// one of them.
var (
	// ErrInvalid: malformed, forged, signed with an unknown key, or with the
	// wrong audience or claims.
	ErrInvalid = errors.New("invalid token")
	// ErrExpired: the token was valid but its expiry has passed.
	ErrExpired = errors.New("token expired")
	// ErrWrongServer: a player session token minted for another game server.
	ErrWrongServer = errors.New("token is for another game server")
)

const (
	issuer          = "leapfrog"
	audienceGuest   = "leapfrog/guest"
	audiencePlayer  = "leapfrog/player-session"
	clockSkewLeeway = ClockSkewLeeway
	maxTokenBytes   = 4096
)

// ClockSkewLeeway is how far past its expiry a token is still accepted (and
// how far in the future its issue time may be): clocks of the allocator and
// the game servers differ a little.
const ClockSkewLeeway = 5 * time.Second

// AcceptedFor is how long after it asked for a token of lifetime ttl a
// caller can be sure the token is no longer accepted: the lifetime, the
// leeway, and a second for the clock read between the ask and the mint.
func AcceptedFor(ttl time.Duration) time.Duration { return ttl + ClockSkewLeeway + time.Second }

// PlayerSession is the content of a player session token: which player may
// join which game server until when.
type PlayerSession struct {
	ID         string // token id (jti), unique per mint
	PlayerID   string
	GameServer string
	// Match names the match on a high-density game server (one process, many
	// matches); empty on a server that hosts one match at a time.
	Match string
	// MatchStartBy is the latest time the match may start on its server: its
	// placement plus the allocator's no-show window, after which the
	// allocator forgets a match nobody brought. It is the same in every token
	// of the match (claim race_start_by, whole seconds). Zero in tokens minted
	// before the claim existed, and without a match.
	MatchStartBy time.Time
	IssuedAt     time.Time
	ExpiresAt    time.Time
}

// Guest is the content of a guest identity token.
type Guest struct {
	PlayerID  string
	ExpiresAt time.Time
}

// Issuer mints and verifies tokens with a keyset.
type Issuer struct {
	keys *Keyset
	now  func() time.Time
}

// NewIssuer returns an Issuer; now may be nil for the wall clock.
func NewIssuer(keys *Keyset, now func() time.Time) *Issuer {
	if now == nil {
		now = time.Now
	}
	return &Issuer{keys: keys, now: now}
}

// NewID returns a random 128-bit hex id, for token ids and guest player ids.
func NewID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err)) // never fails on supported platforms
	}
	return hex.EncodeToString(b[:])
}

// MintPlayerSession signs a player session token for playerID on gameServer.
func (is *Issuer) MintPlayerSession(playerID, gameServer string, ttl time.Duration) (string, PlayerSession, error) {
	return is.MintMatchSession(playerID, gameServer, "", ttl)
}

// MintMatchSession signs a player session token for playerID in match on the
// high-density gameServer, without a start deadline (as tokens were before
// the race_start_by claim); an empty match is MintPlayerSession.
func (is *Issuer) MintMatchSession(playerID, gameServer, match string, ttl time.Duration) (string, PlayerSession, error) {
	return is.MintMatchSeat(playerID, gameServer, match, time.Time{}, ttl)
}

// MintMatchSeat signs a player session token for playerID in match on the
// high-density gameServer, a match its server may start only until startBy
// (zero: no deadline, a token as minted before the claim existed).
func (is *Issuer) MintMatchSeat(playerID, gameServer, match string, startBy time.Time, ttl time.Duration) (string, PlayerSession, error) {
	if playerID == "" || gameServer == "" {
		return "", PlayerSession{}, errors.New("mint player session: player id and game server are required")
	}
	if len(match) > maxMatchBytes {
		return "", PlayerSession{}, fmt.Errorf("mint player session: match id longer than %d bytes", maxMatchBytes)
	}
	if !startBy.IsZero() && match == "" {
		return "", PlayerSession{}, errors.New("mint player session: a match start deadline without a match")
	}
	now := is.now()
	ps := PlayerSession{ID: NewID(), PlayerID: playerID, GameServer: gameServer, Match: match,
		IssuedAt: now.Truncate(time.Second), ExpiresAt: now.Add(ttl).Truncate(time.Second)}
	c := &claims{GameServer: gameServer, Match: match,
		Issuer: issuer, Subject: playerID, Audience: audience{audiencePlayer},
		IssuedAt: newNumericDate(now), ExpiresAt: newNumericDate(ps.ExpiresAt), ID: ps.ID,
	}
	if !startBy.IsZero() {
		c.MatchStartBy = newNumericDate(startBy)
		ps.MatchStartBy = c.MatchStartBy.Time
	}
	s, err := is.sign(c)
	return s, ps, err
}

// maxMatchBytes bounds a match id (an Agones list value is at most 63 bytes
// in practice: match ids are short).
const maxMatchBytes = 63

// MintGuest signs a guest identity for a new random player id.
func (is *Issuer) MintGuest(ttl time.Duration) (string, Guest, error) {
	now := is.now()
	g := Guest{PlayerID: "guest-" + NewID()[:20], ExpiresAt: now.Add(ttl).Truncate(time.Second)}
	s, err := is.sign(&claims{
		Issuer: issuer, Subject: g.PlayerID, Audience: audience{audienceGuest},
		IssuedAt: newNumericDate(now), ExpiresAt: newNumericDate(g.ExpiresAt), ID: NewID(),
	})
	return s, g, err
}

// VerifyPlayerSession checks a player session token's signature, audience and
// expiry, and that it was minted for gameServer.
func (is *Issuer) VerifyPlayerSession(raw, gameServer string) (PlayerSession, error) {
	c, err := is.verify(raw, audiencePlayer)
	if err != nil {
		return PlayerSession{}, err
	}
	if c.GameServer == "" {
		return PlayerSession{}, fmt.Errorf("%w: no game server claim", ErrInvalid)
	}
	if len(c.Match) > maxMatchBytes {
		return PlayerSession{}, fmt.Errorf("%w: match id longer than %d bytes", ErrInvalid, maxMatchBytes)
	}
	if c.MatchStartBy != nil && c.Match == "" {
		return PlayerSession{}, fmt.Errorf("%w: a match start deadline without a match", ErrInvalid)
	}
	ps := PlayerSession{ID: c.ID, PlayerID: c.Subject, GameServer: c.GameServer, Match: c.Match, ExpiresAt: c.ExpiresAt.Time}
	if c.IssuedAt != nil {
		ps.IssuedAt = c.IssuedAt.Time
	}
	if c.MatchStartBy != nil {
		ps.MatchStartBy = c.MatchStartBy.Time
	}
	if c.GameServer != gameServer {
		return ps, fmt.Errorf("%w: minted for %q, this is %q", ErrWrongServer, c.GameServer, gameServer)
	}
	return ps, nil
}

// VerifyGuest checks a guest identity token.
func (is *Issuer) VerifyGuest(raw string) (Guest, error) {
	c, err := is.verify(raw, audienceGuest)
	if err != nil {
		return Guest{}, err
	}
	return Guest{PlayerID: c.Subject, ExpiresAt: c.ExpiresAt.Time}, nil
}

func (is *Issuer) verify(raw, aud string) (*claims, error) {
	if raw == "" {
		return nil, fmt.Errorf("%w: empty", ErrInvalid)
	}
	if len(raw) > maxTokenBytes {
		return nil, fmt.Errorf("%w: longer than %d bytes", ErrInvalid, maxTokenBytes)
	}
	c, err := is.parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if err := validate(c, is.now(), aud); err != nil {
		return nil, err
	}
	if c.Subject == "" {
		return nil, fmt.Errorf("%w: no subject", ErrInvalid)
	}
	return c, nil
}
