package script

import (
	"errors"
	"fmt"
	"time"

	"github.com/dop251/goja"

	"github.com/leapfrog-games/leapfrog/gameserver/realtime"
)

// errRejected is the reason a player gets when onPlayerConnect returns false.
var errRejected = errors.New("rejected by the game script")

// OnStart binds the runtime to its session and calls onStartGameSession.
func (g *Game) OnStart(s *realtime.Session) {
	g.sess = s
	g.log = g.log.With("session", s.ID())
	g.lastHealth = s.Now()
	g.startTimers()
	gs := g.rt.NewObject()
	cfg := s.Config()
	must(gs.Set("gameSessionId", s.ID()))
	must(gs.Set("name", s.ID()))
	must(gs.Set("maximumPlayerSessionCount", cfg.MaxPlayers))
	must(gs.Set("fleetId", cfg.GameServer))
	must(gs.Set("gameProperties", g.rt.NewArray()))
	must(gs.Set("gameSessionData", ""))
	must(gs.Set("matchmakerData", ""))
	g.call("onStartGameSession", g.cb.onStartGameSession, gs)
	g.checkMemory()
}

// OnPlayerConnect asks onPlayerConnect; false rejects the player. A script
// that throws (or had already failed) has crashed its session: that is
// realtime.ErrGameFailed, not a refusal.
func (g *Game) OnPlayerConnect(_ *realtime.Session, p *realtime.Player) error {
	// connectMsg is what GameLift documents and scripts read: the player
	// ({peerId, playerSessionId}, the object onPlayerAccepted gets too),
	// the same ids at the top level, and the payload of the client's
	// connection token as a Buffer (empty when it sent none).
	player := g.playerObject(p)
	msg := g.newConnectMessage(p.PeerID(), p.PlayerID(), player, p.Payload())
	v, ok := g.call("onPlayerConnect", g.cb.onPlayerConnect, msg)
	if !ok {
		return fmt.Errorf("onPlayerConnect: %w", realtime.ErrGameFailed)
	}
	if isFalse(v) {
		return errRejected
	}
	g.players[p.PeerID()] = player
	return nil
}

// OnPlayerAccepted calls onPlayerAccepted, on the first join and on each
// reconnect (player.reconnects > 0).
func (g *Game) OnPlayerAccepted(_ *realtime.Session, p *realtime.Player) {
	obj := g.players[p.PeerID()]
	if obj == nil {
		obj = g.playerObject(p)
		g.players[p.PeerID()] = obj
	}
	must(obj.Set("reconnects", p.Reconnects()))
	g.call("onPlayerAccepted", g.cb.onPlayerAccepted, obj)
}

// OnPlayerDisconnect calls onPlayerDisconnect(peerId). The player keeps its
// place and may reconnect, as in any Leapfrog game; it is out of
// getPlayers() while away.
func (g *Game) OnPlayerDisconnect(_ *realtime.Session, p *realtime.Player) {
	g.call("onPlayerDisconnect", g.cb.onPlayerDisconnect, g.rt.ToValue(p.PeerID()))
}

// OnMessage hands a message for the server to onMessage. Every op code is
// the script's: there is no unknown op code.
func (g *Game) OnMessage(_ *realtime.Session, p *realtime.Player, m realtime.Message) error {
	if g.cb.onMessage == nil {
		return nil
	}
	g.call("onMessage", g.cb.onMessage, g.message(m.OpCode, p.PeerID(), m.Payload, !m.Fast, ServerID, 0))
	return nil
}

// OnTick runs onHealthCheck at its period and enforces the memory limit.
// Timers fire through the session (After), not here.
func (g *Game) OnTick(s *realtime.Session, now time.Time) {
	if g.stopped {
		return
	}
	if g.cb.onHealthCheck != nil && now.Sub(g.lastHealth) >= g.prog.cfg.HealthCheckPeriod {
		g.lastHealth = now
		if v, ok := g.call("onHealthCheck", g.cb.onHealthCheck); ok && isFalse(v) {
			g.log.Warn("onHealthCheck returned false: ending the session so the server is replaced")
			g.stopped = true
			g.timers.clear(s)
			s.End(OutcomeUnhealthy)
			return
		}
	}
	g.checkMemory()
}

// NextTick wakes the session only for what OnTick does: onHealthCheck at
// its period, and the memory check once a second when there is a limit. A
// script's timers fire through the session, which wakes for them itself.
func (g *Game) NextTick(_ *realtime.Session, _ time.Time) time.Time {
	if g.stopped {
		return time.Time{}
	}
	var next time.Time
	if g.cb.onHealthCheck != nil {
		next = g.lastHealth.Add(g.prog.cfg.HealthCheckPeriod)
	}
	if g.prog.cfg.MemoryLimit != 0 {
		if m := g.lastMemoryCheck.Add(time.Second); next.IsZero() || m.Before(next) {
			next = m
		}
	}
	return next
}

func (g *Game) checkMemory() {
	if g.stopped || g.prog.cfg.MemoryLimit == 0 || g.sess == nil {
		return
	}
	now := g.sess.Now()
	if now.Sub(g.lastMemoryCheck) < time.Second {
		return
	}
	g.lastMemoryCheck = now
	if live, over := overMemoryLimit(g.prog.cfg.MemoryLimit); over {
		g.stopped = true
		g.timers.clear(g.sess)
		g.log.Error("script failed; ending its session", "err", ErrMemoryLimit, "live_bytes", live, "limit_bytes", g.prog.cfg.MemoryLimit)
		g.sess.Fail(OutcomeScriptError)
	}
}

// OnEnd calls onProcessTerminate unless the script already failed or exited.
func (g *Game) OnEnd(s *realtime.Session) {
	g.call("onProcessTerminate", g.cb.onProcessTerminate)
	g.stopped = true
	g.timers.clear(s)
}

// AllowRelay asks onSendToPlayer or onSendToGroup about a message a player
// addressed to a peer or a group; false drops it.
func (g *Game) AllowRelay(_ *realtime.Session, from *realtime.Player, m realtime.Message) bool {
	fn, name := g.cb.onSendToGroup, "onSendToGroup"
	if m.TargetPeer > 0 {
		fn, name = g.cb.onSendToPlayer, "onSendToPlayer"
	}
	if fn == nil {
		return !g.stopped
	}
	v, ok := g.call(name, fn, g.message(m.OpCode, from.PeerID(), m.Payload, !m.Fast, m.TargetPeer, m.TargetGroup))
	return ok && !isFalse(v)
}

// AllowJoinGroup asks onPlayerJoinGroup(groupId, peerId).
func (g *Game) AllowJoinGroup(_ *realtime.Session, p *realtime.Player, group int32) bool {
	return g.allowGroup("onPlayerJoinGroup", g.cb.onPlayerJoinGroup, p, group)
}

// AllowLeaveGroup asks onPlayerLeaveGroup(groupId, peerId).
func (g *Game) AllowLeaveGroup(_ *realtime.Session, p *realtime.Player, group int32) bool {
	return g.allowGroup("onPlayerLeaveGroup", g.cb.onPlayerLeaveGroup, p, group)
}

func (g *Game) allowGroup(name string, fn goja.Callable, p *realtime.Player, group int32) bool {
	v, ok := g.call(name, fn, g.rt.ToValue(group), g.rt.ToValue(p.PeerID()))
	return ok && !isFalse(v)
}
