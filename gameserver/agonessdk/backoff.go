package agonessdk

import (
	"context"
	"math/rand/v2"
	"time"
)

// Backoff is a capped exponential backoff: Initial, doubled after each
// failure up to Max, each wait drawn at random from [d/2, d] so that many
// servers started together do not retry in step.
type Backoff struct {
	Initial time.Duration
	Max     time.Duration
}

// DefaultBackoff is what a Client uses unless told otherwise.
var DefaultBackoff = Backoff{Initial: 50 * time.Millisecond, Max: 2 * time.Second}

// backoffState walks one Backoff.
type backoffState struct {
	b    Backoff
	next time.Duration
}

func (b Backoff) start() *backoffState {
	if b.Initial <= 0 {
		b.Initial = DefaultBackoff.Initial
	}
	if b.Max < b.Initial {
		b.Max = b.Initial
	}
	return &backoffState{b: b, next: b.Initial}
}

// wait sleeps for the next delay or until ctx is done, whichever comes first.
func (s *backoffState) wait(ctx context.Context) error {
	d := s.next
	s.next = min(s.next*2, s.b.Max)
	d = d/2 + rand.N(d/2+1)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (s *backoffState) reset() { s.next = s.b.Initial }
