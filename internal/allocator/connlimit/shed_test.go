package connlimit

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// TestIdleKeepAlivesGoFirst is the attack: two addresses open idle
// keep-alive connections up to the total cap and hold them. Without the
// server's connection states every other client is reset for the idle
// timeout; with them, each new client takes the place of the connection
// idle longest and is served.
func TestIdleKeepAlivesGoFirst(t *testing.T) {
	const perIP, total, honest = 8, 16, 10
	tests := []struct {
		name       string
		states     bool
		wantServed int
	}{
		{"server reports no states: every client is reset", false, 0},
		{"idle connections are shed", true, honest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg := prometheus.NewRegistry()
			l, addr := serveWith(t, Config{PerIP: perIP, Total: total, Subsystem: "test", Registry: reg}, tt.states, okHandler())
			for _, ip := range []string{"127.0.0.2", "127.0.0.3"} {
				for i := range perIP {
					if keepAlive(t, ip, addr) == nil {
						t.Fatalf("attacker connection %d from %s refused under the cap", i, ip)
					}
				}
			}
			waitIdle(t, l, 2*perIP, tt.states)
			served := 0
			for i := range honest {
				if keepAlive(t, fmt.Sprintf("127.0.1.%d", i+1), addr) != nil {
					served++
				}
			}
			if served != tt.wantServed {
				t.Fatalf("%d of %d clients served while idle keep-alives held the cap, want %d", served, honest, tt.wantServed)
			}
			if got := shed(t, reg, ReasonTotal); got != float64(tt.wantServed) {
				t.Errorf("shed at the total cap = %v, want %d", got, tt.wantServed)
			}
			if got := l.Open(); got > total {
				t.Errorf("Open() = %d, over the cap %d", got, total)
			}
		})
	}
}

// TestPerIPCapShedsItsOwnIdle: an address at its cap (browser tabs, a NAT)
// gets a new connection in by closing its own connection idle longest,
// never another address's.
func TestPerIPCapShedsItsOwnIdle(t *testing.T) {
	reg := prometheus.NewRegistry()
	l, addr := serveWith(t, Config{PerIP: 2, Total: 100, Subsystem: "test", Registry: reg}, true, okHandler())
	other := keepAlive(t, "127.0.0.9", addr)
	first := keepAlive(t, "127.0.0.2", addr)
	_ = keepAlive(t, "127.0.0.2", addr)
	waitIdle(t, l, 3, true)
	if keepAlive(t, "127.0.0.2", addr) == nil {
		t.Fatal("a new connection from an address at its cap with idle ones was refused")
	}
	if !closedByServer(first) {
		t.Fatal("the address's connection idle longest is still open")
	}
	if closedByServer(other) {
		t.Fatal("another address's idle connection was closed")
	}
	if got := shed(t, reg, ReasonPerIP); got != 1 {
		t.Errorf("shed at the per-IP cap = %v, want 1", got)
	}
}

// TestBusyConnectionsAreNeverShed: requests in flight and hijacked
// connections (the local edge's WebSocket relays) hold their places; a new
// connection at the cap is refused as before.
func TestBusyConnectionsAreNeverShed(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/hijack" {
			c, _, err := http.NewResponseController(w).Hijack()
			if err != nil {
				return
			}
			_, _ = io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\n\r\n")
			<-release
			_ = c.Close()
			return
		}
		_, _ = io.WriteString(w, "busy\n")
		w.(http.Flusher).Flush()
		<-release
	})
	reg := prometheus.NewRegistry()
	_, addr := serveWith(t, Config{PerIP: 10, Total: 4, Subsystem: "test", Registry: reg}, true, h)
	for i, path := range []string{"/hijack", "/hijack", "/slow", "/slow"} {
		c := dialFrom(t, fmt.Sprintf("127.0.0.%d", i+2), addr)
		if _, err := fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path); err != nil {
			t.Fatal(err)
		}
		if _, err := bufio.NewReader(c).ReadString('\n'); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	}
	if keepAlive(t, "127.0.0.20", addr) != nil {
		t.Fatal("a busy connection was closed to make room")
	}
	if got := shed(t, reg, ReasonTotal); got != 0 {
		t.Errorf("shed = %v, want 0", got)
	}
}

func okHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })
}

func dialFrom(t *testing.T, from, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial from %s: %v", from, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	return c
}

// waitIdle waits until the server has reported n idle connections: it
// reports a connection idle just after writing the response the client
// has already read.
func waitIdle(t *testing.T, l *Limiter, n int, states bool) {
	t.Helper()
	if !states {
		return
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		idle := l.table.Idle()
		if idle >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d idle connections, want %d", idle, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// closedByServer reports whether the server has closed c.
func closedByServer(c net.Conn) bool {
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	_, err := c.Read(make([]byte, 1))
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		return false
	}
	return err != nil
}

func shed(t *testing.T, reg *prometheus.Registry, reason string) float64 {
	t.Helper()
	return counter(t, reg, "leapfrog_test_shed_connections_total", reason)
}
