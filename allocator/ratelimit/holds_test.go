package ratelimit

import (
	"fmt"
	"testing"
	"time"
)

func TestHolds(t *testing.T) {
	t0 := time.Date(2026, 11, 29, 8, 0, 0, 0, time.UTC)
	type take struct {
		at         time.Duration
		key, who   string
		ok         bool
		retryAfter time.Duration
	}
	tests := []struct {
		name  string
		steps []take
	}{
		{"the cap holds for distinct members", []take{
			{0, "ip1", "a", true, 0},
			{time.Second, "ip1", "b", true, 0},
			{2 * time.Second, "ip1", "c", false, 58 * time.Second},
		}},
		{"a member taken again is renewed, not counted twice", []take{
			{0, "ip1", "a", true, 0},
			{time.Second, "ip1", "a", true, 0},
			{2 * time.Second, "ip1", "a", true, 0},
			{3 * time.Second, "ip1", "b", true, 0},
			{4 * time.Second, "ip1", "a", true, 0},
		}},
		{"keys do not share a cap", []take{
			{0, "ip1", "a", true, 0},
			{0, "ip1", "b", true, 0},
			{0, "ip2", "c", true, 0},
			{0, "ip2", "d", true, 0},
		}},
		{"holds expire", []take{
			{0, "ip1", "a", true, 0},
			{10 * time.Second, "ip1", "b", true, 0},
			{59 * time.Second, "ip1", "c", false, time.Second},
			{60 * time.Second, "ip1", "c", true, 0},
			{61 * time.Second, "ip1", "d", false, 9 * time.Second},
		}},
		{"a renewed member expires at the end of its renewal", []take{
			{0, "ip1", "a", true, 0},
			{10 * time.Second, "ip1", "b", true, 0},
			{20 * time.Second, "ip1", "a", true, 0},
			{59 * time.Second, "ip1", "c", false, 11 * time.Second},
			{70 * time.Second, "ip1", "c", true, 0},
			{71 * time.Second, "ip1", "d", false, 9 * time.Second},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := NewHolds(2, time.Minute, 10)
			if err != nil {
				t.Fatal(err)
			}
			for i, s := range tt.steps {
				ok, after := h.Take(s.key, s.who, t0.Add(s.at))
				if ok != s.ok || after != s.retryAfter {
					t.Fatalf("step %d: Take(%s, %s) at +%v = %v, %v; want %v, %v", i, s.key, s.who, s.at, ok, after, s.ok, s.retryAfter)
				}
			}
		})
	}
}

// TestHoldsManyMembers: thousands of members behind one key (a load test,
// a big NAT), renewed over and over, keep the cap and the order of expiry,
// and the memory stays bounded by the members.
func TestHoldsManyMembers(t *testing.T) {
	t0 := time.Now()
	const n = 5000
	h, _ := NewHolds(n, time.Minute, 10)
	for i := range n {
		if ok, _ := h.Take("ip", fmt.Sprint("p", i), t0.Add(time.Duration(i)*time.Millisecond)); !ok {
			t.Fatalf("member %d refused under the cap", i)
		}
	}
	for i := range 10 * n { // p0 asks again and again: renewed, never counted twice
		if ok, _ := h.Take("ip", "p0", t0.Add(5*time.Second+time.Duration(i)*time.Microsecond)); !ok {
			t.Fatal("a held member was refused its renewal")
		}
	}
	if got := len(h.keys["ip"].order); got > 2*n+16 {
		t.Fatalf("%d entries kept for %d members", got, n)
	}
	// p0 was renewed: p1 is the next to expire, at 60.001 s.
	if ok, after := h.Take("ip", "new", t0.Add(30*time.Second)); ok || after != 30*time.Second+time.Millisecond {
		t.Fatalf("over the cap: %v, %v; want refused until p1 expires in 30.001s", ok, after)
	}
	if ok, _ := h.Take("ip", "new", t0.Add(time.Minute+time.Millisecond)); !ok {
		t.Fatal("refused once p1 expired")
	}
	if n := h.Held("ip", t0.Add(time.Minute+time.Millisecond)); n != 5000 {
		t.Fatalf("held %d, want 5000", n)
	}
}

func TestHoldsRelease(t *testing.T) {
	t0 := time.Now()
	h, _ := NewHolds(1, time.Minute, 10)
	if ok, _ := h.Take("ip", "a", t0); !ok {
		t.Fatal("first take refused")
	}
	if ok, _ := h.Take("ip", "b", t0); ok {
		t.Fatal("second member allowed over a cap of 1")
	}
	h.Release("ip", "a")
	if ok, _ := h.Take("ip", "b", t0); !ok {
		t.Fatal("take after release refused")
	}
	if n := h.Held("ip", t0); n != 1 {
		t.Fatalf("held %d, want 1", n)
	}
}

func TestHoldsBoundTheKeys(t *testing.T) {
	t0 := time.Now()
	h, _ := NewHolds(1, time.Minute, 2)
	h.Take("ip1", "a", t0)
	h.Take("ip2", "b", t0)
	// A third address is refused while the others hold places: forgetting
	// one of them would lift its cap.
	if ok, after := h.Take("ip3", "c", t0); ok || after != time.Minute {
		t.Fatalf("third key: %v, %v; want refused for a minute", ok, after)
	}
	// Once their holds expire, the keys are swept and the new one fits.
	if ok, _ := h.Take("ip3", "c", t0.Add(time.Minute)); !ok {
		t.Fatal("third key refused after the others expired")
	}
	if n := len(h.keys); n != 1 {
		t.Fatalf("%d keys tracked after the sweep, want 1", n)
	}
}

func TestNewHoldsValidates(t *testing.T) {
	for _, c := range []struct {
		max     int
		hold    time.Duration
		maxKeys int
	}{{0, time.Minute, 1}, {1, 0, 1}, {1, -time.Second, 1}, {1, time.Minute, 0}} {
		if _, err := NewHolds(c.max, c.hold, c.maxKeys); err == nil {
			t.Errorf("NewHolds(%d, %v, %d) accepted", c.max, c.hold, c.maxKeys)
		}
	}
}
