package edge

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/leapfrog-games/leapfrog/internal/panicguard"
)

// Connection outcomes, the values of the outcome label.
const (
	outcomeRelayed          = "relayed"
	outcomeBadPath          = "bad_path"
	outcomeIPLimit          = "ip_limit"
	outcomeFull             = "edge_full"
	outcomeDraining         = "draining"
	outcomeUpgradeFailed    = "upgrade_failed"
	outcomeMalformedFrame   = "malformed_frame"
	outcomeOversizedFrame   = "oversized_frame"
	outcomeHandshakeTimeout = "handshake_timeout"
	outcomeClientGone       = "client_gone"
	outcomeBadToken         = "bad_token"
	outcomeExpiredToken     = "expired_token"
	outcomeWrongServer      = "wrong_server"
	outcomeUnknownServer    = "unknown_server"
	outcomeResolveFailed    = "resolve_failed"
	outcomeDialFailed       = "dial_failed"
	outcomeInternalError    = "internal_error"
)

var outcomes = []string{
	outcomeRelayed, outcomeBadPath, outcomeIPLimit, outcomeFull, outcomeDraining, outcomeUpgradeFailed,
	outcomeMalformedFrame, outcomeOversizedFrame, outcomeHandshakeTimeout, outcomeClientGone, outcomeBadToken,
	outcomeExpiredToken, outcomeWrongServer, outcomeUnknownServer, outcomeResolveFailed, outcomeDialFailed,
	outcomeInternalError,
}

// Where a panic was recovered, the values of leapfrog_edge_panics_total's where label.
const (
	panicHandshake = "handshake" // reading Hello and dialing: the client got 1011
	panicRelay     = "relay"     // relaying: the client got 1012 and reconnects
)

// direction is which way a relayed frame goes.
type direction int

const (
	toServer direction = iota
	toClient
)

func (d direction) String() string {
	if d == toServer {
		return "to_server"
	}
	return "to_client"
}

// metrics are the edge's Prometheus metrics.
type metrics struct {
	connections *prometheus.CounterVec
	active      prometheus.Gauge
	frames      [2]prometheus.Counter
	bytes       [2]prometheus.Counter
	latency     [2]prometheus.Observer
	dial        prometheus.Histogram
	dialRetries prometheus.Counter
	panics      func(where string)
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	frames := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "leapfrog_edge_frames_total", Help: "WebSocket messages relayed, by direction.",
	}, []string{"direction"})
	bytes := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "leapfrog_edge_relayed_bytes_total", Help: "Payload bytes relayed, by direction.",
	}, []string{"direction"})
	latency := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "leapfrog_edge_relay_latency_seconds",
		Help:    "Time the edge adds to a message: from its first bytes read on one side to its last written on the other.",
		Buckets: []float64{5e-6, 10e-6, 25e-6, 50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3, 50e-3},
	}, []string{"direction"})
	m := &metrics{
		connections: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leapfrog_edge_connections_total", Help: "Client connections by outcome: relayed, or why they were refused.",
		}, []string{"outcome"}),
		active: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "leapfrog_edge_connections_active", Help: "Client connections open now (in their handshake or relayed).",
		}),
		dial: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "leapfrog_edge_dial_duration_seconds", Help: "Time to open the WebSocket to a game server.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 12),
		}),
		dialRetries: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "leapfrog_edge_dial_retries_total", Help: "Dials of a game server made again after it turned one away (closed on accept, 429, 503).",
		}),
	}
	for _, c := range []prometheus.Collector{m.connections, m.active, frames, bytes, latency, m.dial, m.dialRetries} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	for _, o := range outcomes {
		m.connections.WithLabelValues(o)
	}
	var err error
	if m.panics, err = panicguard.NewCounter(reg, "edge",
		"Panics recovered, by where (handshake: the client was closed with 1011; relay: the client was closed with 1012 to reconnect, the game server told the player left); the edge and its other relays ran on.",
		panicHandshake, panicRelay); err != nil {
		return nil, err
	}
	for _, d := range []direction{toServer, toClient} {
		m.frames[d] = frames.WithLabelValues(d.String())
		m.bytes[d] = bytes.WithLabelValues(d.String())
		m.latency[d] = latency.WithLabelValues(d.String())
	}
	return m, nil
}
