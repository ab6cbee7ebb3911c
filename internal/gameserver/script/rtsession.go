package script

import (
	"fmt"

	"github.com/dop251/goja"

	"github.com/leapfrog-games/leapfrog/gameserver/realtime"
)

// sessionObject builds rtSession, the object init receives: GameLift
// Realtime's session API over the realtime session.
func (g *Game) sessionObject() *goja.Object {
	rt := g.rt
	o := rt.NewObject()
	set := func(name string, fn any) { must(o.Set(name, g.named(name, fn))) }
	set("getServerId", func() int { return ServerID })
	set("getAllPlayersGroupId", func() int { return AllPlayersGroupID })
	set("getGameSessionId", func() string {
		if g.sess == nil {
			return ""
		}
		return g.sess.ID()
	})
	set("getLogger", func() goja.Value {
		f, _ := goja.AssertFunction(g.logger)
		v, err := f(goja.Undefined())
		if err != nil {
			panic(err)
		}
		return v
	})
	set("getPlayers", g.getPlayers)
	set("processEnding", g.processEnding)
	set("broadcastGroupMembershipUpdate", g.broadcastGroupMembershipUpdate)
	newMessage := func(call goja.FunctionCall) goja.Value {
		return g.messageOf(int32(call.Argument(0).ToInteger()), int32(call.Argument(1).ToInteger()), call.Argument(2), true, 0, 0)
	}
	set("newTextGameMessage", newMessage)
	set("newBinaryGameMessage", newMessage)
	// GameLift sends sendMessage and sendGroupMessage over UDP, the
	// reliable ones over TCP: a client whose fast channel is up gets the
	// first kind as datagrams, every other client over its WebSocket.
	send := func(group, fast bool) func(goja.Value, goja.Value) {
		return func(m, target goja.Value) { g.send(m, g.target(target), group, fast) }
	}
	set("sendMessage", send(false, true))
	set("sendReliableMessage", send(false, false))
	set("sendGroupMessage", send(true, true))
	set("sendReliableGroupMessage", send(true, false))
	return o
}

// message makes a gameMessage object around received payload bytes (a
// Buffer over them once the script reads the payload).
func (g *Game) message(op, sender int32, payload []byte, reliable bool, targetPlayer, targetGroup int32) *goja.Object {
	return g.newGameMessage(op, sender, nil, payload, true, reliable, targetPlayer, targetGroup)
}

// messageOf makes a gameMessage object around a payload value as the script
// gave it; it is read (payload) only when the message is sent.
func (g *Game) messageOf(op, sender int32, payload goja.Value, reliable bool, targetPlayer, targetGroup int32) *goja.Object {
	return g.newGameMessage(op, sender, payload, nil, false, reliable, targetPlayer, targetGroup)
}

// payload reads a payload given as a string (UTF-8), Buffer, typed array,
// ArrayBuffer or array of byte values. Buffers and Uint8Arrays are read in
// place, without a copy: the frame is encoded before the script runs again.
func (g *Game) payload(v goja.Value) []byte {
	if v == nil || goja.IsUndefined(v) || goja.IsNull(v) {
		return nil
	}
	switch x := v.Export().(type) {
	case []byte:
		return x
	case string:
		return []byte(x)
	case goja.ArrayBuffer:
		return x.Bytes()
	}
	var b []byte
	if err := g.rt.ExportTo(v, &b); err != nil {
		panic(g.rt.NewTypeError("a payload must be a string, Buffer, Uint8Array, ArrayBuffer or array of bytes: %v", err))
	}
	return b
}

// send implements sendMessage (to a peer) and sendGroupMessage (to a group,
// -1 for every player). Too large a payload is a RangeError for the script.
// target reads a send's target: a peer or group id, or a player object
// (scripts that iterate getPlayers() with forEach((player) => ...) pass the
// player itself), whose peerId is the target.
func (g *Game) target(v goja.Value) int32 {
	if o, ok := v.(*goja.Object); ok {
		if id := o.Get("peerId"); id != nil && !goja.IsUndefined(id) {
			return int32(id.ToInteger())
		}
	}
	if v == nil {
		return 0
	}
	return int32(v.ToInteger())
}

func (g *Game) send(m goja.Value, target int32, group, fast bool) {
	rt := g.rt
	obj, ok := m.(*goja.Object)
	if !ok || g.sess == nil {
		panic(rt.NewTypeError("send needs a gameMessage (from newTextGameMessage or newBinaryGameMessage) and a running session"))
	}
	op := int32(obj.Get("opCode").ToInteger())
	sender := int32(ServerID)
	if v := obj.Get("sender"); v != nil && !goja.IsUndefined(v) {
		sender = int32(v.ToInteger())
	}
	payload := g.payload(obj.Get("payload"))
	if max := g.sess.Config().MaxPayload; len(payload) > max {
		panic(rt.NewGoError(fmt.Errorf("RangeError: payload of %d bytes is over the %d-byte limit", len(payload), max)))
	}
	sendTo := g.sess.SendAs
	if fast {
		sendTo = g.sess.SendFastAs
	}
	if !group {
		if p := g.sess.PlayerByPeer(target); p != nil {
			sendTo(p, sender, op, payload)
		}
		return
	}
	for _, p := range g.sess.Players() {
		if target == AllPlayersGroupID || p.InGroup(target) {
			sendTo(p, sender, op, payload)
		}
	}
}

// getPlayers returns a Map of the connected players by peer id.
func (g *Game) getPlayers() goja.Value {
	rt := g.rt
	m, err := rt.New(rt.Get("Map"))
	if err != nil {
		panic(err)
	}
	setFn, _ := goja.AssertFunction(m.Get("set"))
	if g.sess == nil {
		return m
	}
	for _, p := range g.sess.Players() {
		if obj := g.players[p.PeerID()]; obj != nil && p.Connected() {
			if _, err := setFn(m, rt.ToValue(p.PeerID()), obj); err != nil {
				panic(err)
			}
		}
	}
	return m
}

// processEnding ends the session (after the current callback) and returns
// a Promise resolved with true, as GameLift's is once the process may exit.
func (g *Game) processEnding() goja.Value {
	p, resolve, _ := g.rt.NewPromise()
	if g.sess != nil {
		g.sess.End(realtime.OutcomeCompleted)
	}
	if err := resolve(true); err != nil {
		panic(err)
	}
	return g.rt.ToValue(p)
}

// broadcastGroupMembershipUpdate sends group's members to targetGroup's
// members (every player when it is -1 or absent).
func (g *Game) broadcastGroupMembershipUpdate(call goja.FunctionCall) goja.Value {
	if g.sess == nil {
		return goja.Undefined()
	}
	group := int32(call.Argument(0).ToInteger())
	target := int32(AllPlayersGroupID)
	if v := call.Argument(1); !goja.IsUndefined(v) {
		target = int32(v.ToInteger())
	}
	for _, p := range g.sess.Players() {
		if target == AllPlayersGroupID || p.InGroup(target) {
			g.sess.SendGroupMembership(p, group)
		}
	}
	return goja.Undefined()
}

// playerObject is the script's player: {peerId, playerSessionId}, where
// the player session id is the player id the allocator's player session
// token names (the token itself is a credential, not an id).
func (g *Game) playerObject(p *realtime.Player) *goja.Object {
	o := g.rt.NewObject()
	must(o.Set("peerId", p.PeerID()))
	must(o.Set("playerSessionId", p.PlayerID()))
	must(o.Set("playerId", p.PlayerID()))
	return o
}
