package realtime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/leapfrog-games/leapfrog/contract/closecode"
	realtimev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/realtime/v1"
	"github.com/leapfrog-games/leapfrog/internal/panicguard"
)

// Outcomes a session ends with; the game may use its own as well.
const (
	OutcomeCompleted = "completed"
	OutcomeEmpty     = "empty"
	OutcomeShutdown  = "shutdown"
	// OutcomeCrashed: the game panicked; players got close 1011.
	OutcomeCrashed = "crashed"
)

// Session is one game session: its players, groups, timers and the game,
// all owned by the goroutine running Run. Methods documented as "loop only"
// must be called from Game callbacks or timers; the others are safe anywhere.
type Session struct {
	id   string
	cfg  Config
	game Game
	log  *slog.Logger

	events  chan event
	done    chan struct{}
	closing atomic.Bool   // set by End: the session takes nobody new
	beats   atomic.Uint64 // loop iterations, for a watchdog
	parked  atomic.Bool   // the loop waits for an event, a tick or its wake

	// Owned by the loop.
	players      []*Player
	nextPeer     int32
	timers       []timer
	nextTimer    int
	reservations map[string]*reservation
	lastActive   time.Time
	ended        bool
	crashed      bool
	outcome      string
	now          time.Time
	sleeper      Sleeper   // the game, when it says when it needs ticks
	wakeAt       time.Time // a sleeper's armed wake; zero when none
	started      time.Time // the origin of the tick grid (see GridTick)
	lastTick     time.Time // the last OnTick, or started
	scratch      []byte    // SendProto's marshal buffer, reused

	mu          sync.Mutex // guards the fields below, read outside the loop
	result      string
	reserved    map[string]bool
	onPlaceFree func(playerID string)
}

type reservation struct {
	since     time.Time
	connected bool
	released  bool
}

type timer struct {
	id int
	at time.Time
	fn func()
}

type eventKind uint8

const (
	evJoin eventKind = iota + 1
	evLeave
	evFrame
	evReservations
	evShutdown
	evCall
)

// event is what the loop is asked to do. Frames and leaves, the hot path,
// fit in the event itself; the rarer kinds carry a request, which keeps the
// event (and each session's queue of them) small.
type event struct {
	kind  eventKind
	conn  *conn
	frame *realtimev1.ClientFrame
	at    time.Time
	req   *request
}

// request is the payload of a join, a reservations update, a shutdown or a call.
type request struct {
	id      Identity
	secret  string
	payload []byte
	values  []string
	text    string
	reply   chan error
	fn      func()
}

// NewSession builds a session for game; Run starts it.
func NewSession(id string, cfg Config, game Game) (*Session, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("session %s: %w", id, err)
	}
	return &Session{
		id:           id,
		cfg:          c,
		game:         game,
		log:          c.Logger.With("session", id),
		events:       make(chan event, eventQueue(c.MaxPlayers)),
		done:         make(chan struct{}),
		reservations: make(map[string]*reservation),
		reserved:     make(map[string]bool),
		nextPeer:     1,
	}, nil
}

// eventQueue sizes a session's event queue: room for a burst from each
// player, within bounds. The queue is a large part of an idle session's
// memory (a server may run thousands), and a full one only makes the
// connections' readers wait.
func eventQueue(maxPlayers int) int {
	return min(max(32*maxPlayers, 64), 256)
}

// ID is the session id.
func (s *Session) ID() string { return s.id }

// Config is the session's effective configuration.
func (s *Session) Config() Config { return s.cfg }

// Logger is the session's logger, with its id attached.
func (s *Session) Logger() *slog.Logger { return s.log }

// Done is closed when the session has ended and every connection is closing.
func (s *Session) Done() <-chan struct{} { return s.done }

// Outcome is how the session ended; empty while it runs.
func (s *Session) Outcome() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.result
}

