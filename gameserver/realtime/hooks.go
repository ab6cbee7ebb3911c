package realtime

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
