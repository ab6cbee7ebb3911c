package connlimit

import (
	"errors"
	"fmt"
	"net"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/leapfrog-games/leapfrog/internal/conncount"
)

// Config configures a Limiter.
type Config struct {
	// PerIP is the most connections open at once from one client IP address.
	PerIP int
	// Total is the most connections open at once from everyone.
	Total int
	// Subsystem names the metrics: leapfrog_<subsystem>_open_connections and
	// leapfrog_<subsystem>_rejected_connections_total.
	Subsystem string
	// Registry receives the metrics.
	Registry prometheus.Registerer
}

// Limiter counts the open connections of every listener it wraps. A
// connection over a cap is closed as soon as it is accepted, before a byte is
// read, so that one client cannot take every file descriptor of the process:
// idle keep-alive connections, slow handshakes and WebSockets all count until
// they are closed.
//
// Idle keep-alive connections go first: when the server reports connection
// states (ConnState), a new connection at a cap closes the connection idle
// longest (from its own address at the per-IP cap, from anyone at the total
// cap) and takes its place, so that a few addresses holding hundreds of
// idle keep-alives cannot turn every other client away for the idle
// timeout. Connections serving a request or hijacked (WebSockets, the local
// edge's relays) are never closed for room.
type Limiter struct {
	table *conncount.Table

	openGauge prometheus.GaugeFunc
	rejected  *prometheus.CounterVec
	shed      *prometheus.CounterVec
}

// Reasons a connection is rejected, the values of the metric's reason label.
const (
	ReasonPerIP = "per_ip"
	ReasonTotal = "total"
)

// New returns a Limiter and registers its metrics.
func New(cfg Config) (*Limiter, error) {
	if cfg.PerIP < 1 || cfg.Total < 1 {
		return nil, fmt.Errorf("connlimit: per-IP cap %d and total cap %d must be at least 1", cfg.PerIP, cfg.Total)
	}
	if cfg.Registry == nil || cfg.Subsystem == "" {
		return nil, fmt.Errorf("connlimit: a registry and a metrics subsystem are required")
	}
	table, err := conncount.New(cfg.PerIP, cfg.Total)
	if err != nil {
		return nil, fmt.Errorf("connlimit: %w", err)
	}
	l := &Limiter{table: table}
	l.openGauge = prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "leapfrog_" + cfg.Subsystem + "_open_connections",
		Help: "Connections open now, counted against the connection caps.",
	}, func() float64 { return float64(l.Open()) })
	l.rejected = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "leapfrog_" + cfg.Subsystem + "_rejected_connections_total",
		Help: "Connections closed on accept because a cap was reached, by cap (per_ip, total).",
	}, []string{"reason"})
	l.shed = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "leapfrog_" + cfg.Subsystem + "_shed_connections_total",
		Help: "Idle keep-alive connections closed to make room for a new connection at a cap, by cap (per_ip, total).",
	}, []string{"reason"})
	for _, r := range []string{ReasonPerIP, ReasonTotal} {
		l.rejected.WithLabelValues(r)
		l.shed.WithLabelValues(r)
	}
	for _, c := range []prometheus.Collector{l.openGauge, l.rejected, l.shed} {
		if err := cfg.Registry.Register(c); err != nil {
			return nil, fmt.Errorf("connlimit: %w", err)
		}
	}
	table.OnShed(func(full error) { l.shed.WithLabelValues(reason(full)).Inc() })
	return l, nil
}

// Open is the number of connections open now.
func (l *Limiter) Open() int { return l.table.Open() }

// Listener wraps ln: its Accept returns only connections within the caps;
// those over a cap are closed there and never reach the server.
func (l *Limiter) Listener(ln net.Listener) net.Listener {
	return l.table.Listener(ln, conncount.ListenerOptions{
		Shedding: true,
		Refused:  func(_ net.Conn, err error) { l.rejected.WithLabelValues(reason(err)).Inc() },
		// A game server of the local fleet behind the local edge counts a
		// relayed player's connection against the player's address.
		RefusedAs: func(error) { l.rejected.WithLabelValues(ReasonPerIP).Inc() },
	})
}

// ConnState is an http.Server ConnState hook: it tells the limiter which of
// its connections are idle keep-alives, the ones closed first at a cap. A
// connection from another listener is ignored; a *tls.Conn is followed to
// the connection under it.
func (l *Limiter) ConnState(nc net.Conn, state http.ConnState) { l.table.ConnState(nc, state) }

func reason(err error) string {
	if errors.Is(err, conncount.ErrPerAddr) {
		return ReasonPerIP
	}
	return ReasonTotal
}