// OnPlaceFreed sets a function called (on its own goroutine) when a place
// is given up: a reserved player did not connect within the no-show timeout,
// or the game let a player go with ReleasePlayer. The platform then frees
// the place (Agones: removes the player from the GameServer's list). It is
// not called once the session is closing: a finished game takes nobody.
func (s *Session) OnPlaceFreed(fn func(playerID string)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onPlaceFree = fn
}

// Closed reports whether the session has ended or is ending: it admits
// nobody and frees no place.
func (s *Session) Closed() bool { return s.closing.Load() }

// Beats counts the loop's iterations (events and ticks). A watchdog that
// sees it stand still while the loop is not Parked knows the loop is stuck.
func (s *Session) Beats() uint64 { return s.beats.Load() }

// Parked reports whether the loop is waiting for work: a sleeping session
// does not beat, and is not stuck.
func (s *Session) Parked() bool { return s.parked.Load() }

// Reserved reports whether playerID holds a place in the session, as last
// told by SetReservations.
func (s *Session) Reserved(playerID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reserved[playerID]
}

// Run runs the session until it ends or ctx is done, then closes every
// connection. It returns the session's outcome. A panic in the game ends the
// session with OutcomeCrashed: its players get an Error frame and close 1011,
// the stack goes to the log, and the process goes on.
//
// A Game ticks at the tick rate; a Sleeper game's session sleeps until the
// earliest of its game's NextTick, its timers, its no-show deadlines and its
// empty timeout.
func (s *Session) Run(ctx context.Context) string {
	m := s.cfg.Metrics
	m.sessionStarted()
	s.startClock()
	s.log.Info("session started", "max_players", s.cfg.MaxPlayers, "tick_rate", s.cfg.TickRate)
	var tick <-chan time.Time
	var wake *time.Timer
	if sl, ok := s.game.(Sleeper); ok {
		s.sleeper = sl
		wake = time.NewTimer(time.Hour)
		wake.Stop()
		defer wake.Stop()
		tick = wake.C
	} else {
		ticker := time.NewTicker(s.TickPeriod())
		defer ticker.Stop()
		tick = ticker.C
	}
	s.guard("start", func() { s.game.OnStart(s) })
	for !s.ended {
		if wake != nil {
			s.guard("loop", func() { s.arm(wake) })
		}
		s.guard("loop", func() { s.step(ctx, tick) })
	}
	s.finish()
	return s.outcome
}

// startClock reads the clock for the session's start.
func (s *Session) startClock() {
	s.now = s.cfg.Clock.Now()
	s.lastActive, s.started, s.lastTick = s.now, s.now, s.now
}

// step waits for one event or tick and handles it.
func (s *Session) step(ctx context.Context, tick <-chan time.Time) {
	s.parked.Store(true)
	select {
	case <-ctx.Done():
		s.parked.Store(false)
		s.shutdown("server stopping")
	case ev := <-s.events:
		s.parked.Store(false)
		s.beats.Add(1)
		s.now = s.cfg.Clock.Now()
		if s.sleeper != nil && s.connectedCount() > 0 {
			s.lastActive = s.now // nobody ticks while players are connected
		}
		s.handle(ev)
	case <-tick:
		s.parked.Store(false)
		s.beats.Add(1)
		s.wakeAt = time.Time{}
		s.Tick()
	}
}

// arm sets a sleeper session's wake to the earliest thing it waits for.
// Under a fake clock the wait is cut to the tick period, so that a test
// moving the clock is seen.
func (s *Session) arm(wake *time.Timer) {
	next := s.nextWake()
	if next.Equal(s.wakeAt) {
		return
	}
	s.wakeAt = next
	if next.IsZero() {
		wake.Stop()
		return
	}
	d := next.Sub(s.cfg.Clock.Now())
	if _, wall := s.cfg.Clock.(WallClock); !wall {
		d = min(d, s.TickPeriod())
	}
	wake.Reset(max(d, 0))
}

