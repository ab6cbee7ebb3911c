package match

import "github.com/prometheus/client_golang/prometheus"

// Metrics count a game's matches: leapfrog_<subsystem>_<noun>_started_total
// (the countdown began) and leapfrog_<subsystem>_<noun>_ended_total by
// outcome (of those started).
type Metrics struct {
	started prometheus.Counter
	ended   *prometheus.CounterVec
}

// NewMetrics creates the match metrics of a game on reg: noun is what the
// game calls a match ("matches"), subsystem the game ("match").
func NewMetrics(reg prometheus.Registerer, subsystem, noun string) *Metrics {
	m := &Metrics{
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
