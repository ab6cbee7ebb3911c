package realtime

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"

	"github.com/leapfrog-games/leapfrog/internal/conncount"
)

// LimitListener caps the connections a Server keeps open: at most
// MaxConnections in all and MaxConnectionsPerIP from one client address,
// counted from accept to close, whether they became WebSockets or stayed
// plain (idle keep-alive) HTTP. A connection over a cap is closed at once, so
// that file descriptors stay bounded and the accept queue keeps moving.
//
// A connection the edge relays (Config.Relays vouches for its client) counts
// against the player's address, not the edge's: the HTTP server must use
// ConnContext for the server to find the connection of a request.
func (srv *Server) LimitListener(ln net.Listener) net.Listener {
	// The caps were checked by NewServer: New cannot fail.
	table, _ := conncount.New(srv.cfg.MaxConnectionsPerIP, srv.cfg.MaxConnections)
	return &limitListener{Listener: ln, srv: srv, table: table}
}

type limitListener struct {
	net.Listener
	srv   *Server
	table *conncount.Table
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		count, err := l.table.Admit(remoteIP(c.RemoteAddr()))
		if err != nil {
			reason := "too_many_connections"
			if errors.Is(err, conncount.ErrPerAddr) {
				reason = "too_many_connections_per_ip"
			}
			l.srv.cfg.Metrics.rejected(reason)
			l.srv.log.Debug("connection refused", "reason", reason, "remote", c.RemoteAddr().String())
			c.Close()
			continue
		}
		return &limitedConn{Conn: c, count: count}, nil
	}
}

func remoteIP(a net.Addr) string {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.IP.String()
	}
	return hostOf(a.String())
}

// hostOf is the host of a host:port address (the whole string if it has no port).
func hostOf(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return host
}

// limitedConn gives its place back on the first Close.
type limitedConn struct {
	net.Conn
	count *conncount.Count
}

var _ conncount.Attributable = (*limitedConn)(nil)

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.count.Release()
	return err
}

// CountAs settles whom the connection counts against, here and in every cap
// it passed through on the way in (the local fleet's shared one).
func (c *limitedConn) CountAs(client string, relayed bool) error {
	err := c.count.As(client, relayed)
	if inner, ok := c.Conn.(conncount.Attributable); ok {
		err = errors.Join(err, inner.CountAs(client, relayed))
	}
	return err
}

type connKey struct{}

// ConnContext is the http.Server ConnContext of a server whose listener is
// LimitListener's: it lets the server count a relayed player's connection
// against the player's address.
func (srv *Server) ConnContext(ctx context.Context, c net.Conn) context.Context {
	return context.WithValue(ctx, connKey{}, c)
}

// countAs settles whom r's connection counts against; false means over a
// cap, and r was answered.
func (srv *Server) countAs(w http.ResponseWriter, r *http.Request, client string, relayed bool) bool {
	c, _ := r.Context().Value(connKey{}).(net.Conn)
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	a, ok := c.(conncount.Attributable)
	if !ok {
		return true // not behind LimitListener: nothing to count
	}
	if err := a.CountAs(client, relayed); err != nil {
		srv.cfg.Metrics.rejected("too_many_connections_per_ip")
		srv.log.Debug("connection refused", "reason", "too_many_connections_per_ip", "client", client, "remote", r.RemoteAddr)
		w.Header().Set("Connection", "close")
		http.Error(w, "too many connections from this client address", http.StatusTooManyRequests)
		return false
	}
	return true
}
