package script

import (
	"slices"

	"github.com/dop251/goja"
)

// gameMessage is the script's gameMessage: GameLift's documented fields
// as the object's own properties (so Object.keys, JSON.stringify and
// util.inspect show exactly them), read from Go on demand. A received
// payload stays the frame's bytes until the script reads payload, which
// then is a Buffer over them: most messages of a game are read by op code
// alone. A Go-backed object costs a callback fewer allocations than a
// JavaScript one with an accessor and hidden slots.
type gameMessage struct {
	g                         *Game
	opCode, sender            goja.Value
	payload                   goja.Value // nil until read when raw is set
	raw                       []byte
	hasRaw                    bool
	reliable                  goja.Value
	targetPlayer, targetGroup goja.Value
	extra                     map[string]goja.Value // what the script adds
	extraKeys                 []string
}

var _ goja.DynamicObject = (*gameMessage)(nil)

// messageKeys are the documented fields, in GameLift's order.
var messageKeys = []string{"opCode", "sender", "payload", "reliable", "targetPlayer", "targetGroup"}

func (m *gameMessage) field(key string) *goja.Value {
	switch key {
	case "opCode", "opcode":
		return &m.opCode
	case "sender":
		return &m.sender
	case "payload":
		return &m.payload
	case "reliable":
		return &m.reliable
	case "targetPlayer":
		return &m.targetPlayer
	case "targetGroup":
		return &m.targetGroup
	}
	return nil
}

func (m *gameMessage) Get(key string) goja.Value {
	if key == "payload" && m.payload == nil && m.hasRaw {
		m.payload = m.g.bufferFrom(m.g.rt.NewArrayBuffer(m.raw))
	}
	if f := m.field(key); f != nil {
		return *f
	}
	return m.extra[key] // nil: the prototype is asked
}

func (m *gameMessage) Set(key string, v goja.Value) bool {
	if f := m.field(key); f != nil {
		*f = v
		if key == "payload" {
			m.hasRaw, m.raw = false, nil
		}
		return true
	}
	if m.extra == nil {
		m.extra = make(map[string]goja.Value)
	}
	if _, ok := m.extra[key]; !ok {
		m.extraKeys = append(m.extraKeys, key)
	}
	m.extra[key] = v
	return true
}

func (m *gameMessage) Has(key string) bool {
	if key == "opcode" {
		return false // an alias, as the prototype's accessor was
	}
	if m.field(key) != nil {
		return true
	}
	_, ok := m.extra[key]
	return ok
}

func (m *gameMessage) Delete(key string) bool {
	if m.field(key) != nil {
		return false
	}
	delete(m.extra, key)
	m.extraKeys = slices.DeleteFunc(m.extraKeys, func(k string) bool { return k == key })
	return true
}

func (m *gameMessage) Keys() []string {
	if len(m.extraKeys) == 0 {
		return messageKeys
	}
	return append(slices.Clone(messageKeys), m.extraKeys...)
}

func (g *Game) newGameMessage(op, sender int32, payload goja.Value, raw []byte, hasRaw, reliable bool, targetPlayer, targetGroup int32) *goja.Object {
	rt := g.rt
	m := &gameMessage{
		g: g, opCode: rt.ToValue(op), sender: rt.ToValue(sender), payload: payload, raw: raw, hasRaw: hasRaw,
		reliable: rt.ToValue(reliable), targetPlayer: rt.ToValue(targetPlayer), targetGroup: rt.ToValue(targetGroup),
	}
	o := rt.NewDynamicObject(m)
	if g.messageProto == nil {
		g.messageProto = g.newMessage.Get("prototype").ToObject(rt)
	}
	must(o.SetPrototype(g.messageProto))
	return o
}
