package realtime

import (
	"time"

	"github.com/leapfrog-games/leapfrog/contract/closecode"
	realtimev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/realtime/v1"
)

// Driver runs a session by hand on the caller's goroutine, instead of Run:
// no network, no ticker. It is what package realtimetest builds its harness
// on; a driven session must not also be Run. Every method is loop only, that
// is, on the driving goroutine.
type Driver struct {
	s *Session
}

// Drive starts s by hand: the game's OnStart runs now.
func Drive(s *Session) *Driver {
	s.startClock()
	s.sleeper, _ = s.game.(Sleeper)
	s.game.OnStart(s)
	return &Driver{s: s}
}

// Session is the driven session.
func (d *Driver) Session() *Session { return d.s }

// Tick runs one tick at the clock's current time.
func (d *Driver) Tick() { d.s.Tick() }

// NextWake is when Run would next tick a Sleeper game's session (its
// game's NextTick, timers, no-show deadlines, empty timeout), the zero time
// for none; a game that is not a Sleeper ticks at the tick rate instead.
func (d *Driver) NextWake() time.Time {
	if d.s.sleeper == nil {
		return d.s.now.Add(d.s.TickPeriod())
	}
	return d.s.nextWake()
}

// Ended reports whether the session ended, and how.
func (d *Driver) Ended() (bool, string) { return d.s.ended, d.s.outcome }

// SetReservations applies a players list at once, as the Agones watch
// would through Session.SetReservations.
func (d *Driver) SetReservations(ids ...string) {
	d.s.mu.Lock()
	d.s.reserved = make(map[string]bool, len(ids))
	for _, id := range ids {
		d.s.reserved[id] = true
	}
	d.s.mu.Unlock()
	d.s.now = d.s.cfg.Clock.Now()
	d.s.updateReservations(ids)
}

// Connect admits a player on a new in-memory connection, as a real one
// whose Hello carried a token for id (and reconnectToken) would be.
func (d *Driver) Connect(id Identity, reconnectToken string) (*LocalConn, error) {
	c := &conn{out: make(chan []byte, d.s.cfg.SendQueue), done: make(chan struct{}), closed: make(chan struct{}), cfg: &d.s.cfg}
	d.s.now = d.s.cfg.Clock.Now()
	if err := d.s.admit(c, id, reconnectToken, nil); err != nil {
		return nil, err
	}
	return &LocalConn{d: d, c: c}, nil
}

// LocalConn is an in-memory player connection of a driven session.
type LocalConn struct {
	d *Driver
	c *conn
}

// Send delivers a client frame to the session now, as the connection's
// reader would after its checks.
func (c *LocalConn) Send(f *realtimev1.ClientFrame) {
	s := c.d.s
	s.now = s.cfg.Clock.Now()
	s.dispatch(c.c, f, s.now)
}

// Drop loses the connection, as a network failure would.
func (c *LocalConn) Drop() {
	s := c.d.s
	s.now = s.cfg.Clock.Now()
	s.disconnect(c.c)
	c.c.closeWith(closecode.Normal, "dropped", nil)
}

// Closed reports whether the server closed this connection, with the close code.
func (c *LocalConn) Closed() (bool, int) {
	select {
	case <-c.c.done:
		return true, int(c.c.closeCode)
	default:
		return false, 0
	}
}

// Next returns the next frame queued for the client, encoded, or false.
func (c *LocalConn) Next() ([]byte, bool) {
	select {
	case b := <-c.c.out:
		return b, true
	default:
		return nil, false
	}
}
