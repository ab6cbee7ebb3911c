package panicguard

import (
	"fmt"
	"log/slog"
	"runtime/debug"

	"github.com/prometheus/client_golang/prometheus"
)

// Guard recovers the panics of the functions it runs. What happens next (a
// connection closed, a session ended) is the caller's: Run reports that a
// panic was recovered.
type Guard struct {
	// Log receives one Error line per panic, with the stack; nil means slog.Default().
	Log *slog.Logger
	// Count counts a panic under where, a value of a bounded set; nil counts nothing.
	Count func(where string)
}

// Run calls fn. If fn panics, Run recovers, logs msg with where, the panic
// and the stack of the goroutine where it happened, counts it and returns true.
func (g Guard) Run(where, msg string, fn func()) (panicked bool) {
	defer func() {
		if v := recover(); v != nil {
			// The deferred call runs on top of the panicking frames: the
			// stack taken here still shows where the panic came from.
			g.recovered(where, msg, v, debug.Stack())
			panicked = true
		}
	}()
	fn()
	return false
}

func (g Guard) recovered(where, msg string, v any, stack []byte) {
	// Counted before it is logged: whoever sees the line sees the count.
	if g.Count != nil {
		g.Count(where)
	}
	log := g.Log
	if log == nil {
		log = slog.Default()
	}
	log.Error(msg, "where", where, "panic", fmt.Sprint(v), "stack", string(stack))
}

// NewCounter registers leapfrog_<subsystem>_panics_total{where} on reg with
// a series at zero for each of wheres, the label's only values: a rate then
// sees the first panic. A where not among them counts as "other": the
// counter runs while recovering, where it must not panic itself, and no
// caller can grow the series.
func NewCounter(reg prometheus.Registerer, subsystem, help string, wheres ...string) (func(where string), error) {
	vec := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "leapfrog_" + subsystem + "_panics_total", Help: help,
	}, []string{"where"})
	if err := reg.Register(vec); err != nil {
		return nil, fmt.Errorf("register leapfrog_%s_panics_total: %w", subsystem, err)
	}
	counters := make(map[string]prometheus.Counter, len(wheres))
	for _, w := range wheres {
		counters[w] = vec.WithLabelValues(w)
	}
	other := vec.WithLabelValues("other")
	return func(where string) {
		if c, ok := counters[where]; ok {
			c.Inc()
			return
		}
		other.Inc()
	}, nil
}
