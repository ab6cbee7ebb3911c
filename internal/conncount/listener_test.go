package conncount

import (
	"errors"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"
)

// accepting serves ln: the connections it accepts arrive on the channel.
func accepting(t *testing.T, ln net.Listener) <-chan net.Conn {
	t.Helper()
	accepted := make(chan net.Conn, 16)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	t.Cleanup(func() { _ = ln.Close() })
	return accepted
}

func newTable(t *testing.T, perAddr, total int) *Table {
	t.Helper()
	table, err := New(perAddr, total)
	if err != nil {
		t.Fatal(err)
	}
	return table
}

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// next is the next connection accepted.
func next(t *testing.T, accepted <-chan net.Conn) net.Conn {
	t.Helper()
	select {
	case c := <-accepted:
		return c
	case <-time.After(10 * time.Second):
		t.Fatal("no connection accepted")
		return nil
	}
}

func dial(t *testing.T, ln net.Listener) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", ln.Addr().String(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// TestListenerRefusesOnAccept: a connection over a cap is closed before the
// server sees it, and Refused hears why first.
func TestListenerRefusesOnAccept(t *testing.T) {
	table := newTable(t, 1, 10)
	tcp := listen(t)
	var mu sync.Mutex
	var refused []error
	ln := table.Listener(tcp, ListenerOptions{Refused: func(_ net.Conn, err error) {
		mu.Lock()
		defer mu.Unlock()
		refused = append(refused, err)
	}})
	accepted := accepting(t, ln)
	dial(t, ln)
	first := next(t, accepted)
	over := dial(t, ln)
	_ = over.SetReadDeadline(time.Now().Add(5 * time.Second))
	var timeout net.Error
	if _, err := over.Read(make([]byte, 1)); err == nil || (errors.As(err, &timeout) && timeout.Timeout()) {
		t.Fatalf("read from the connection over the cap: %v, want it closed", err)
	}
	mu.Lock()
	if len(refused) != 1 || !errors.Is(refused[0], ErrPerAddr) {
		t.Errorf("refused %v, want one %v", refused, ErrPerAddr)
	}
	mu.Unlock()
	select {
	case c := <-accepted:
		t.Fatalf("the connection over the cap reached the server: %v", c.RemoteAddr())
	default:
	}
	_ = first.Close()
	_ = first.Close() // a server closing a hijacked connection again
	if table.Open() != 0 {
		t.Fatalf("open %d after close, want 0", table.Open())
	}
}

// TestListenersStacked: a server's caps over a fleet's, as the local fleet
// runs them: CountAs settles the connection in both tables, each tells its
// own RefusedAs, and each table's ConnState finds its own place under the
// other's.
func TestListenersStacked(t *testing.T) {
	fleet := newTable(t, 2, 10)
	server := newTable(t, 2, 10)
	other := newTable(t, 2, 10)
	tcp := listen(t)
	var fleetRefused, serverRefused int
	ln := server.Listener(fleet.Listener(tcp, ListenerOptions{Shedding: true, RefusedAs: func(error) { fleetRefused++ }}),
		ListenerOptions{RefusedAs: func(error) { serverRefused++ }})
	accepted := accepting(t, ln)
	// The edge (this test's address, a relay once it vouched for one
	// player) relays three players from one address: the third is over the
	// per-address cap of both tables.
	var conns []net.Conn
	for i := range 3 {
		dial(t, ln)
		c := next(t, accepted)
		conns = append(conns, c)
		err := c.(Attributable).CountAs("203.0.113.7", true)
		if (i < 2) != (err == nil) || (err != nil && !errors.Is(err, ErrPerAddr)) {
			t.Fatalf("connection %d: %v", i, err)
		}
	}
	if fleetRefused != 1 || serverRefused != 1 {
		t.Errorf("refused as: fleet %d, server %d, want 1 and 1", fleetRefused, serverRefused)
	}
	fleet.ConnState(conns[0], http.StateIdle)
	server.ConnState(conns[1], http.StateIdle)
	other.ConnState(conns[2], http.StateIdle)
	if fleet.Idle() != 1 || server.Idle() != 0 || other.Idle() != 0 {
		t.Errorf("idle: fleet %d, server %d, other %d, want 1, 0 (it never sheds), 0", fleet.Idle(), server.Idle(), other.Idle())
	}
	for _, c := range conns {
		_ = c.Close()
	}
	if fleet.Open() != 0 || server.Open() != 0 {
		t.Fatalf("open after close: fleet %d, server %d, want 0 and 0", fleet.Open(), server.Open())
	}
}
