package connlimit

import (
	"container/list"
	"fmt"
	"net"
	"net/http"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
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
// timeout. Connections serving a request or hijacked (WebSockets) are never
// closed for room.
type Limiter struct {
	perIP, total int

	mu   sync.Mutex
	open int
	byIP map[string]*address
	// idle holds the idle keep-alive connections, idle longest first.
	idle list.List

	openGauge prometheus.GaugeFunc
	rejected  *prometheus.CounterVec
	shed      *prometheus.CounterVec
}

// address is what the limiter holds of one client IP address.
type address struct {
	open int
	idle list.List // its idle connections, idle longest first
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
	l := &Limiter{perIP: cfg.PerIP, total: cfg.Total, byIP: make(map[string]*address)}
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
	return l, nil
}

// Open is the number of connections open now.
func (l *Limiter) Open() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.open
}

// Listener wraps ln: its Accept returns only connections within the caps.
func (l *Limiter) Listener(ln net.Listener) net.Listener {
	return &listener{Listener: ln, limiter: l}
}

// ConnState is an http.Server ConnState hook: it tells the limiter which of
// its connections are idle keep-alives, the ones closed first at a cap. A
// connection from another listener is ignored; a *tls.Conn is followed to
// the connection under it.
func (l *Limiter) ConnState(nc net.Conn, state http.ConnState) {
	c := unwrap(nc)
	if c == nil || c.limiter != l {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if !c.counted {
		return // closed, or shed: its place is gone
	}
	switch state {
	case http.StateIdle:
		if c.idleAll == nil {
			c.idleAll = l.idle.PushBack(c)
			c.idleIP = l.byIP[c.ip].idle.PushBack(c)
		}
	default: // new, active, hijacked, closed: not idle
		l.unidle(c)
	}
}

// unwrap finds the limiter's connection under nc, or nil.
func unwrap(nc net.Conn) *conn {
	for range 4 { // tls.Conn over conn is the deepest wrapping there is
		switch v := nc.(type) {
		case *conn:
			return v
		case interface{ NetConn() net.Conn }:
			nc = v.NetConn()
		default:
			return nil
		}
	}
	return nil
}

// acquire counts a connection c from its address, closing the connection
// idle longest to make room at a cap; or reports the cap it would break.
func (l *Limiter) acquire(c *conn) (reason string, ok bool) {
	var victim *conn
	defer func() {
		if victim != nil {
			_ = victim.Conn.Close() // outside l.mu: its place was handed over already
		}
	}()
	l.mu.Lock()
	defer l.mu.Unlock()
	a := l.byIP[c.ip]
	switch {
	case a != nil && a.open >= l.perIP:
		reason = ReasonPerIP
		if e := a.idle.Front(); e != nil {
			victim = e.Value.(*conn)
		}
	case l.open >= l.total:
		reason = ReasonTotal
		if e := l.idle.Front(); e != nil {
			victim = e.Value.(*conn)
		}
	}
	if reason != "" {
		if victim == nil {
			return reason, false
		}
		l.shed.WithLabelValues(reason).Inc()
		l.uncount(victim)
	}
	if a = l.byIP[c.ip]; a == nil { // uncount may have dropped it
		a = &address{}
		l.byIP[c.ip] = a
	}
	a.open++
	l.open++
	c.counted = true
	return "", true
}

// release gives c's place back, once, however often it is called.
func (l *Limiter) release(c *conn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if c.counted {
		l.uncount(c)
	}
}

// uncount drops a counted connection from the counts. Callers hold l.mu.
func (l *Limiter) uncount(c *conn) {
	l.unidle(c)
	c.counted = false
	l.open--
	a := l.byIP[c.ip]
	if a.open--; a.open <= 0 {
		delete(l.byIP, c.ip) // the map holds only addresses with connections open
	}
}

// unidle takes c off the idle lists. Callers hold l.mu.
func (l *Limiter) unidle(c *conn) {
	if c.idleAll != nil {
		l.idle.Remove(c.idleAll)
		l.byIP[c.ip].idle.Remove(c.idleIP)
		c.idleAll, c.idleIP = nil, nil
	}
}

type listener struct {
	net.Listener
	limiter *Limiter
}

// Accept returns the next connection within the caps; those over a cap are
// closed here and never reach the server.
func (ln *listener) Accept() (net.Conn, error) {
	for {
		nc, err := ln.Listener.Accept()
		if err != nil {
			return nil, err
		}
		c := &conn{Conn: nc, limiter: ln.limiter, ip: hostOf(nc.RemoteAddr())}
		if reason, ok := ln.limiter.acquire(c); !ok {
			ln.limiter.rejected.WithLabelValues(reason).Inc()
			_ = nc.Close()
			continue
		}
		return c, nil
	}
}

// conn gives its place back when closed, once, however often Close is called
// (a server closes a hijacked WebSocket connection and may close it again).
// Its fields but Conn, limiter and ip are guarded by limiter.mu.
type conn struct {
	net.Conn
	limiter *Limiter
	ip      string
	counted bool
	// idleAll and idleIP are its places in the idle lists while idle.
	idleAll, idleIP *list.Element
}

func (c *conn) Close() error {
	err := c.Conn.Close()
	c.limiter.release(c)
	return err
}

func hostOf(a net.Addr) string {
	if tcp, ok := a.(*net.TCPAddr); ok {
		return tcp.IP.String()
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}
