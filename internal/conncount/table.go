package conncount

import (
	"container/list"
	"errors"
	"fmt"
	"sync"
)

// Reasons a connection is refused.
var (
	ErrTotal   = errors.New("too many connections")
	ErrPerAddr = errors.New("too many connections from one client address")
)

// Table counts connections: at most Total open, at most PerAddr from one
// client address. It is safe for concurrent use.
//
// A connection is counted against its TCP peer when accepted (Admit), before
// a byte is read, so that idle and slow connections are bounded per address.
// Once its request shows that a trusted relay dialed it on a client's
// behalf, it counts against that client's address instead (Count.As). A
// peer with relayed connections open is a relay: its new connections are
// admitted under the total cap alone and counted when their request is read,
// so that a burst of dials from a busy relay is never refused for the relay's
// own address.
//
// Idle connections go first (AdmitShedding): a connection its server reports
// idle (a keep-alive between requests, Count.SetIdle) is closed to make room
// for a new one at a cap, the one idle longest from the same address at the
// per-address cap, from anyone at the total cap; so that a few addresses
// holding hundreds of idle keep-alives cannot turn every other client away
// for the idle timeout. A connection serving a request or hijacked is never
// closed for room.
type Table struct {
	perAddr, total int

	mu     sync.Mutex
	open   int
	byAddr map[string]int
	relays map[string]int // peer address -> its relayed connections open
	// idle holds the idle connections, idle longest first; idleBy the same
	// by the address they count against.
	idle   list.List
	idleBy map[string]*list.List
	shed   func(reason error)
}

// New returns a Table with the given caps (each at least 1).
func New(perAddr, total int) (*Table, error) {
	if perAddr < 1 || total < 1 {
		return nil, fmt.Errorf("connection caps: per address %d and total %d must be at least 1", perAddr, total)
	}
	return &Table{perAddr: perAddr, total: total, byAddr: make(map[string]int), relays: make(map[string]int),
		idleBy: make(map[string]*list.List)}, nil
}

// Idle is the number of connections reported idle now (SetIdle) that can
// be shed.
func (t *Table) Idle() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.idle.Len()
}

// OnShed sets a function called (under the table's lock: keep it short, a
// metric) each time an idle connection is closed to make room, with the cap
// that was reached: ErrPerAddr or ErrTotal.
func (t *Table) OnShed(f func(reason error)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.shed = f
}

// Open is the number of connections counted now.
func (t *Table) Open() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.open
}

// Admit counts a new connection from peer, or refuses it with ErrPerAddr,
// ErrTotal or, when both caps are reached, an error that is both.
func (t *Table) Admit(peer string) (*Count, error) {
	return t.admit(peer, nil)
}

// AdmitShedding is Admit that, at a cap, closes the connection idle longest
// (see Table) and takes its place instead of refusing. closeConn closes the
// new connection, should it be shed in its turn while idle.
func (t *Table) AdmitShedding(peer string, closeConn func()) (*Count, error) {
	if closeConn == nil {
		return nil, errors.New("connection count: no way to close a connection shed for room")
	}
	return t.admit(peer, closeConn)
}

func (t *Table) admit(peer string, closeConn func()) (*Count, error) {
	var victim *Count
	defer func() {
		if victim != nil {
			victim.closeConn() // outside t.mu: its place was handed over already
		}
	}()
	t.mu.Lock()
	defer t.mu.Unlock()
	relay := t.relays[peer] > 0
	addrFull, totalFull := !relay && t.byAddr[peer] >= t.perAddr, t.open >= t.total
	var full error
	var from *list.List
	switch {
	case addrFull:
		full, from = ErrPerAddr, t.idleBy[peer]
	case totalFull:
		full, from = ErrTotal, &t.idle
	}
	if full != nil {
		if closeConn == nil || from == nil || from.Len() == 0 {
			if addrFull && totalFull {
				// Both caps refuse: the error names both, and each caller
				// reports the one its operators look for first.
				return nil, errors.Join(ErrPerAddr, ErrTotal)
			}
			return nil, full
		}
		victim = from.Front().Value.(*Count)
		victim.releaseLocked()
		if t.shed != nil {
			t.shed(full)
		}
	}
	c := &Count{t: t, peer: peer, closeConn: closeConn}
	if !relay {
		t.byAddr[peer]++
		c.counted = peer
	}
	t.open++
	return c, nil
}

