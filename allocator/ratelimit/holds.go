package ratelimit

import (
	"fmt"
	"sync"
	"time"
)

// Holds caps how many distinct members one key may hold at once, each for a
// fixed time after it was last taken: the allocator keys it by client IP
// address, with the players given a place from that address as members and
// the time a place stays reserved for a player who never connects as the
// hold. Taking a member that is already held only renews it, so a player
// asking again for its own place is never refused. The memory is bounded
// like Keyed's: expired holds are dropped, and when maxKeys keys hold
// members, a new key is refused rather than an old one forgotten (forgetting
// would let a flood of addresses lift the cap of another).
type Holds struct {
	max     int
	hold    time.Duration
	maxKeys int

	mu        sync.Mutex
	keys      map[string]*held
	lastSweep time.Time
}

// held is what one key holds: each member's expiry, and the takes in the
// order they expire (the hold is the same for all), so that dropping the
// expired members and finding the next to expire cost O(1) amortized, not
// a scan of every member: an address behind which thousands of players
// hold places (a load test, a big NAT) would otherwise make every new
// place cost a pass over all of them.
type held struct {
	members map[string]time.Time
	order   []take // oldest first; a member renewed or released leaves stale entries
}

type take struct {
	member string
	exp    time.Time
}

// live reports whether t is a member's current expiry, not a stale entry.
func (k *held) live(t take) bool {
	exp, ok := k.members[t.member]
	return ok && exp.Equal(t.exp)
}

// expire drops the members whose hold is over at now, and the stale
// entries in front of the next to expire.
func (k *held) expire(now time.Time) {
	i := 0
	for ; i < len(k.order); i++ {
		t := k.order[i]
		if !k.live(t) {
			continue
		}
		if t.exp.After(now) {
			break
		}
		delete(k.members, t.member)
	}
	k.order = k.order[i:]
}

// put holds member until exp. Renewals leave stale entries: once they
// outnumber the members, the order is rebuilt from the members alone.
func (k *held) put(member string, exp time.Time) {
	k.members[member] = exp
	k.order = append(k.order, take{member, exp})
	if len(k.order) > 2*len(k.members)+16 {
		order := make([]take, 0, 2*len(k.members))
		for _, t := range k.order {
			if k.live(t) {
				order = append(order, t)
			}
		}
		k.order = order
	}
}

// NewHolds returns Holds that allow up to max members per key, each held for
// hold, tracking at most maxKeys keys.
func NewHolds(max int, hold time.Duration, maxKeys int) (*Holds, error) {
	if max < 1 || hold <= 0 || maxKeys < 1 {
		return nil, fmt.Errorf("holds: max %d, hold %v and max keys %d must be positive", max, hold, maxKeys)
	}
	return &Holds{max: max, hold: hold, maxKeys: maxKeys, keys: make(map[string]*held)}, nil
}

// Take holds member for key at now, or, when key already holds max other
// members, returns false and how long until the first of them expires.
// Release undoes a Take whose purpose failed.
func (h *Holds) Take(key, member string, now time.Time) (bool, time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	k := h.keys[key]
	if k == nil {
		if len(h.keys) >= h.maxKeys && now.Sub(h.lastSweep) >= h.hold/16 {
			// At most 16 sweeps per hold: a flood of new keys costs no
			// more than that.
			h.lastSweep = now
			h.sweep(now)
		}
		if len(h.keys) >= h.maxKeys {
			return false, h.hold
		}
		k = &held{members: make(map[string]time.Time, 1)}
		h.keys[key] = k
	}
	if _, ok := k.members[member]; !ok {
		k.expire(now)
		if len(k.members) >= h.max {
			return false, k.order[0].exp.Sub(now) // expire left the next to expire in front
		}
	}
	k.put(member, now.Add(h.hold))
	return true, 0
}

// Release drops member's hold on key.
func (h *Holds) Release(key, member string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if k := h.keys[key]; k != nil {
		delete(k.members, member)
		if len(k.members) == 0 {
			delete(h.keys, key)
		}
	}
}

// Held reports how many members key holds at now.
func (h *Holds) Held(key string, now time.Time) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	if k := h.keys[key]; k != nil {
		for _, exp := range k.members {
			if exp.After(now) {
				n++
			}
		}
	}
	return n
}

// sweep drops expired holds and keys left empty. Callers hold h.mu.
func (h *Holds) sweep(now time.Time) {
	for key, k := range h.keys {
		k.expire(now)
		if len(k.members) == 0 {
			delete(h.keys, key)
		}
	}
}

// Holding reports whether key holds member at now.
func (h *Holds) Holding(key, member string, now time.Time) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	k := h.keys[key]
	if k == nil {
		return false
	}
	exp, ok := k.members[member]
	return ok && exp.After(now)
}