// nextWake is when a sleeper session must next tick: the zero time when it
// waits only for events.
func (s *Session) nextWake() time.Time {
	next := s.sleeper.NextTick(s, s.now)
	for _, t := range s.timers {
		next = Earliest(next, t.at)
	}
	for _, r := range s.reservations {
		if !r.connected && !r.released {
			next = Earliest(next, r.since.Add(s.cfg.NoShowTimeout))
		}
	}
	if !s.ended && s.connectedCount() == 0 {
		next = Earliest(next, s.lastActive.Add(s.cfg.EmptyTimeout))
	}
	return next
}

// guard runs fn, turning a panic into the end of this session only. where
// (start, loop, end) is logged; the panic counts as where="session".
func (s *Session) guard(where string, fn func()) {
	g := panicguard.Guard{Log: s.log, Count: func(string) { s.cfg.Metrics.recovered("session") }}
	if g.Run(where, "panic in the game session: ending it", fn) {
		s.crashed = true
		s.ended = false // End again, whatever the game did before it panicked
		s.End(OutcomeCrashed)
	}
}

// Tick runs one tick: the game's OnTick, due timers and reservation
// deadlines. Run calls it at the tick rate; tests with a fake clock call it
// directly (from the loop, e.g. inside Do).
func (s *Session) Tick() {
	start := time.Now()
	s.now = s.cfg.Clock.Now()
	s.lastTick = s.now
	s.game.OnTick(s, s.now)
	s.runTimers()
	s.checkReservations()
	if s.connectedCount() > 0 {
		s.lastActive = s.now
	} else if !s.ended && s.now.Sub(s.lastActive) >= s.cfg.EmptyTimeout {
		s.log.Info("session empty for too long", "timeout", s.cfg.EmptyTimeout)
		s.End(OutcomeEmpty)
	}
	s.cfg.Metrics.observeTick(time.Since(start))
}

// Do runs fn on the session's goroutine and waits for it; it returns false if
// the session ended first.
func (s *Session) Do(ctx context.Context, fn func()) bool {
	reply := make(chan error, 1)
	if !s.post(ctx, event{kind: evCall, req: &request{fn: fn, reply: reply}}) {
		return false
	}
	select {
	case <-reply:
		return true
	case <-s.done:
		return false
	case <-ctx.Done():
		return false
	}
}

// SetReservations tells the session which player ids hold a place (Agones:
// the GameServer's players list). New ids start their no-show timer.
func (s *Session) SetReservations(ctx context.Context, playerIDs []string) {
	s.mu.Lock()
	s.reserved = make(map[string]bool, len(playerIDs))
	for _, id := range playerIDs {
		s.reserved[id] = true
	}
	s.mu.Unlock()
	s.post(ctx, event{kind: evReservations, req: &request{values: slices.Clone(playerIDs)}})
}

// Shutdown ends the session because the server is stopping: every player is
// told (close 1001).
func (s *Session) Shutdown(ctx context.Context, reason string) {
	s.post(ctx, event{kind: evShutdown, req: &request{text: reason}})
}

func (s *Session) post(ctx context.Context, ev event) bool {
	select {
	case s.events <- ev:
		return true
	case <-s.done:
		return false
	case <-ctx.Done():
		return false
	}
}

// join asks the loop to admit an authenticated connection; reconnectToken
// and payload are what its Hello carried.
func (s *Session) join(ctx context.Context, c *conn, id Identity, reconnectToken string, payload []byte) error {
	reply := make(chan error, 1)
	if !s.post(ctx, event{kind: evJoin, conn: c, req: &request{id: id, secret: reconnectToken, payload: payload, reply: reply}}) {
		return errSessionOver
	}
	select {
	case err := <-reply:
		return err
	case <-s.done:
		return errSessionOver
	case <-ctx.Done():
		return ctx.Err()
	}
}

var (
	errSessionOver = errors.New("session is over")
	errTokenUsed   = errors.New("player session token already used")
)

func (s *Session) handle(ev event) {
	switch ev.kind {
	case evJoin:
		ev.req.reply <- s.admit(ev.conn, ev.req.id, ev.req.secret, ev.req.payload)
	case evLeave:
		s.disconnect(ev.conn)
	case evFrame:
		s.dispatch(ev.conn, ev.frame, ev.at)
	case evReservations:
		s.updateReservations(ev.req.values)
	case evShutdown:
		s.shutdown(ev.req.text)
	case evCall:
		ev.req.fn()
		ev.req.reply <- nil
	}
}

