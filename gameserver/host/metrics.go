package host

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/leapfrog-games/leapfrog/internal/panicguard"
)

// Metrics are the host's Prometheus metrics: the matches of the server and
// the lease. A nil *Metrics records nothing.
type Metrics struct {
	matchesRunning prometheus.Gauge
	matchesStarted prometheus.Counter
	matchesEnded   *prometheus.CounterVec
	refusals       *prometheus.CounterVec
	leaseLapses    prometheus.Counter
	recycles       *prometheus.CounterVec
	panics         func(where string)
}

// NewMetrics creates the metrics and registers them on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		matchesRunning: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "leapfrog_host_races_running", Help: "Matches (game sessions) running on this server.",
		}),
		matchesStarted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "leapfrog_host_races_started_total", Help: "Matches started on this server.",
		}),
		matchesEnded: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leapfrog_host_races_ended_total", Help: "Matches ended on this server, by outcome.",
		}, []string{"outcome"}),
		refusals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leapfrog_host_race_refusals_total",
			Help: "Players refused a match, by reason (server_full, draining, lease_lapsed, recycled, shutting_down, race_over, race_late, race_claim, broken).",
		}, []string{"reason"}),
		leaseLapses: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "leapfrog_host_lease_lapses_total", Help: "Leases that lapsed: the lessee stopped renewing while the server was Allocated.",
		}),
		recycles: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leapfrog_host_recycles_total",
			Help: "Times this server closed itself to new matches to be replaced, by reason (max_races, max_age): 0 or 1 in a process's life.",
		}, []string{"reason"}),
	}
	reg.MustRegister(m.matchesRunning, m.matchesStarted, m.matchesEnded, m.refusals, m.leaseLapses, m.recycles)
	var err error
	m.panics, err = panicguard.NewCounter(reg, "host",
		"Panics recovered by the host, by where (new_game: the game's constructor, and its session was refused; "+
			"session: a session's goroutine outside the game's callbacks, and that session ended crashed; session_end: "+
			"the books of an ended match; health, watch, matches_list, lobbies, fast_channel: a loop of the host, restarted).",
		panicWheres...)
	if err != nil {
		panic(err) // as MustRegister above
	}
	return m
}

func (m *Metrics) matchStarted() {
	if m != nil {
		m.matchesStarted.Inc()
		m.matchesRunning.Inc()
	}
}

func (m *Metrics) matchEnded(outcome string) {
	if m != nil {
		m.matchesRunning.Dec()
		m.matchesEnded.WithLabelValues(outcome).Inc()
	}
}

func (m *Metrics) refused(reason string) {
	if m != nil {
		m.refusals.WithLabelValues(reason).Inc()
	}
}

func (m *Metrics) panicked(where string) {
	if m != nil {
		m.panics(where)
	}
}

func (m *Metrics) leaseLapsed() {
	if m != nil {
		m.leaseLapses.Inc()
	}
}

func (m *Metrics) recycled(reason string) {
	if m != nil {
		m.recycles.WithLabelValues(reason).Inc()
	}
}

// HealthCollector exports h's health as leapfrog_host_healthy: 0 once the
// watchdog found a game loop stuck or the game failed for good. The process
// lives on and keeps serving /metrics until Agones replaces it, so this is
// the one series that tells a wedged server from a busy one.
func HealthCollector(h *Host) prometheus.Collector {
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "leapfrog_host_healthy",
		Help: "Whether this server sends Agones health pings: 1 yes, 0 once its watchdog found a game loop stuck or the game failed (Agones then marks it Unhealthy).",
	}, func() float64 {
		if h.Healthy() {
			return 1
		}
		return 0
	})
}
