package agones

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/leapfrog-games/leapfrog/contract/agonesv1"
	"github.com/leapfrog-games/leapfrog/internal/allocator/backend"
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
	last      atomic.Pointer[probeResult] // what Down reads without waiting
}

type probeResult struct {
	at  time.Time
	err error
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
		p.last.Store(&probeResult{at: now, err: err})
	}
	if p.err != nil {
		return fmt.Errorf("allocation API %s: %w", agonesv1.AllocationGroupVersion, p.err)
	}
	return nil
}

// Down reports, without waiting, what the last check found: its error if it
// failed at most two TTLs ago, nil otherwise. A result older than the TTL is
// refreshed in the background, so callers keep it current without /readyz
// being probed.
func (p *APIProbe) Down() error {
	last, now := p.last.Load(), p.now()
	if last == nil || now.Sub(last.at) >= p.ttl {
		if p.mu.TryLock() { // no check in flight: start one
			p.mu.Unlock()
			go func() { _ = p.Ready(context.Background()) }()
		}
	}
	if last == nil || last.err == nil || now.Sub(last.at) >= 2*p.ttl {
		return nil
	}
	return fmt.Errorf("allocation API %s: %w", agonesv1.AllocationGroupVersion, last.err)
}

// FailFast is a backend that needs the Kubernetes API for every match (one
// GameServerAllocation per player): while Probe finds the API down it
// answers backend.ErrUnavailable at once, where Allocate would wait out the
// request's timeout on an API that does not answer.
type FailFast struct {
	backend.Backend
	Probe *APIProbe
}

// Allocate implements backend.Backend.
func (f FailFast) Allocate(ctx context.Context, req backend.AllocationRequest) (backend.Assignment, error) {
	if err := f.Probe.Down(); err != nil {
		return backend.Assignment{}, fmt.Errorf("%w: %w", backend.ErrUnavailable, err)
	}
	return f.Backend.Allocate(ctx, req)
}

// Collector exports the probe as leapfrog_allocator_kube_api_up: 1 when
// the allocation API answered the check, 0 when it did not. A scrape
// checks (at most once per TTL, each check bounded by the probe's timeout),
// so an idle allocator, with no player asking and no kubelet probing, still
// tells an unreachable API.
func (p *APIProbe) Collector() prometheus.Collector {
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "leapfrog_allocator_kube_api_up",
		Help: "Whether the Kubernetes API (and the Agones allocation API behind it) answered the allocator's last check: 1 yes, 0 no.",
	}, func() float64 {
		if p.Ready(context.Background()) != nil {
			return 0
		}
		return 1
	})
}
