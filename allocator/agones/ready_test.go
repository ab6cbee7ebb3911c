package agones

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestAPIProbe(t *testing.T) {
	t0 := time.Now()
	now := t0
	calls, down := 0, false
	p, err := NewAPIProbe(func(context.Context) error {
		calls++
		if down {
			return errors.New("connection refused")
		}
		return nil
	}, 2*time.Second, time.Second, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		at        time.Duration
		down      bool
		wantReady bool
		wantCalls int
	}{
		{0, false, true, 1},
		{time.Second, true, true, 1}, // cached
		{2 * time.Second, true, false, 2},
		{3 * time.Second, false, false, 2}, // cached
		{4 * time.Second, false, true, 3},  // back without a restart
	}
	for i, s := range steps {
		now, down = t0.Add(s.at), s.down
		err := p.Ready(t.Context())
		if (err == nil) != s.wantReady || calls != s.wantCalls {
			t.Fatalf("step %d at +%v: Ready() = %v after %d calls; want ready=%v after %d", i, s.at, err, calls, s.wantReady, s.wantCalls)
		}
	}
	if _, err := NewAPIProbe(nil, time.Second, time.Second, nil); err == nil {
		t.Error("accepted a nil check")
	}
	if _, err := NewAPIProbe(p.check, -time.Second, time.Second, nil); err == nil {
		t.Error("accepted a negative ttl")
	}
}