func (s *Session) admit(c *conn, id Identity, reconnectToken string, payload []byte) error {
	if s.ended {
		return errSessionOver
	}
	playerID := id.PlayerID
	p := s.playerByID(playerID)
	rejoin := p != nil
	if rejoin && p.removed {
		return &rejectError{reason: "the player has left this session"}
	}
	if rejoin && !p.mayReconnect(id.TokenID, reconnectToken) {
		return errTokenUsed
	}
	if !rejoin {
		if len(s.players) >= s.cfg.MaxPlayers {
			return errSessionFull
		}
		p = &Player{peerID: s.nextPeer, playerID: playerID, joinedAt: s.now, payload: payload}
		if err := s.game.OnPlayerConnect(s, p); err != nil {
			if errors.Is(err, ErrGameFailed) {
				return err
			}
			return &rejectError{reason: err.Error()}
		}
		s.nextPeer++
		s.players = append(s.players, p)
	} else if p.conn != nil {
		old := p.conn
		old.player = nil
		old.fail(realtimev1.Error_CODE_REPLACED, "replaced by a newer connection of the same player")
		s.cfg.Metrics.playerDisconnected()
	}
	if rejoin {
		p.reconnects++
		p.payload = payload
	}
	p.useToken(id.TokenID)
	p.conn = c
	c.player = p
	c.admitted.Store(true)
	if r := s.reservations[playerID]; r != nil {
		r.connected = true
	}
	s.cfg.Metrics.playerConnected()
	c.send(EncodeServerFrame(&realtimev1.ServerFrame{Payload: &realtimev1.ServerFrame_Welcome{Welcome: &realtimev1.Welcome{
		PeerId: p.peerID, PlayerId: playerID, GameServer: s.cfg.GameServer, SessionId: s.id,
		ServerTimeMs: s.now.UnixMilli(), MaxPayloadBytes: int32(s.cfg.MaxPayload), Reconnected: rejoin,
		ReconnectToken: p.secret,
	}}}))
	kind := realtimev1.PeerEvent_KIND_JOINED
	if rejoin {
		kind = realtimev1.PeerEvent_KIND_RECONNECTED
	}
	s.peerEvent(p, kind)
	s.log.Info("player accepted", "player", playerID, "peer", p.peerID, "reconnects", p.reconnects)
	s.game.OnPlayerAccepted(s, p)
	return nil
}

var errSessionFull = errors.New("session full")

type rejectError struct{ reason string }

func (e *rejectError) Error() string { return "rejected: " + e.reason }

func (s *Session) disconnect(c *conn) {
	p := c.player
	if p == nil || p.conn != c {
		return // replaced, or never admitted
	}
	p.conn = nil
	c.player = nil
	s.cfg.Metrics.playerDisconnected()
	s.log.Info("player disconnected", "player", p.playerID, "peer", p.peerID)
	s.peerEvent(p, realtimev1.PeerEvent_KIND_DISCONNECTED)
	s.game.OnPlayerDisconnect(s, p)
}

func (s *Session) dispatch(c *conn, f *realtimev1.ClientFrame, at time.Time) {
	p := c.player
	if p == nil || p.conn != c {
		return
	}
	switch pl := f.Payload.(type) {
	case *realtimev1.ClientFrame_Message:
		s.onMessage(p, pl.Message, at)
	case *realtimev1.ClientFrame_JoinGroup:
		if !s.validGroup(c, pl.JoinGroup.GroupId) || !s.groupChangeAllowed(p, pl.JoinGroup.GroupId, true) {
			return
		}
		if !s.JoinGroup(p, pl.JoinGroup.GroupId) {
			c.send(errorFrame(realtimev1.Error_CODE_INVALID_TARGET, fmt.Sprintf("a player may be in at most %d groups", s.cfg.MaxGroupsPerPlayer), 0))
		}
	case *realtimev1.ClientFrame_LeaveGroup:
		if !s.validGroup(c, pl.LeaveGroup.GroupId) || !s.groupChangeAllowed(p, pl.LeaveGroup.GroupId, false) {
			return
		}
		s.LeaveGroup(p, pl.LeaveGroup.GroupId)
	case *realtimev1.ClientFrame_GroupMembershipRequest:
		if !s.validGroup(c, pl.GroupMembershipRequest.GroupId) {
			return
		}
		c.send(s.membershipFrame(pl.GroupMembershipRequest.GroupId))
	case *realtimev1.ClientFrame_Hello:
		c.fail(realtimev1.Error_CODE_MALFORMED_FRAME, "hello sent twice")
	}
}

