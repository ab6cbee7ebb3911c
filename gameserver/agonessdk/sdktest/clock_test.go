package sdktest_test

import (
	"slices"
	"testing"
	"time"

	"github.com/leapfrog-games/leapfrog/gameserver/agonessdk/sdktest"
)

func TestFakeClock(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := sdktest.NewFakeClock(start)
	var fired []string
	var at []time.Duration
	timer := func(name string, d time.Duration) func() bool {
		return c.AfterFunc(d, func() {
			fired = append(fired, name)
			at = append(at, c.Now().Sub(start))
		})
	}
	timer("c", 3*time.Second)
	timer("a", time.Second)
	stopB := timer("b", 2*time.Second)
	timer("d", 10*time.Second)
	if next, ok := c.Next(); !ok || !next.Equal(start.Add(time.Second)) {
		t.Errorf("next = %v %v, want start+1s", next, ok)
	}
	if c.Pending() != 4 {
		t.Fatalf("pending %d", c.Pending())
	}
	if !stopB() {
		t.Error("stop of a pending timer reported false")
	}
	if stopB() {
		t.Error("second stop reported true")
	}
	c.Advance(999 * time.Millisecond)
	if len(fired) != 0 {
		t.Fatalf("fired early: %v", fired)
	}
	c.Advance(4 * time.Second)
	if !slices.Equal(fired, []string{"a", "c"}) || !slices.Equal(at, []time.Duration{time.Second, 3 * time.Second}) {
		t.Errorf("fired %v at %v", fired, at)
	}
	if got := c.Now().Sub(start); got != 4999*time.Millisecond {
		t.Errorf("now = start+%v", got)
	}
	if c.Pending() != 1 {
		t.Errorf("pending %d, want 1", c.Pending())
	}
	// A timer that arms another while firing: the new one runs in the same
	// Advance when it comes due within it.
	c.AfterFunc(time.Second, func() { c.AfterFunc(time.Second, func() { fired = append(fired, "chained") }) })
	c.Advance(2 * time.Second)
	if fired[len(fired)-1] != "chained" {
		t.Errorf("fired %v", fired)
	}
}
