package realtime

import (
	"crypto/rand"
	"crypto/subtle"
	"slices"
	"time"
)

// Player is one player of a session: a player id from its player session
// token and a peer id the session assigned. A player outlives its
// connections: a reconnect with a valid token rebinds the same Player.
type Player struct {
	peerID     int32
	playerID   string
	conn       *conn
	joinedAt   time.Time
	reconnects int
	removed    bool
	groups     []int32
	// tokens are the player session token ids admitted so far; secret is
	// the reconnect token of the current connection epoch.
	tokens  []string
	secret  string
	payload []byte // the login payload of the current connection
	// Data is free for the game to use.
	Data any
}

// PeerID is the session-unique peer id (1 and up).
func (p *Player) PeerID() int32 { return p.peerID }

// PlayerID is the player id the allocator put in the player session token.
func (p *Player) PlayerID() string { return p.playerID }

// Payload is the login payload the player's current connection sent with
// its Hello (a GameLift Realtime client's connection token payload, the
// script's connectMsg.payload), or nil. It is a copy: the caller may keep
// and change it. A reconnect replaces it with the new connection's.
func (p *Player) Payload() []byte { return slices.Clone(p.payload) }

// Connected reports whether the player has a live connection.
func (p *Player) Connected() bool { return p.conn != nil }

// Removed reports whether the game took the player out with RemovePlayer.
func (p *Player) Removed() bool { return p.removed }

// Reconnects counts how many times the player came back on a new connection.
func (p *Player) Reconnects() int { return p.reconnects }

// JoinedAt is when the player first joined.
func (p *Player) JoinedAt() time.Time { return p.joinedAt }

func (p *Player) inGroup(g int32) bool {
	for _, x := range p.groups {
		if x == g {
			return true
		}
	}
	return false
}

// maxTokensPerPlayer bounds the token ids a session remembers per player; a
// player past it comes back with its reconnect token only.
const maxTokensPerPlayer = 64

// mayReconnect reports whether a known player may come back on tokenID: a
// token not used yet in this session (a fresh one from the allocator), or a
// used one with the current reconnect token.
func (p *Player) mayReconnect(tokenID, reconnectToken string) bool {
	if reconnectToken != "" && p.secret != "" && subtle.ConstantTimeCompare([]byte(reconnectToken), []byte(p.secret)) == 1 {
		return true
	}
	if tokenID == "" || len(p.tokens) >= maxTokensPerPlayer {
		return false
	}
	return !slices.Contains(p.tokens, tokenID)
}

// useToken records tokenID and starts a new connection epoch with a fresh
// reconnect token.
func (p *Player) useToken(tokenID string) {
	if tokenID != "" && len(p.tokens) < maxTokensPerPlayer && !slices.Contains(p.tokens, tokenID) {
		p.tokens = append(p.tokens, tokenID)
	}
	p.secret = rand.Text()
}