func (s *Session) validGroup(c *conn, g int32) bool {
	if g > NoGroup {
		return true
	}
	c.send(errorFrame(realtimev1.Error_CODE_INVALID_TARGET, fmt.Sprintf("group %d is not a game group (1 and up)", g), 0))
	return false
}

func (s *Session) onMessage(p *Player, gm *realtimev1.GameMessage, at time.Time) {
	m := s.cfg.Metrics
	if gm.OpCode <= 0 {
		m.messageIn(gm.OpCode, false)
		p.conn.send(errorFrame(realtimev1.Error_CODE_UNKNOWN_OP_CODE, fmt.Sprintf("op code %d is reserved", gm.OpCode), gm.OpCode))
		return
	}
	msg := Message{OpCode: gm.OpCode, Sender: p.peerID, TargetPeer: gm.TargetPeer, TargetGroup: gm.TargetGroup, Payload: gm.Payload, Fast: gm.Fast, Received: at}
	if gm.TargetPeer > 0 || gm.TargetGroup > 0 || gm.TargetGroup == AllPlayersGroup {
		m.messageIn(gm.OpCode, s.cfg.Relay)
		s.relay(p, msg)
		return
	}
	err := s.game.OnMessage(s, p, msg)
	m.messageIn(gm.OpCode, !errors.Is(err, ErrUnknownOpCode))
	switch {
	case err == nil:
	case errors.Is(err, ErrUnknownOpCode):
		if p.conn != nil {
			p.conn.send(errorFrame(realtimev1.Error_CODE_UNKNOWN_OP_CODE, err.Error(), gm.OpCode))
		}
	default:
		s.log.Warn("game message refused", "player", p.playerID, "op_code", gm.OpCode, "err", err)
		if p.conn != nil {
			p.conn.send(errorFrame(realtimev1.Error_CODE_REJECTED, err.Error(), gm.OpCode))
		}
	}
}

// relay delivers a message a player addressed to a peer or a group. One
// it cannot deliver is answered with a non-fatal CODE_INVALID_TARGET (a
// GameLift Realtime client, whose protocol has no error packet, does not
// see it) and counted in leapfrog_realtime_unroutable_messages_total.
func (s *Session) relay(from *Player, m Message) {
	if !s.cfg.Relay {
		s.unroutable(from, m, "no_relay", "this game does not relay messages between players")
		return
	}
	if !s.relayAllowed(from, m) {
		return
	}
	// A group message names its group, so that a client can tell it from
	// one addressed to it alone (GameLift Realtime's targetGroup).
	frame := s.messageFrame(&realtimev1.GameMessage{OpCode: m.OpCode, Sender: from.peerID, TargetGroup: m.TargetGroup, Payload: m.Payload, Fast: m.Fast})
	if m.TargetPeer > 0 {
		to := s.PlayerByPeer(m.TargetPeer)
		if to == nil {
			s.unroutable(from, m, "no_peer", fmt.Sprintf("no peer %d", m.TargetPeer))
			return
		}
		s.sendFrame(to, frame, m.OpCode)
		return
	}
	for _, p := range s.players {
		if p != from && (m.TargetGroup == AllPlayersGroup || p.inGroup(m.TargetGroup)) {
			s.sendFrame(p, frame, m.OpCode)
		}
	}
}

