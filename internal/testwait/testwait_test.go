package testwait_test

import (
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leapfrog-games/leapfrog/internal/testwait"
)

func TestEventuallyReturnsOnceTheConditionHolds(t *testing.T) {
	var calls atomic.Int32
	testwait.Eventually(t, "the third call", func() bool { return calls.Add(1) >= 3 })
	if got := calls.Load(); got != 3 {
		t.Errorf("cond called %d times, want 3: Eventually must stop asking once it holds", got)
	}
}

// fatalRecorder is a testing.TB whose Fatalf is recorded and ends the
// goroutine, as the real one does.
type fatalRecorder struct {
	testing.TB
	msg chan string
}

func (f *fatalRecorder) Helper() {}
func (f *fatalRecorder) Fatalf(format string, args ...any) {
	f.msg <- format
	runtime.Goexit()
}

func TestEventuallyFailsAtTheDeadline(t *testing.T) {
	f := &fatalRecorder{TB: t, msg: make(chan string, 1)}
	start := time.Now()
	go testwait.Eventually(f, "never", func() bool { return false }, testwait.Within(20*time.Millisecond))
	if msg := <-f.msg; msg == "" {
		t.Error("Eventually failed with an empty message")
	}
	if waited := time.Since(start); waited < 20*time.Millisecond {
		t.Errorf("Eventually gave up after %v, before its deadline", waited)
	}
}
