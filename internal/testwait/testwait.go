package testwait

import (
	"testing"
	"time"
)

// DefaultWithin is how long Eventually waits unless told otherwise: long
// enough for a loaded CI machine under -race, short enough that a broken
// test fails before the test binary's timeout.
const DefaultWithin = 10 * time.Second

// poll is how often the condition is asked: conditions are cheap reads of
// state, and a short poll keeps passing tests fast.
const poll = 5 * time.Millisecond

// Option changes how Eventually waits.
type Option func(*waitOptions)

type waitOptions struct{ within time.Duration }

// Within makes Eventually wait up to d instead of DefaultWithin.
func Within(d time.Duration) Option { return func(o *waitOptions) { o.within = d } }

// Eventually waits until cond is true, asking it every few milliseconds, and
// fails t with what if it is still false at the deadline. It must be called
// from the test's goroutine (it calls t.Fatalf).
func Eventually(t testing.TB, what string, cond func() bool, opts ...Option) {
	t.Helper()
	o := waitOptions{within: DefaultWithin}
	for _, opt := range opts {
		opt(&o)
	}
	deadline := time.Now().Add(o.within)
	for !cond() {
		if !time.Now().Before(deadline) {
			t.Fatalf("%s: not within %v", what, o.within)
		}
		time.Sleep(poll)
	}
}
