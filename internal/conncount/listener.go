package conncount

import (
	"errors"
	"net"
	"net/http"
)

// ListenerOptions says how a Listener admits connections and whom it tells
// of those it refuses.
type ListenerOptions struct {
	// Shedding admits with AdmitShedding: the connection idle longest (as the
	// server reports through the table's ConnState) is closed for room at a
	// cap. Without it a connection at a cap is refused.
	Shedding bool
	// Refused, if set, hears of each connection closed on accept, with the
	// cap it met (see Table.Admit), before it is closed: a metric, a log line.
	Refused func(c net.Conn, err error)
	// RefusedAs, if set, hears of each connection whose CountAs finds the
	// client over this table's per-address cap.
	RefusedAs func(err error)
}

// Listener wraps ln: each connection it accepts is counted against its
// peer's IP address before a byte is read, and one over a cap is closed at
// once and never reaches the server, so that file descriptors stay bounded
// and the accept queue keeps moving. A connection gives its place back on
// its first Close (a server closes a hijacked WebSocket connection and may
// close it again). Listeners of one table share its caps.
func (t *Table) Listener(ln net.Listener, opts ListenerOptions) net.Listener {
	return &listener{Listener: ln, table: t, opts: opts}
}

type listener struct {
	net.Listener
	table *Table
	opts  ListenerOptions
}

func (ln *listener) Accept() (net.Conn, error) {
	for {
		c, err := ln.Listener.Accept()
		if err != nil {
			return nil, err
		}
		var count *Count
		if ln.opts.Shedding {
			count, err = ln.table.AdmitShedding(HostOf(c.RemoteAddr()), func() { _ = c.Close() })
		} else {
			count, err = ln.table.Admit(HostOf(c.RemoteAddr()))
		}
		if err != nil {
			if ln.opts.Refused != nil {
				ln.opts.Refused(c, err)
			}
			_ = c.Close()
			continue
		}
		return &conn{Conn: c, count: count, listener: ln}, nil
	}
}

// ConnState is an http.Server ConnState hook: it tells the table which of
// its connections are idle keep-alives, the ones a shedding Listener closes
// first at a cap. A connection no Listener of t accepted is ignored; a
// *tls.Conn, or another table's connection, is followed to the one under it.
func (t *Table) ConnState(nc net.Conn, state http.ConnState) {
	if c := t.find(nc); c != nil {
		c.count.SetIdle(state == http.StateIdle)
	}
}

// find is the connection under nc that a Listener of t accepted, or nil.
func (t *Table) find(nc net.Conn) *conn {
	for range 8 { // tls.Conn over the caps of a fleet and of its server is the deepest wrapping there is
		switch v := nc.(type) {
		case *conn:
			if v.listener.table == t {
				return v
			}
			nc = v.Conn
		case interface{ NetConn() net.Conn }:
			nc = v.NetConn()
		default:
			return nil
		}
	}
	return nil
}

// conn is an accepted connection's place in the table.
type conn struct {
	net.Conn
	count    *Count
	listener *listener
}

var _ Attributable = (*conn)(nil)

func (c *conn) Close() error {
	err := c.Conn.Close()
	c.count.Release()
	return err
}

// CountAs settles whom the connection counts against (see Count.As), here
// and in every table it passed through on the way in (a local fleet's caps,
// shared by its servers, under each server's own).
func (c *conn) CountAs(client string, relayed bool) error {
	err := c.count.As(client, relayed)
	if err != nil && c.listener.opts.RefusedAs != nil {
		c.listener.opts.RefusedAs(err)
	}
	if inner, ok := c.Conn.(Attributable); ok {
		err = errors.Join(err, inner.CountAs(client, relayed))
	}
	return err
}

// HostOf is the IP address of a, or its host when a is not TCP (the whole
// string if it has no port).
func HostOf(a net.Addr) string {
	if tcp, ok := a.(*net.TCPAddr); ok {
		return tcp.IP.String()
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}
