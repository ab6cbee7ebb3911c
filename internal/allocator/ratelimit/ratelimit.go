package ratelimit

import (
	"fmt"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Keyed holds one token bucket per key. A bucket left alone long enough to
// refill completely behaves exactly like a new one, so such idle buckets are
// dropped; when more than the maximum number of keys are active at once, an
// arbitrary bucket is dropped to make room (the memory bound wins over
// exactness under a flood of distinct keys).
type Keyed struct {
	limit   rate.Limit
	burst   int
	maxKeys int
	// idleAfter is the time an empty bucket takes to fill up.
	idleAfter time.Duration

	mu        sync.Mutex
	buckets   map[string]*bucket
	lastSweep time.Time
}

type bucket struct {
	lim      *rate.Limiter
	lastSeen time.Time
}

// New returns a limiter that allows perSecond events per key on average, and
// bursts of up to burst, tracking at most maxKeys keys.
func New(perSecond float64, burst, maxKeys int) (*Keyed, error) {
	switch {
	case !(perSecond > 0) || math.IsInf(perSecond, 0):
		return nil, fmt.Errorf("rate limit: rate %v per second must be positive and finite", perSecond)
	case burst < 1:
		return nil, fmt.Errorf("rate limit: burst %d must be at least 1", burst)
	case maxKeys < 1:
		return nil, fmt.Errorf("rate limit: max keys %d must be at least 1", maxKeys)
	}
	return &Keyed{
		limit:     rate.Limit(perSecond),
		burst:     burst,
		maxKeys:   maxKeys,
		idleAfter: time.Duration(float64(burst) / perSecond * float64(time.Second)),
		buckets:   make(map[string]*bucket),
	}, nil
}

// Allow takes one token from key's bucket at now. When the bucket is empty it
// returns false and how long until a token is available.
func (k *Keyed) Allow(key string, now time.Time) (bool, time.Duration) {
	k.mu.Lock()
	defer k.mu.Unlock()

	b, ok := k.buckets[key]
	if !ok {
		k.makeRoom(now)
		b = &bucket{lim: rate.NewLimiter(k.limit, k.burst)}
		k.buckets[key] = b
	}
	b.lastSeen = now
	if b.lim.AllowN(now, 1) {
		return true, 0
	}
	missing := 1 - b.lim.TokensAt(now)
	return false, time.Duration(missing / float64(k.limit) * float64(time.Second))
}

// Len reports how many keys are tracked.
func (k *Keyed) Len() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.buckets)
}

// makeRoom drops idle buckets, at most once per idle period so that the cost
// stays linear in time rather than in requests, and then an arbitrary bucket
// if the map is still full. Callers hold k.mu.
func (k *Keyed) makeRoom(now time.Time) {
	if now.Sub(k.lastSweep) >= k.idleAfter {
		k.lastSweep = now
		for key, b := range k.buckets {
			if now.Sub(b.lastSeen) >= k.idleAfter {
				delete(k.buckets, key)
			}
		}
	}
	if len(k.buckets) < k.maxKeys {
		return
	}
	for key := range k.buckets {
		delete(k.buckets, key)
		break
	}
}
