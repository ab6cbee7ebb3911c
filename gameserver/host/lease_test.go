package host

import (
	"testing"
	"time"

	"github.com/leapfrog-games/leapfrog/contract/agoneswire"
	"github.com/leapfrog-games/leapfrog/gameserver/agonessdk"
)

func TestLeaseFollowsTheWatch(t *testing.T) {
	t0 := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	gs := gameServerSeen
	type step struct {
		at      time.Duration
		gs      *agonessdk.GameServer
		want    leaseEvent
		due     time.Duration // from the step's time; -1: cannot lapse
		expired bool          // at the step's time + due
	}
	tests := []struct {
		name  string
		ttl   time.Duration
		steps []step
	}{
		{"ready is no lease", 15 * time.Second, []step{
			{0, gs(agoneswire.StateReady, "", "", ""), leaseUnchanged, -1, false},
		}},
		{"allocated starts, renewals push the lapse back", 15 * time.Second, []step{
			{0, gs(agoneswire.StateAllocated, "a1", "x", "r0"), leaseStarted, 15 * time.Second, true},
			{5 * time.Second, gs(agoneswire.StateAllocated, "a1", "x", "r0"), leaseUnchanged, 10 * time.Second, true},
			{10 * time.Second, gs(agoneswire.StateAllocated, "a1", "x", "r1"), leaseRenewed, 15 * time.Second, true},
			{11 * time.Second, gs(agoneswire.StateAllocated, "a1", "y", "r1"), leaseRenewed, 15 * time.Second, true},
		}},
		{"a new allocation is a new lease", 15 * time.Second, []step{
			{0, gs(agoneswire.StateAllocated, "a1", "x", "r0"), leaseStarted, 15 * time.Second, true},
			{20 * time.Second, gs(agoneswire.StateAllocated, "a2", "x", "r0"), leaseStarted, 15 * time.Second, true},
		}},
		{"leaving Allocated ends it", 15 * time.Second, []step{
			{0, gs(agoneswire.StateAllocated, "a1", "x", "r0"), leaseStarted, 15 * time.Second, true},
			{1 * time.Second, gs(agoneswire.StateReady, "a1", "x", "r0"), leaseEnded, -1, false},
			{2 * time.Second, gs(agoneswire.StateReady, "a1", "x", "r0"), leaseUnchanged, -1, false},
		}},
		{"no TTL never lapses", 0, []step{
			{0, gs(agoneswire.StateAllocated, "a1", "x", "r0"), leaseStarted, -1, false},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := lease{ttl: tt.ttl}
			for i, s := range tt.steps {
				now := t0.Add(s.at)
				if got := l.observe(s.gs, now); got != s.want {
					t.Fatalf("step %d: event %d, want %d", i, got, s.want)
				}
				due, ok := l.due(now)
				if (s.due >= 0) != ok || ok && due != s.due {
					t.Fatalf("step %d: due %v %v, want %v", i, due, ok, s.due)
				}
				if ok && l.expired(now.Add(due-time.Nanosecond)) {
					t.Fatalf("step %d: expired before it was due", i)
				}
				if got := l.expired(now.Add(max(due, 0))); got != s.expired {
					t.Fatalf("step %d: expired at due = %v, want %v", i, got, s.expired)
				}
			}
		})
	}
}

func TestLapsedLeaseStaysLapsedUntilANewOne(t *testing.T) {
	t0 := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	l := lease{ttl: time.Second}
	alloc := func(allocated, renewed string) *agonessdk.GameServer {
		return &agonessdk.GameServer{
			ObjectMeta: agonessdk.ObjectMeta{Annotations: map[string]string{agoneswire.LastAllocatedAnnotation: allocated, agoneswire.LeaseRenewedAnnotation: renewed}},
			Status:     agonessdk.Status{State: agoneswire.StateAllocated},
		}
	}
	l.observe(alloc("a1", "r0"), t0)
	l.lapsed = true
	if l.observe(alloc("a1", "r1"), t0.Add(2*time.Second)); !l.lapsed || l.expired(t0.Add(time.Hour)) {
		t.Fatal("a renewal after the lapse revived the lease")
	}
	if _, ok := l.due(t0); ok {
		t.Fatal("a lapsed lease is due again")
	}
	if l.observe(alloc("a2", "r1"), t0.Add(3*time.Second)) != leaseStarted || l.lapsed {
		t.Fatal("a new allocation did not start a new lease")
	}
}