// Count is one admitted connection's place in a Table.
type Count struct {
	t    *Table
	peer string

	closeConn func() // nil: never shed

	// Under t.mu:
	counted  string // the address the connection counts against; "" none yet
	relayed  bool   // a relay vouched for it: its peer counts one relay more
	released bool
	// idleAll and idleAddr are its places in the idle lists while idle.
	idleAll, idleAddr *list.Element
}

// SetIdle tells the table whether the connection is idle (a keep-alive
// waiting for its next request), so closed first for room at a cap, or busy
// (reading or serving a request, hijacked, closed). Only connections
// admitted by AdmitShedding are ever shed.
func (c *Count) SetIdle(idle bool) {
	t := c.t
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case !idle || c.released:
		c.unidleLocked()
	case c.closeConn != nil && c.idleAll == nil:
		c.idleAll = t.idle.PushBack(c)
		if c.counted != "" {
			l := t.idleBy[c.counted]
			if l == nil {
				l = list.New()
				t.idleBy[c.counted] = l
			}
			c.idleAddr = l.PushBack(c)
		}
	}
}

// unidleLocked takes c off the idle lists. Callers hold t.mu.
func (c *Count) unidleLocked() {
	t := c.t
	if c.idleAll == nil {
		return
	}
	t.idle.Remove(c.idleAll)
	if c.idleAddr != nil {
		l := t.idleBy[c.counted]
		l.Remove(c.idleAddr)
		if l.Len() == 0 {
			delete(t.idleBy, c.counted)
		}
	}
	c.idleAll, c.idleAddr = nil, nil
}

// As settles whom the connection counts against once its request is read:
// client, the address a trusted relay vouched for, when relayed; its own
// peer otherwise. Over the per-address cap it returns ErrPerAddr (the
// connection still counts until released, so that its closing is bounded
// too). The first call settles; later ones do nothing.
func (c *Count) As(client string, relayed bool) error {
	t := c.t
	t.mu.Lock()
	defer t.mu.Unlock()
	if c.released || c.relayed || (c.counted != "" && !relayed) {
		return nil
	}
	c.unidleLocked() // its request is being read: not idle, and it may count elsewhere
	addr := c.peer
	if relayed {
		if c.counted != "" {
			t.drop(c.counted)
			c.counted = ""
		}
		c.relayed = true
		t.relays[c.peer]++
		addr = client
	}
	if t.byAddr[addr] >= t.perAddr {
		return fmt.Errorf("%w (%s)", ErrPerAddr, addr)
	}
	t.byAddr[addr]++
	c.counted = addr
	return nil
}

// Release gives the connection's place back; only the first call counts.
func (c *Count) Release() {
	c.t.mu.Lock()
	defer c.t.mu.Unlock()
	c.releaseLocked()
}

// releaseLocked is Release; callers hold t.mu.
func (c *Count) releaseLocked() {
	t := c.t
	if c.released {
		return
	}
	c.unidleLocked()
	c.released = true
	t.open--
	if c.counted != "" {
		t.drop(c.counted)
	}
	if c.relayed {
		if t.relays[c.peer]--; t.relays[c.peer] <= 0 {
			delete(t.relays, c.peer)
		}
	}
}

// drop uncounts one connection of addr; the map holds only addresses with
// connections open.
func (t *Table) drop(addr string) {
	if t.byAddr[addr]--; t.byAddr[addr] <= 0 {
		delete(t.byAddr, addr)
	}
}

// Attributable is a connection that can be counted against the client
// address a trusted relay names (see Count.As). Wrapping connections pass
// the call on to the connection they wrap, so that every cap on the way
// counts the same address.
type Attributable interface {
	CountAs(client string, relayed bool) error
}
