package conncount

import (
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
type Table struct {
	perAddr, total int

	mu     sync.Mutex
	open   int
	byAddr map[string]int
	relays map[string]int // peer address -> its relayed connections open
}

// New returns a Table with the given caps (each at least 1).
func New(perAddr, total int) (*Table, error) {
	if perAddr < 1 || total < 1 {
		return nil, fmt.Errorf("connection caps: per address %d and total %d must be at least 1", perAddr, total)
	}
	return &Table{perAddr: perAddr, total: total, byAddr: make(map[string]int), relays: make(map[string]int)}, nil
}

// Open is the number of connections counted now.
func (t *Table) Open() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.open
}

// Admit counts a new connection from peer, or refuses it with ErrTotal or
// ErrPerAddr.
func (t *Table) Admit(peer string) (*Count, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.open >= t.total {
		return nil, ErrTotal
	}
	c := &Count{t: t, peer: peer}
	if t.relays[peer] == 0 {
		if t.byAddr[peer] >= t.perAddr {
			return nil, ErrPerAddr
		}
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

	// Under t.mu:
	counted  string // the address the connection counts against; "" none yet
	relayed  bool   // a relay vouched for it: its peer counts one relay more
	released bool
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
	t := c.t
	t.mu.Lock()
	defer t.mu.Unlock()
	if c.released {
		return
	}
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
