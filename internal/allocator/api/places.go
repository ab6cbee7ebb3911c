package api

import (
	"fmt"
	"sync"
	"time"

	"github.com/leapfrog-games/leapfrog/internal/allocator/backend"
)

// PlaceTracker is a backend that knows whether a place it gave is still
// held: its match placed and not over, its seat not given back to a no-show.
// With one, a place counts against its client address until then, so that
// an address whose players connect and idle cannot take more matches every
// hold; without one, a place counts for the hold after it was last given.
type PlaceTracker interface {
	// Holding reports whether playerID still holds the place a gave it.
	// It must be cheap and safe for concurrent use.
	Holding(playerID string, a backend.Assignment) bool
}

// placeLag is how long a place counts after it is given whatever the
// tracker says: a backend that learns of its own allocations through a
// watch (Agones) may not know of a place for a moment.
const placeLag = 10 * time.Second

// placeBook counts the seats held by the players of each client address:
// one entry per guest (asking again counts once, and the backend gives a
// guest one match at a time), weighed by the seats of its device.
type placeBook struct {
	max, maxKeys int
	hold         time.Duration
	tracker      PlaceTracker // nil: places count for the hold

	mu        sync.Mutex
	byIP      map[string]*addressPlaces
	lastSweep time.Time
}

// addressPlaces is what the players of one address hold. seats is kept
// with the places, so that a match costs O(1) however many players share
// the address (a load test, a big NAT), and the places that ended are
// looked for only at the cap, at most once per prunePeriod.
type addressPlaces struct {
	places   map[string]*place // by guest
	seats    int
	prunedAt time.Time
}

// prunePeriod bounds how often an address at its cap has its places
// looked at: each look asks the tracker about every place.
const prunePeriod = time.Second

func (a *addressPlaces) put(player string, p *place) {
	a.places[player] = p
	a.seats += p.seats
}

func (a *addressPlaces) drop(player string) {
	if p := a.places[player]; p != nil {
		a.seats -= p.seats
		delete(a.places, player)
	}
}

type place struct {
	a     backend.Assignment // zero while its allocation is under way
	seats int
	given time.Time
}

func newPlaceBook(max int, hold time.Duration, maxKeys int, tracker PlaceTracker) (*placeBook, error) {
	if max < 1 || hold <= 0 || maxKeys < 1 {
		return nil, fmt.Errorf("places: max %d, hold %v and max keys %d must be positive", max, hold, maxKeys)
	}
	return &placeBook{max: max, hold: hold, maxKeys: maxKeys, tracker: tracker, byIP: make(map[string]*addressPlaces)}, nil
}

// held reports whether the place of player p still counts at now. Callers
// hold b.mu.
func (b *placeBook) held(player string, p *place, now time.Time) bool {
	switch {
	case p.a.GameServer == "":
		return true // being allocated: Give or Release settles it
	case b.tracker != nil:
		return now.Before(p.given.Add(min(placeLag, b.hold))) || b.tracker.Holding(player, p.a)
	default:
		return now.Before(p.given.Add(b.hold))
	}
}

// Take reserves seats for player at address ip, or, when the address's
// players hold too many, returns false and a wait to advise. had is true
// when player holds a place already: asking again never counts twice.
func (b *placeBook) Take(ip, player string, seats int, now time.Time) (ok bool, after time.Duration, had bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	m := b.byIP[ip]
	if m == nil {
		if len(b.byIP) >= b.maxKeys && now.Sub(b.lastSweep) >= b.hold/16 {
			// At most 16 sweeps per hold: a flood of new addresses costs
			// no more than that.
			b.lastSweep = now
			b.sweep(now)
		}
		if len(b.byIP) >= b.maxKeys {
			return false, b.hold, false
		}
		m = &addressPlaces{places: make(map[string]*place, 1)}
		b.byIP[ip] = m
	}
	extra := seats
	if p := m.places[player]; p != nil && !b.held(player, p, now) {
		m.drop(player) // its match is over: a new place counts afresh
	} else if p != nil {
		had, extra = true, max(seats-p.seats, 0) // more seats on the same match
	}
	if m.seats+extra > b.max && now.Sub(m.prunedAt) >= prunePeriod {
		m.prunedAt = now
		b.prune(m, now)
	}
	if m.seats+extra > b.max {
		return false, b.retryAfter(m, now), had
	}
	if !had {
		m.put(player, &place{seats: seats, given: now})
	}
	return true, 0, had
}

// Give records where player's place is: from now on it counts while held.
func (b *placeBook) Give(ip, player string, seats int, a backend.Assignment, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	m := b.byIP[ip]
	if m == nil || m.places[player] == nil {
		return
	}
	p := m.places[player]
	m.drop(player)
	p.a, p.seats, p.given = a, max(p.seats, seats), now
	m.put(player, p)
}

// Release drops player's place at ip: its allocation failed.
func (b *placeBook) Release(ip, player string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if m := b.byIP[ip]; m != nil {
		m.drop(player)
		if len(m.places) == 0 {
			delete(b.byIP, ip)
		}
	}
}

// Held is the seats the players of ip hold at now.
func (b *placeBook) Held(ip string, now time.Time) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	if m := b.byIP[ip]; m != nil {
		for player, p := range m.places {
			if b.held(player, p, now) {
				n += p.seats
			}
		}
	}
	return n
}

// prune drops the places of m that no longer count. Callers hold b.mu.
func (b *placeBook) prune(m *addressPlaces, now time.Time) {
	for player, p := range m.places {
		if !b.held(player, p, now) {
			m.drop(player)
		}
	}
}

// retryAfter is the wait to advise an address at its cap: until the first
// of its places stops counting, when that is known (places counted for the
// hold); else, while matches run, a quarter of the hold. Callers hold b.mu.
func (b *placeBook) retryAfter(m *addressPlaces, now time.Time) time.Duration {
	if b.tracker != nil {
		return b.hold / 4
	}
	first := b.hold
	for _, p := range m.places {
		first = min(first, p.given.Add(b.hold).Sub(now))
	}
	return max(first, time.Second)
}

// sweep drops the places that no longer count and the addresses left
// empty. Callers hold b.mu.
func (b *placeBook) sweep(now time.Time) {
	for ip, m := range b.byIP {
		b.prune(m, now)
		if len(m.places) == 0 {
			delete(b.byIP, ip)
		}
	}
}