func (s *Session) unroutable(from *Player, m Message, reason, text string) {
	s.cfg.Metrics.unroutable(reason)
	s.log.Debug("message not relayed", "player", from.playerID, "op_code", m.OpCode, "target_peer", m.TargetPeer, "target_group", m.TargetGroup, "reason", reason)
	if from.conn != nil {
		from.conn.send(errorFrame(realtimev1.Error_CODE_INVALID_TARGET, text, m.OpCode))
	}
}

// Players lists the session's players, connected or not, in joining order.
// Loop only; the slice must not be kept.
func (s *Session) Players() []*Player { return s.players }

// PlayerByPeer finds a player by peer id. Loop only.
func (s *Session) PlayerByPeer(peer int32) *Player {
	for _, p := range s.players {
		if p.peerID == peer {
			return p
		}
	}
	return nil
}

func (s *Session) playerByID(id string) *Player {
	for _, p := range s.players {
		if p.playerID == id {
			return p
		}
	}
	return nil
}

func (s *Session) connectedCount() int {
	n := 0
	for _, p := range s.players {
		if p.conn != nil {
			n++
		}
	}
	return n
}

// Now is the session clock's time at the current event or tick. Loop only.
func (s *Session) Now() time.Time { return s.now }

// Send sends an op-coded message from the server to one player; a
// disconnected player's messages are dropped. Loop only.
func (s *Session) Send(p *Player, opCode int32, payload []byte) {
	s.sendFrame(p, s.gameFrame(ServerPeerID, opCode, payload), opCode)
}

// Broadcast sends an op-coded message from the server to every connected
// player. The frame is encoded once. Loop only.
func (s *Session) Broadcast(opCode int32, payload []byte) {
	frame := s.gameFrame(ServerPeerID, opCode, payload)
	for _, p := range s.players {
		s.sendFrame(p, frame, opCode)
	}
}

// SendGroup sends an op-coded message from the server to a group's members. Loop only.
func (s *Session) SendGroup(group, opCode int32, payload []byte) {
	frame := s.gameFrame(ServerPeerID, opCode, payload)
	for _, p := range s.players {
		if p.inGroup(group) {
			s.sendFrame(p, frame, opCode)
		}
	}
}

// SendProto marshals m and sends it to p (nil p: everyone). It marshals
// into a buffer the session reuses (the frame is a copy), so that a game
// sending a message on every input does not allocate for it. Loop only.
func (s *Session) SendProto(p *Player, opCode int32, m proto.Message) {
	b, err := proto.MarshalOptions{}.MarshalAppend(s.scratch[:0], m)
	if err != nil {
		s.log.Error("marshal game message", "op_code", opCode, "err", err)
		return
	}
	s.scratch = b
	if p == nil {
		s.Broadcast(opCode, b)
		return
	}
	s.Send(p, opCode, b)
}

func (s *Session) gameFrame(sender, opCode int32, payload []byte) []byte {
	return s.gameFrameFast(sender, opCode, payload, false)
}

// gameFrameFast is gameFrame marked for fast delivery when fast is set: a
// client with a datagram channel (GameLift Realtime's UDP) gets it there.
func (s *Session) gameFrameFast(sender, opCode int32, payload []byte, fast bool) []byte {
	return s.messageFrame(&realtimev1.GameMessage{OpCode: opCode, Sender: sender, Payload: payload, Fast: fast})
}

// messageFrame encodes a game message stamped with the session's time.
func (s *Session) messageFrame(m *realtimev1.GameMessage) []byte {
	m.ServerTimeMs = s.now.UnixMilli()
	return EncodeServerFrame(&realtimev1.ServerFrame{Payload: &realtimev1.ServerFrame_Message{Message: m}})
}

func (s *Session) sendFrame(p *Player, frame []byte, opCode int32) {
	if p.conn != nil && p.conn.send(frame) {
		s.cfg.Metrics.messageOut(opCode)
	}
}

