package agones

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// APIProbe answers /readyz in Agones mode: an allocator that cannot reach
// the allocation API (the kube-apiserver down, or the Agones extensions
// behind it) is not ready, so that Kubernetes stops sending it players, and
// it becomes ready again by itself when the API is back. A result is reused
// for TTL so that probes from many sources cost one API call.
type APIProbe struct {
	check   func(ctx context.Context) error
	ttl     time.Duration
	timeout time.Duration
	now     func() time.Time

	mu        sync.Mutex
	checkedAt time.Time
	err       error
}

// NewAPIProbe returns a probe that calls check at most once per ttl, each
// call bounded by timeout. A nil now means time.Now.
func NewAPIProbe(check func(ctx context.Context) error, ttl, timeout time.Duration, now func() time.Time) (*APIProbe, error) {
	if check == nil || ttl <= 0 || timeout <= 0 {
		return nil, fmt.Errorf("agones: API probe needs a check, and a positive ttl (%v) and timeout (%v)", ttl, timeout)
	}
	if now == nil {
		now = time.Now
	}
	return &APIProbe{check: check, ttl: ttl, timeout: timeout, now: now}, nil
}

// Ready reports whether the allocation API answered at the last check.
func (p *APIProbe) Ready(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if now := p.now(); p.checkedAt.IsZero() || now.Sub(p.checkedAt) >= p.ttl {
		cctx, cancel := context.WithTimeout(ctx, p.timeout)
		err := p.check(cctx)
		cancel()
		if ctx.Err() != nil {
			return ctx.Err() // the prober went away: nothing learned
		}
		p.checkedAt, p.err = now, err
	}
	if p.err != nil {
		return fmt.Errorf("allocation API %s: %w", GroupVersion, p.err)
	}
	return nil
}
