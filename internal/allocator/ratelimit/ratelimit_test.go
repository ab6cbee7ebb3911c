package ratelimit

import (
	"fmt"
	"testing"
	"time"
)

func TestAllow(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 20, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		perSecond float64
		burst     int
		// calls at these offsets from t0, all for one key
		at        []time.Duration
		wantOK    []bool
		wantRetry time.Duration // of the last call
	}{
		{"burst then denied", 1, 3, []time.Duration{0, 0, 0, 0}, []bool{true, true, true, false}, time.Second},
		{"refills over time", 2, 1, []time.Duration{0, 0, 500 * time.Millisecond}, []bool{true, false, true}, 0},
		{"partial refill shortens the wait", 1, 1, []time.Duration{0, 250 * time.Millisecond}, []bool{true, false}, 750 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := New(tt.perSecond, tt.burst, 10)
			if err != nil {
				t.Fatal(err)
			}
			var retry time.Duration
			for i, off := range tt.at {
				var ok bool
				ok, retry = k.Allow("a", t0.Add(off))
				if ok != tt.wantOK[i] {
					t.Fatalf("call %d at +%v: allowed=%v, want %v", i, off, ok, tt.wantOK[i])
				}
			}
			if retry != tt.wantRetry {
				t.Errorf("retry after %v, want %v", retry, tt.wantRetry)
			}
		})
	}
}

func TestKeysAreIndependent(t *testing.T) {
	k, err := New(1, 1, 10)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if ok, _ := k.Allow("a", now); !ok {
		t.Fatal("first a denied")
	}
	if ok, _ := k.Allow("a", now); ok {
		t.Fatal("second a allowed")
	}
	if ok, _ := k.Allow("b", now); !ok {
		t.Fatal("b denied because of a")
	}
}

func TestMemoryIsBounded(t *testing.T) {
	t.Run("idle buckets are dropped", func(t *testing.T) {
		k, err := New(10, 10, 1000) // refills in 1 s
		if err != nil {
			t.Fatal(err)
		}
		t0 := time.Now()
		for i := range 100 {
			k.Allow(fmt.Sprint("old", i), t0)
		}
		k.Allow("new", t0.Add(2*time.Second))
		if got := k.Len(); got != 1 {
			t.Errorf("tracking %d keys, want 1", got)
		}
	})
	t.Run("never more than max keys", func(t *testing.T) {
		k, err := New(1, 1, 50)
		if err != nil {
			t.Fatal(err)
		}
		t0 := time.Now()
		for i := range 500 {
			k.Allow(fmt.Sprint("k", i), t0)
		}
		if got := k.Len(); got != 50 {
			t.Errorf("tracking %d keys, want 50", got)
		}
	})
	t.Run("a busy key keeps its bucket", func(t *testing.T) {
		k, err := New(1, 2, 100) // refills in 2 s
		if err != nil {
			t.Fatal(err)
		}
		t0 := time.Now()
		k.Allow("busy", t0)
		k.Allow("busy", t0)
		k.Allow("busy", t0.Add(1900*time.Millisecond)) // 0.9 tokens left
		// A new key at +2.1 s sweeps; "busy", seen 0.2 s before, must stay.
		k.Allow("late", t0.Add(2100*time.Millisecond))
		if ok, _ := k.Allow("busy", t0.Add(2100*time.Millisecond)); !ok {
			t.Fatal("busy denied with 1.1 tokens")
		}
		if ok, _ := k.Allow("busy", t0.Add(2100*time.Millisecond)); ok {
			t.Error("busy's bucket was reset by the sweep")
		}
	})
}

func TestNewRejectsBadLimits(t *testing.T) {
	tests := []struct {
		name      string
		perSecond float64
		burst     int
		maxKeys   int
	}{
		{"zero rate", 0, 1, 1},
		{"negative rate", -1, 1, 1},
		{"zero burst", 1, 0, 1},
		{"zero keys", 1, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.perSecond, tt.burst, tt.maxKeys); err == nil {
				t.Error("accepted")
			}
		})
	}
}