// JoinGroup adds p to a group and tells the group's members. A player is in
// at most Config.MaxGroupsPerPlayer groups: beyond that it reports false
// and nothing changes. Loop only.
func (s *Session) JoinGroup(p *Player, group int32) bool {
	if group <= NoGroup {
		return false
	}
	if p.inGroup(group) {
		return true
	}
	if len(p.groups) >= s.cfg.MaxGroupsPerPlayer {
		return false
	}
	p.groups = append(p.groups, group)
	s.membershipChanged(group)
	return true
}

// LeaveGroup removes p from a group and tells the group's members. Loop only.
func (s *Session) LeaveGroup(p *Player, group int32) {
	i := slices.Index(p.groups, group)
	if i < 0 {
		return
	}
	p.groups = slices.Delete(p.groups, i, i+1)
	s.membershipChanged(group)
	if p.conn != nil {
		p.conn.send(s.membershipFrame(group))
	}
}

// GroupMembers lists the peer ids in a group. Loop only.
func (s *Session) GroupMembers(group int32) []int32 {
	var peers []int32
	for _, p := range s.players {
		if p.inGroup(group) {
			peers = append(peers, p.peerID)
		}
	}
	return peers
}

func (s *Session) membershipFrame(group int32) []byte {
	return EncodeServerFrame(&realtimev1.ServerFrame{Payload: &realtimev1.ServerFrame_GroupMembership{
		GroupMembership: &realtimev1.GroupMembership{GroupId: group, PeerIds: s.GroupMembers(group)},
	}})
}

func (s *Session) membershipChanged(group int32) {
	frame := s.membershipFrame(group)
	for _, p := range s.players {
		if p.inGroup(group) && p.conn != nil {
			p.conn.send(frame)
		}
	}
}

func (s *Session) peerEvent(about *Player, kind realtimev1.PeerEvent_Kind) {
	frame := EncodeServerFrame(&realtimev1.ServerFrame{Payload: &realtimev1.ServerFrame_PeerEvent{PeerEvent: &realtimev1.PeerEvent{
		Kind: kind, PeerId: about.peerID, PlayerId: about.playerID,
	}}})
	for _, p := range s.players {
		if p != about && p.conn != nil {
			p.conn.send(frame)
		}
	}
}

// RemovePlayer takes p out of the session for good, closing its connection
// with reason; its place does not come back. Loop only.
func (s *Session) RemovePlayer(p *Player, reason string) {
	if p.removed || !slices.Contains(s.players, p) {
		return
	}
	p.removed = true
	if c := p.conn; c != nil {
		p.conn, c.player = nil, nil
		c.closeWith(closecode.Normal, reason, nil)
		s.cfg.Metrics.playerDisconnected()
	}
	s.peerEvent(p, realtimev1.PeerEvent_KIND_LEFT)
	groups := p.groups
	p.groups = nil
	for _, g := range groups {
		s.membershipChanged(g)
	}
}

// ReleasePlayer takes p out of the session and gives its place back (see
// OnPlaceFreed) so that another player may take it: for a player who left
// before the game began. Its connection, if any, is closed with reason.
// Loop only.
func (s *Session) ReleasePlayer(p *Player, reason string) {
	if !slices.Contains(s.players, p) {
		return
	}
	s.RemovePlayer(p, reason)
	s.players = slices.DeleteFunc(s.players, func(x *Player) bool { return x == p })
	delete(s.reservations, p.playerID)
	s.log.Info("player released; freeing the place", "player", p.playerID, "reason", reason)
	s.freePlace(p.playerID)
}

// After runs fn on the loop once d has passed: at the first tick after
// that (so with the tick's resolution), or on time in a Sleeper's session.
// It returns an id for CancelTimer. Loop only.
func (s *Session) After(d time.Duration, fn func()) int {
	s.nextTimer++
	s.timers = append(s.timers, timer{id: s.nextTimer, at: s.now.Add(d), fn: fn})
	return s.nextTimer
}

// CancelTimer cancels a timer set with After. Loop only.
func (s *Session) CancelTimer(id int) {
	s.timers = slices.DeleteFunc(s.timers, func(t timer) bool { return t.id == id })
}

