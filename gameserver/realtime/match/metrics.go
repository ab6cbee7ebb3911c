package match

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics count a game's matches: leapfrog_<subsystem>_<noun>_started_total
// (the countdown began) and leapfrog_<subsystem>_<noun>_ended_total by
// outcome (of those started).
type Metrics struct {
	subsystem string
	started   prometheus.Counter
	ended     *prometheus.CounterVec
	latency   prometheus.Histogram // nil unless WithLatency
}

// NewMetrics creates the match metrics of a game on reg: noun is what the
// game calls a match ("matches"), subsystem the game ("match").
func NewMetrics(reg prometheus.Registerer, subsystem, noun string) *Metrics {
	m := &Metrics{
		subsystem: subsystem,
		started: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "leapfrog_" + subsystem + "_" + noun + "_started_total", Help: "Matches whose countdown started.",
		}),
		ended: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leapfrog_" + subsystem + "_" + noun + "_ended_total",
			Help: "Started matches that ended, by outcome (finished, forfeit, abandoned, idle).",
		}, []string{"outcome"}),
	}
	reg.MustRegister(m.started, m.ended)
	return m
}

// WithLatency adds leapfrog_<subsystem>_<name> on reg: the time from
// reading a player's action to queueing what it did for the players, which
// the game reports with Match.Answered.
func (m *Metrics) WithLatency(reg prometheus.Registerer, name, help string) *Metrics {
	m.latency = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "leapfrog_" + m.subsystem + "_" + name, Help: help,
		Buckets: []float64{1e-5, 5e-5, 1e-4, 5e-4, 1e-3, 5e-3, 2e-2, 1e-1},
	})
	reg.MustRegister(m.latency)
	return m
}

func (m *Metrics) answered(d time.Duration) {
	if m != nil && m.latency != nil {
		m.latency.Observe(d.Seconds())
	}
}

func (m *Metrics) matchStarted() {
	if m != nil {
		m.started.Inc()
	}
}

func (m *Metrics) matchEnded(o Outcome) {
	if m != nil {
		m.ended.WithLabelValues(string(o)).Inc()
	}
}
