package script

import (
	"slices"

	"github.com/dop251/goja"
)

// connectMessage is onPlayerConnect's argument: GameLift's fields as the
// object's own properties, with the payload made a Buffer only when the
// script reads it (the Buffer module costs a session about 70 KiB, and many
// scripts never read a payload). Like gameMessage, a Go-backed object, so
// that Object.keys, JSON.stringify and util.inspect show plain data.
type connectMessage struct {
	g       *Game
	vals    map[string]goja.Value
	payload []byte // until read
	read    bool
	keys    []string
}

var _ goja.DynamicObject = (*connectMessage)(nil)

// connectKeys are its fields, in the order scripts print them.
var connectKeys = []string{"peerId", "playerSessionId", "playerId", "player", "payload"}

func (g *Game) newConnectMessage(peerID int32, playerID string, player *goja.Object, payload []byte) *goja.Object {
	rt := g.rt
	c := &connectMessage{g: g, payload: payload, keys: connectKeys, vals: map[string]goja.Value{
		"peerId": rt.ToValue(peerID), "playerSessionId": rt.ToValue(playerID), "playerId": rt.ToValue(playerID), "player": player,
	}}
	return rt.NewDynamicObject(c)
}

func (c *connectMessage) Get(key string) goja.Value {
	if key == "payload" && !c.read {
		c.read = true
		c.vals["payload"] = c.g.bufferFrom(c.g.rt.NewArrayBuffer(c.payload))
		c.payload = nil
	}
	return c.vals[key] // nil: the prototype is asked
}

func (c *connectMessage) Set(key string, v goja.Value) bool {
	if key == "payload" {
		c.read, c.payload = true, nil
	}
	if _, ok := c.vals[key]; !ok && !slices.Contains(c.keys, key) {
		c.keys = append(slices.Clone(c.keys), key)
	}
	c.vals[key] = v
	return true
}

func (c *connectMessage) Has(key string) bool { return slices.Contains(c.keys, key) }

func (c *connectMessage) Delete(key string) bool {
	delete(c.vals, key)
	if key == "payload" {
		c.read, c.payload = true, nil
	}
	c.keys = slices.DeleteFunc(slices.Clone(c.keys), func(k string) bool { return k == key })
	return true
}

func (c *connectMessage) Keys() []string { return c.keys }
