package realtime

import (
	"errors"
	"testing"
	"time"

	realtimev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/realtime/v1"
)

func gameFrame(op int32) *realtimev1.ClientFrame {
	return &realtimev1.ClientFrame{Payload: &realtimev1.ClientFrame_Message{Message: &realtimev1.GameMessage{OpCode: op}}}
}

func TestInputBudget(t *testing.T) {
	t0 := time.Unix(1e9, 0)
	b := newInputBudget(10, 20)
	for i := range 20 {
		if err := b.allow(gameFrame(201), t0); err != nil {
			t.Fatalf("frame %d of the burst refused: %v", i, err)
		}
	}
	var rl *errRateLimited
	if err := b.allow(gameFrame(201), t0); !errors.As(err, &rl) {
		t.Fatalf("frame 21 at once: %v, want rate limited", err)
	}
	if err := b.allow(gameFrame(200), t0); err != nil {
		t.Fatalf("another op code has its own budget: %v", err)
	}
	for i := range 10 { // one second refills rate tokens
		if err := b.allow(gameFrame(201), t0.Add(time.Second)); err != nil {
			t.Fatalf("frame %d after a second refused: %v", i, err)
		}
	}
	if err := b.allow(gameFrame(201), t0.Add(time.Second)); err == nil {
		t.Fatal("more than the rate after a second")
	}
}

func TestInputBudgetBoundsKindsAndTotal(t *testing.T) {
	t0 := time.Unix(1e9, 0)
	b := newInputBudget(10, 20)
	var err error
	n := 0
	for op := int32(1); err == nil; op++ { // a new op code each frame
		err = b.allow(gameFrame(op), t0)
		n++
	}
	if len(b.kinds) > maxBudgetKinds+1 {
		t.Fatalf("%d buckets kept, want at most %d", len(b.kinds), maxBudgetKinds+1)
	}
	if n > 3*20+1 {
		t.Fatalf("%d frames at once across op codes, want at most the total burst %d", n-1, 3*20)
	}
}

// BenchmarkInputBudget is the reader's cost per frame for the input budget.
func BenchmarkInputBudget(b *testing.B) {
	budget := newInputBudget(1e9, 1<<30)
	f := gameFrame(201)
	now := time.Unix(1e9, 0)
	b.ReportAllocs()
	for b.Loop() {
		now = now.Add(time.Microsecond)
		if err := budget.allow(f, now); err != nil {
			b.Fatal(err)
		}
	}
}
