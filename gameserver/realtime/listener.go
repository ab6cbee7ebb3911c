package realtime

import (
	"net"
	"sync"
)

// LimitListener caps the connections a Server keeps open: at most
// MaxConnections in all and MaxConnectionsPerIP from one client address,
// counted from accept to close, whether they became WebSockets or stayed
// plain (idle keep-alive) HTTP. A connection over a cap is closed at once, so
// that file descriptors stay bounded and the accept queue keeps moving.
func (srv *Server) LimitListener(ln net.Listener) net.Listener {
	return &limitListener{Listener: ln, srv: srv, perIP: make(map[string]int)}
}

type limitListener struct {
	net.Listener
	srv *Server

	mu    sync.Mutex
	total int
	perIP map[string]int
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip := remoteIP(c.RemoteAddr())
		if reason := l.acquire(ip); reason != "" {
			l.srv.cfg.Metrics.rejected(reason)
			l.srv.log.Debug("connection refused", "reason", reason, "remote", c.RemoteAddr().String())
			c.Close()
			continue
		}
		return &limitedConn{Conn: c, release: func() { l.release(ip) }}, nil
	}
}

func (l *limitListener) acquire(ip string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.total >= l.srv.cfg.MaxConnections:
		return "too_many_connections"
	case l.perIP[ip] >= l.srv.cfg.MaxConnectionsPerIP:
		return "too_many_connections_per_ip"
	}
	l.total++
	l.perIP[ip]++
	return ""
}

func (l *limitListener) release(ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total--
	if l.perIP[ip]--; l.perIP[ip] <= 0 {
		delete(l.perIP, ip)
	}
}

func remoteIP(a net.Addr) string {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.IP.String()
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}

// limitedConn gives its place back once, on the first Close.
type limitedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