// runTimers runs the timers due now, in the order they were set. A timer
// set by one of their callbacks waits for the next pass, even when it is due
// at once: a timer that sets itself again cannot hold the loop.
func (s *Session) runTimers() {
	last := s.nextTimer
	for {
		i := slices.IndexFunc(s.timers, func(t timer) bool { return t.id <= last && !s.now.Before(t.at) })
		if i < 0 {
			return
		}
		t := s.timers[i]
		s.timers = slices.Delete(s.timers, i, i+1)
		t.fn()
	}
}

func (s *Session) updateReservations(ids []string) {
	for _, id := range ids {
		if _, ok := s.reservations[id]; !ok {
			s.reservations[id] = &reservation{since: s.now, connected: s.playerByID(id) != nil}
		}
	}
	for id := range s.reservations {
		if !slices.Contains(ids, id) {
			delete(s.reservations, id)
		}
	}
}

func (s *Session) checkReservations() {
	for id, r := range s.reservations {
		if r.connected || r.released || s.now.Sub(r.since) < s.cfg.NoShowTimeout {
			continue
		}
		r.released = true
		s.log.Info("player did not show; freeing the place", "player", id, "timeout", s.cfg.NoShowTimeout)
		s.cfg.Metrics.noShow()
		s.freePlace(id)
	}
}

// freePlace tells the platform that playerID's place is free, unless the
// session is closing: a finished game must not be given new players.
func (s *Session) freePlace(playerID string) {
	if s.closing.Load() {
		return
	}
	s.mu.Lock()
	fn := s.onPlaceFree
	delete(s.reserved, playerID)
	s.mu.Unlock()
	if fn != nil {
		// The platform's callback runs off the loop; its panic is logged
		// and counted, and the session plays on.
		g := panicguard.Guard{Log: s.log.With("player", playerID), Count: s.cfg.Metrics.recovered}
		go g.Run("place_freed", "panic in the place-freed callback: the place may not be offered again", func() { fn(playerID) })
	}
}

// End ends the session with an outcome once the current callback returns:
// the game's OnEnd runs, then every connection is closed (close 1000) after
// its queued frames. Loop only.
func (s *Session) End(outcome string) {
	if s.ended {
		return
	}
	s.ended = true
	s.outcome = outcome
	s.closing.Store(true)
}

// Fail ends the session because the game failed without panicking (a
// script that threw, ran out of its time budget or memory): its players get
// Error CODE_INTERNAL and close 1011, as after a crash, so that clients treat
// it as the server's fault and match again, and OnEnd is not called. Loop only.
func (s *Session) Fail(outcome string) {
	if s.ended {
		return
	}
	s.crashed = true
	s.End(outcome)
}

func (s *Session) shutdown(reason string) {
	if s.ended {
		return
	}
	s.log.Info("session shutting down", "reason", reason)
	for _, p := range s.players {
		if p.conn != nil {
			p.conn.fail(realtimev1.Error_CODE_SHUTTING_DOWN, "server shutting down: "+reason)
		}
	}
	s.End(OutcomeShutdown)
}

func (s *Session) finish() {
	s.mu.Lock()
	s.result = s.outcome // OnEnd may ask for it
	s.mu.Unlock()
	if !s.crashed {
		s.guard("end", func() { s.game.OnEnd(s) })
		s.mu.Lock()
		s.result = s.outcome // OnEnd itself may have crashed
		s.mu.Unlock()
	}
	for _, p := range s.players {
		if c := p.conn; c != nil {
			p.conn, c.player = nil, nil
			if s.crashed {
				c.fail(realtimev1.Error_CODE_INTERNAL, "the game session crashed")
			} else {
				c.closeWith(closecode.Normal, "session ended", errorFrame(realtimev1.Error_CODE_SESSION_ENDED, "session ended: "+s.outcome, 0))
			}
			s.cfg.Metrics.playerDisconnected()
		}
	}
	s.cfg.Metrics.sessionEnded(s.outcome)
	s.log.Info("session ended", "outcome", s.outcome)
	close(s.done)
}
