package realtime

import "time"

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
	// Data is free for the game to use.
	Data any
}

// PeerID is the session-unique peer id (1 and up).
func (p *Player) PeerID() int32 { return p.peerID }

// PlayerID is the player id the allocator put in the player session token.
func (p *Player) PlayerID() string { return p.playerID }

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
