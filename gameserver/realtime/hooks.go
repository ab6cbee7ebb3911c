package realtime

import "context"

// Optional interfaces a Game may implement to take part in what the session
// otherwise does on its own (hosting GameLift Realtime scripts needs them:
// their onSendToPlayer, onSendToGroup, onPlayerJoinGroup and
// onPlayerLeaveGroup callbacks may veto). Each is checked once per event.

// AllPlayersGroup is GameLift Realtime's group of every player: a player's
// message addressed to it is relayed to all the others.
const AllPlayersGroup int32 = -1

// RelayFilter decides whether a message a player addressed to another peer
// or a group is relayed (Config.Relay must be on). false drops it silently.
type RelayFilter interface {
	AllowRelay(s *Session, from *Player, m Message) bool
}

// GroupFilter decides whether a player's own request to join or leave a
// group is carried out. false leaves the membership unchanged; the player
// still gets the group's membership so it learns the outcome.
type GroupFilter interface {
	AllowJoinGroup(s *Session, p *Player, group int32) bool
	AllowLeaveGroup(s *Session, p *Player, group int32) bool
}

// SendAs sends an op-coded message to one player as if from peer sender
// (ServerPeerID for the server), for games that forward messages on
// behalf of players. Loop only.
func (s *Session) SendAs(p *Player, sender, opCode int32, payload []byte) {
	s.sendFrame(p, s.gameFrame(sender, opCode, payload), opCode)
}

// SendFastAs is SendAs for fast delivery: a client with a fast channel
// up (GameLift Realtime's UDP) gets it as a datagram, others over their
// WebSocket. For a script's sendMessage and sendGroupMessage, which
// GameLift delivers over UDP. Loop only.
func (s *Session) SendFastAs(p *Player, sender, opCode int32, payload []byte) {
	s.sendFrame(p, s.gameFrameFast(sender, opCode, payload, true), opCode)
}

// SendGroupMembership sends a group's current members to p. Loop only.
func (s *Session) SendGroupMembership(p *Player, group int32) {
	if p.conn != nil {
		p.conn.send(s.membershipFrame(group))
	}
}

// InGroup reports whether p is a member of group. Loop only.
func (p *Player) InGroup(group int32) bool { return p.inGroup(group) }

func (s *Session) relayAllowed(from *Player, m Message) bool {
	f, ok := s.game.(RelayFilter)
	return !ok || f.AllowRelay(s, from, m)
}

func (s *Session) groupChangeAllowed(p *Player, group int32, join bool) bool {
	f, ok := s.game.(GroupFilter)
	if !ok {
		return true
	}
	allowed := join && f.AllowJoinGroup(s, p, group) || !join && f.AllowLeaveGroup(s, p, group)
	if !allowed {
		s.SendGroupMembership(p, group)
	}
	return allowed
}

// SeatKeeper tells how many more players its session would take now: 0
// once it takes no more (a match that started). A high-density server asks
// it of every match still waiting for players past the no-show window and
// reports the ones with empty seats, so that an allocator can give those
// seats to other players (see Session.Lobby).
type SeatKeeper interface {
	OpenSeats(s *Session) int
}

// Lobby runs on the session's goroutine and tells how many more players
// the game would take now (0 if it is no SeatKeeper) and the ids of the
// players the session holds. ok is false if the session ended first.
func (s *Session) Lobby(ctx context.Context) (open int, players []string, ok bool) {
	ok = s.Do(ctx, func() {
		if k, is := s.game.(SeatKeeper); is {
			open = k.OpenSeats(s)
		}
		for _, p := range s.players {
			players = append(players, p.PlayerID())
		}
	})
	return open, players, ok
}
