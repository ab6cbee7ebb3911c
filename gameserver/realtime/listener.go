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
	return table.Listener(ln, conncount.ListenerOptions{Refused: func(c net.Conn, err error) {
		reason := "too_many_connections"
		if errors.Is(err, conncount.ErrPerAddr) {
			reason = "too_many_connections_per_ip"
		}
		srv.cfg.Metrics.rejected(reason)
		srv.log.Debug("connection refused", "reason", reason, "remote", c.RemoteAddr().String())
	}})
}

// hostOf is the host of a host:port address (the whole string if it has no port).
func hostOf(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return host
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
