package agones

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/leapfrog-games/leapfrog/internal/allocator/placement"
)

// Results of a lease allocation and of a renewal, the values of their
// result labels.
const (
	leaseAllocated   = "allocated"
	leaseUnAllocated = "unallocated"
	leaseError       = "error"

	renewalOK    = "ok"
	renewalLost  = "lost" // deleted, back in the pool or leased by another replica
	renewalError = "error"
)

// leaseMetrics are the Leaser's Prometheus metrics.
type leaseMetrics struct {
	allocations *prometheus.CounterVec
	renewals    *prometheus.CounterVec
	matches     *prometheus.CounterVec
	released    prometheus.Counter
	unreachable prometheus.Counter
	retired     prometheus.Counter
}

func newLeaseMetrics(reg prometheus.Registerer, l *Leaser) (*leaseMetrics, error) {
	m := &leaseMetrics{
		allocations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leapfrog_allocator_lease_allocations_total",
			Help: "Lease allocations (one GameServerAllocation each) by result: allocated, unallocated, error.",
		}, []string{"result"}),
		renewals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leapfrog_allocator_lease_renewals_total",
			Help: "Lease renewals (one PATCH each) by result: ok, lost (the server is no longer this replica's), error.",
		}, []string{"result"}),
		matches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leapfrog_allocator_lease_placements_total",
			Help: "Players placed on leased game servers, by race: new (a race started) or joined (a race waiting for players, or the player's own).",
		}, []string{"race"}),
		released: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "leapfrog_allocator_lease_releases_total",
			Help: "Leases no longer renewed because their server had no race and was not needed: they lapse back to the pool.",
		}),
		unreachable: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "leapfrog_allocator_lease_unreachable_total",
			Help: "Times a leased game server was taken out of placement because a probe could not reach it (its players asking again are placed afresh).",
		}),
		retired: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "leapfrog_allocator_lease_retired_total",
			Help: "Leased game servers of an older generation of the Fleet (a rollout) taken out of placement: they finish their races, then are released.",
		}),
	}
	held := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "leapfrog_allocator_leases",
		Help: "Game servers this replica leases.",
	}, func() float64 {
		l.mu.Lock()
		defer l.mu.Unlock()
		return float64(len(l.leases))
	})
	free := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "leapfrog_allocator_lease_free_races",
		Help: "Races this replica can still start on the game servers it leases.",
	}, func() float64 { return float64(l.engine.FreeMatches()) })
	matches := func(state string, count func(placement.Stats) int) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name:        "leapfrog_allocator_lease_races",
			Help:        "Races placed by this replica on its leases, by state: pending (not yet reported by the server) or started.",
			ConstLabels: prometheus.Labels{"state": state},
		}, func() float64 { return float64(count(l.engine.Stats())) })
	}
	waiting := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "leapfrog_allocator_lease_waiting_races",
		Help: "Races reported waiting with a player present and a seat open to this replica, on its leases or other replicas': lone players go there first.",
	}, func() float64 { return float64(l.engine.Stats().Waiting) })
	pending := matches("pending", func(s placement.Stats) int { return s.Pending })
	started := matches("started", func(s placement.Stats) int { return s.Started })
	for _, r := range []string{leaseAllocated, leaseUnAllocated, leaseError} {
		m.allocations.WithLabelValues(r)
	}
	for _, r := range []string{renewalOK, renewalLost, renewalError} {
		m.renewals.WithLabelValues(r)
	}
	m.matches.WithLabelValues("new")
	m.matches.WithLabelValues("joined")
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.allocations, m.renewals, m.matches, m.released, m.unreachable, m.retired, held, free, waiting, pending, started} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register lease metrics: %w", err)
		}
	}
	return m, nil
}

func (m *leaseMetrics) allocation(result string) { m.allocations.WithLabelValues(result).Inc() }

func (m *leaseMetrics) renewal(result string) { m.renewals.WithLabelValues(result).Inc() }

func (m *leaseMetrics) placed(joined bool) {
	if joined {
		m.matches.WithLabelValues("joined").Inc()
		return
	}
	m.matches.WithLabelValues("new").Inc()
}
