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
	keys      map[string]map[string]time.Time // key -> member -> expiry
	lastSweep time.Time
}

// NewHolds returns Holds that allow up to max members per key, each held for
// hold, tracking at most maxKeys keys.
func NewHolds(max int, hold time.Duration, maxKeys int) (*Holds, error) {
	if max < 1 || hold <= 0 || maxKeys < 1 {
		return nil, fmt.Errorf("holds: max %d, hold %v and max keys %d must be positive", max, hold, maxKeys)
	}
	return &Holds{max: max, hold: hold, maxKeys: maxKeys, keys: make(map[string]map[string]time.Time)}, nil
}

// Take holds member for key at now, or, when key already holds max other
// members, returns false and how long until the first of them expires.
// Release undoes a Take whose purpose failed.
func (h *Holds) Take(key, member string, now time.Time) (bool, time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	members := h.keys[key]
	if members == nil {
		if len(h.keys) >= h.maxKeys && now.Sub(h.lastSweep) >= h.hold/16 {
			// At most 16 sweeps per hold: a flood of new keys costs no
			// more than that.
			h.lastSweep = now
			h.sweep(now)
		}
		if len(h.keys) >= h.maxKeys {
			return false, h.hold
		}
		members = make(map[string]time.Time, 1)
		h.keys[key] = members
	}
	if _, held := members[member]; !held {
		first := time.Time{}
		for m, exp := range members {
			if !exp.After(now) {
				delete(members, m)
			} else if first.IsZero() || exp.Before(first) {
				first = exp
			}
		}
		if len(members) >= h.max {
			return false, first.Sub(now)
		}
	}
	members[member] = now.Add(h.hold)
	return true, 0
}

// Release drops member's hold on key.
func (h *Holds) Release(key, member string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if members := h.keys[key]; members != nil {
		delete(members, member)
		if len(members) == 0 {
			delete(h.keys, key)
		}
	}
}

// Held reports how many members key holds at now.
func (h *Holds) Held(key string, now time.Time) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, exp := range h.keys[key] {
		if exp.After(now) {
			n++
		}
	}
	return n
}

// sweep drops expired holds and keys left empty. Callers hold h.mu.
func (h *Holds) sweep(now time.Time) {
	for key, members := range h.keys {
		for m, exp := range members {
			if !exp.After(now) {
				delete(members, m)
			}
		}
		if len(members) == 0 {
			delete(h.keys, key)
		}
	}
}

// Holding reports whether key holds member at now.
func (h *Holds) Holding(key, member string, now time.Time) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	exp, ok := h.keys[key][member]
	return ok && exp.After(now)
}
