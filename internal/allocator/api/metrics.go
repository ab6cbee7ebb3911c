package api

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Allocation results, the values of the result label.
const (
	resultJoined      = "joined"  // placed on an already allocated game server
	resultCreated     = "created" // a Ready game server was allocated
	resultNoCapacity  = "no_capacity"
	resultUnavailable = "unavailable" // the backend could not be reached
	resultError       = "error"
)

type metrics struct {
	requests        *prometheus.CounterVec
	requestDuration *prometheus.HistogramVec
	allocations     *prometheus.CounterVec
	allocDuration   *prometheus.HistogramVec
	placesRefused   prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leapfrog_allocator_http_requests_total",
			Help: "HTTP requests answered, by route and status code.",
		}, []string{"route", "code"}),
		requestDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "leapfrog_allocator_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2.5, 12),
		}, []string{"route"}),
		allocations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leapfrog_allocator_allocations_total",
			Help: "Allocations by result: joined (an allocated game server with room), created (a Ready game server), no_capacity, unavailable, error.",
		}, []string{"result"}),
		allocDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "leapfrog_allocator_allocation_duration_seconds",
			Help:    "Time the backend took to allocate, by result.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2.5, 12),
		}, []string{"result"}),
		placesRefused: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "leapfrog_allocator_places_refused_total",
			Help: "Match requests refused because players from the same client address already hold the most places allowed.",
		}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.requestDuration, m.allocations, m.allocDuration, m.placesRefused} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register metrics: %w", err)
		}
	}
	// Export every result from the start, so that rates are defined before
	// the first failure.
	for _, r := range []string{resultJoined, resultCreated, resultNoCapacity, resultUnavailable, resultError} {
		m.allocations.WithLabelValues(r)
		m.allocDuration.WithLabelValues(r)
	}
	return m, nil
}

func (m *metrics) observeAllocation(result string, d time.Duration) {
	m.allocations.WithLabelValues(result).Inc()
	m.allocDuration.WithLabelValues(result).Observe(d.Seconds())
}

// instrument counts the requests h answers under the route name.
func (m *metrics) instrument(route string, h http.Handler) http.Handler {
	duration := m.requestDuration.WithLabelValues(route)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(sw, r)
		duration.Observe(time.Since(start).Seconds())
		m.requests.WithLabelValues(route, strconv.Itoa(sw.status)).Inc()
	})
}

// statusWriter remembers the status code written through it.
type statusWriter struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wroteHeader {
		w.status, w.wroteHeader = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wroteHeader = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
