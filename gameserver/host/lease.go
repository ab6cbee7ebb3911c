package host

import (
	"time"

	"github.com/leapfrog-games/leapfrog/contract/agoneswire"
	"github.com/leapfrog-games/leapfrog/gameserver/agonessdk"
)

// lease follows an allocator's lease on a high-density server through the
// GameServer watch. A lease starts when the server is seen Allocated (by a
// new allocation); each change of the lessee label or of the renewal
// annotation renews it, timed on the server's own clock when seen, so that
// clocks of other machines never matter. It lapses after ttl without a
// renewal; a lapsed lease stays lapsed until the server is Ready again.
// It is part of the high-density lifecycle's state (highDensityState).
type lease struct {
	ttl time.Duration

	held       bool
	allocation string // the last-allocated annotation of the lease
	mark       string // lessee and renewal as last seen
	renewed    time.Time
	lapsed     bool
}

// leaseEvent is what a watch update meant for the lease.
type leaseEvent int

const (
	leaseUnchanged leaseEvent = iota
	leaseStarted              // a new allocation
	leaseRenewed
	leaseEnded // the server left Allocated
)

// observe takes a GameServer seen at now.
func (l *lease) observe(gs *agonessdk.GameServer, now time.Time) leaseEvent {
	meta := gs.ObjectMeta
	mark := meta.Labels[agoneswire.LesseeLabel] + "\x00" + meta.Annotations[agoneswire.LeaseRenewedAnnotation]
	allocation := meta.Annotations[agoneswire.LastAllocatedAnnotation]
	if gs.Status.State != agoneswire.StateAllocated {
		if !l.held {
			return leaseUnchanged
		}
		l.held = false
		return leaseEnded
	}
	switch {
	case !l.held || allocation != l.allocation:
		*l = lease{ttl: l.ttl, held: true, allocation: allocation, mark: mark, renewed: now}
		return leaseStarted
	case mark != l.mark:
		l.mark, l.renewed = mark, now
		return leaseRenewed
	}
	return leaseUnchanged
}

// expired reports whether the lease should lapse now: held, not lapsed,
// lapsing at all (ttl > 0), and not renewed for ttl.
func (l *lease) expired(now time.Time) bool {
	return l.held && !l.lapsed && l.ttl > 0 && now.Sub(l.renewed) >= l.ttl
}

// due is how long from now the lease lapses if not renewed; false when it
// cannot lapse.
func (l *lease) due(now time.Time) (time.Duration, bool) {
	if !l.held || l.lapsed || l.ttl <= 0 {
		return 0, false
	}
	return max(l.renewed.Add(l.ttl).Sub(now), 0), true
}
