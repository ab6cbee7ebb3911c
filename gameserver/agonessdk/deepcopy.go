package agonessdk

import (
	"maps"
	"slices"
)

// DeepCopy returns a copy of g that shares no maps or slices with it.
// Nil maps and slices stay nil; empty ones stay empty.
func (g *GameServer) DeepCopy() *GameServer {
	if g == nil {
		return nil
	}
	c := *g
	c.ObjectMeta.Labels = maps.Clone(g.ObjectMeta.Labels)
	c.ObjectMeta.Annotations = maps.Clone(g.ObjectMeta.Annotations)
	c.Status.Addresses = slices.Clone(g.Status.Addresses)
	c.Status.Ports = slices.Clone(g.Status.Ports)
	if g.Status.Players != nil {
		p := *g.Status.Players
		p.IDs = slices.Clone(p.IDs)
		c.Status.Players = &p
	}
	c.Status.Counters = maps.Clone(g.Status.Counters)
	if g.Status.Lists != nil {
		c.Status.Lists = make(map[string]List, len(g.Status.Lists))
		for k, l := range g.Status.Lists {
			c.Status.Lists[k] = l.DeepCopy()
		}
	}
	return &c
}

// DeepCopy returns a copy of l that shares no slice with it.
func (l List) DeepCopy() List {
	l.Values = slices.Clone(l.Values)
	return l
}
