package realtime

import (
	"sync"
	"time"
)

// minHelloWait is how long a connection may wait for its first frame before
// a full handshake pool may take its slot back: an honest client sends Hello
// as soon as the upgrade is answered, one round trip later.
const minHelloWait = time.Second

// handshakePool shares a server's handshake slots (connections between
// upgrade and Welcome) among client addresses. While slots are free anyone
// gets one. When they are all taken, a newcomer from an address holding less
// than its share takes the slot of a connection still silent: first one of
// an address holding more than its share, else one silent for minHelloWait.
// So sockets that never send Hello, from one address or a few, cannot keep
// other players out: they lose their slots to the players who come.
type handshakePool struct {
	max, share int
	clock      Clock

	mu      sync.Mutex
	held    int
	byAddr  map[string]int
	waiting []*handshakeSlot // slots not yet past their first frame, oldest first
}

// handshakeSlot is one connection's slot.
type handshakeSlot struct {
	addr  string
	since time.Time
	// Under the pool's lock:
	c        *conn // nil until upgraded
	taken    bool  // given to a newcomer: the connection must close
	released bool
}

func newHandshakePool(slots int, clock Clock) *handshakePool {
	return &handshakePool{max: slots, share: max(1, slots/8), clock: clock, byAddr: make(map[string]int)}
}

// acquire gives addr a slot, or nil when every slot is held by connections
// it may not take (or addr already holds its share of a full pool).
func (p *handshakePool) acquire(addr string) *handshakeSlot {
	now := p.clock.Now()
	p.mu.Lock()
	var victim *handshakeSlot
	if p.held >= p.max {
		if p.byAddr[addr] >= p.share {
			p.mu.Unlock()
			return nil
		}
		if victim = p.victim(now); victim == nil {
			p.mu.Unlock()
			return nil
		}
		victim.taken = true
		p.free(victim)
	}
	s := &handshakeSlot{addr: addr, since: now}
	p.held++
	p.byAddr[addr]++
	p.waiting = append(p.waiting, s)
	p.mu.Unlock()
	if victim != nil && victim.c != nil {
		victim.c.interruptRead()
	}
	return s
}

// victim is the silent connection whose slot a newcomer takes: the oldest
// of an address over its share, else the oldest silent for minHelloWait.
func (p *handshakePool) victim(now time.Time) *handshakeSlot {
	for _, s := range p.waiting {
		if p.byAddr[s.addr] > p.share {
			return s
		}
	}
	if len(p.waiting) > 0 && now.Sub(p.waiting[0].since) >= minHelloWait {
		return p.waiting[0]
	}
	return nil
}

// attach records the upgraded connection of s; false means its slot was
// taken meanwhile and the connection must close.
func (p *handshakePool) attach(s *handshakeSlot, c *conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	s.c = c
	return !s.taken
}

// heard marks s past its first frame: its slot can no longer be taken.
// false means it was taken before, and the connection must close.
func (p *handshakePool) heard(s *handshakeSlot) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if s.taken {
		return false
	}
	p.unwait(s)
	return true
}

// release gives the slot back (once; a taken slot is already back).
func (p *handshakePool) release(s *handshakeSlot) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !s.taken {
		p.free(s)
	}
}

func (p *handshakePool) free(s *handshakeSlot) {
	if s.released {
		return
	}
	s.released = true
	p.unwait(s)
	p.held--
	if p.byAddr[s.addr]--; p.byAddr[s.addr] <= 0 {
		delete(p.byAddr, s.addr)
	}
}

func (p *handshakePool) unwait(s *handshakeSlot) {
	for i, w := range p.waiting {
		if w == s {
			p.waiting = append(p.waiting[:i], p.waiting[i+1:]...)
			return
		}
	}
}
