package connlimit

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/leapfrog-games/leapfrog/internal/testwait"
)

// serve runs an HTTP server with keep-alive on 127.0.0.1 behind the limiter.
func serve(t *testing.T, cfg Config) (*Limiter, string) {
	t.Helper()
	return serveWith(t, cfg, false, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") }))
}

// serveWith runs h behind the limiter; states wires the limiter's ConnState
// hook into the server, as the allocator does.
func serveWith(t *testing.T, cfg Config, states bool, h http.Handler) (*Limiter, string) {
	t.Helper()
	l, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	if states {
		srv.ConnState = l.ConnState
	}
	go func() { _ = srv.Serve(l.Listener(ln)) }()
	t.Cleanup(func() { _ = srv.Close() })
	return l, ln.Addr().(*net.TCPAddr).String()
}

// keepAlive opens a connection from the loopback address from, makes one
// request on it and leaves it open and idle, as the attack does. It returns
// nil if the server closed the connection instead of answering.
func keepAlive(t *testing.T, from, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial from %s: %v", from, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		return nil // reset before the request got out
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(err.Error(), "reset") {
			return nil
		}
		t.Fatalf("read from %s: %v", from, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return c
}

func TestCapsPerIPAndInAll(t *testing.T) {
	reg := prometheus.NewRegistry()
	l, addr := serve(t, Config{PerIP: 3, Total: 5, Subsystem: "test", Registry: reg})
	var held []net.Conn
	for i := range 3 {
		c := keepAlive(t, "127.0.0.1", addr)
		if c == nil {
			t.Fatalf("connection %d from 127.0.0.1 refused under the cap", i)
		}
		held = append(held, c)
	}
	// The fourth from the same address is closed; other addresses still get in.
	for range 10 {
		if keepAlive(t, "127.0.0.1", addr) != nil {
			t.Fatal("a connection over the per-IP cap was served")
		}
	}
	for _, ip := range []string{"127.0.0.2", "127.0.0.3"} {
		if keepAlive(t, ip, addr) == nil {
			t.Fatalf("%s refused while its own count is 0", ip)
		}
	}
	if keepAlive(t, "127.0.0.4", addr) != nil {
		t.Fatal("a connection over the total cap was served")
	}
	if got := l.Open(); got != 5 {
		t.Errorf("Open() = %d, want 5", got)
	}
	if got := rejected(t, reg, ReasonPerIP); got != 10 {
		t.Errorf("rejected per IP = %v, want 10", got)
	}
	if got := rejected(t, reg, ReasonTotal); got != 1 {
		t.Errorf("rejected in total = %v, want 1", got)
	}
	// A closed connection gives its place back.
	_ = held[0].Close()
	// The server notices the close asynchronously.
	testwait.Eventually(t, "the closed connection's place given back", func() bool { return l.Open() == 4 })
	if keepAlive(t, "127.0.0.1", addr) == nil {
		t.Fatal("the place of a closed connection was not given back")
	}
}

func TestNewValidates(t *testing.T) {
	reg := prometheus.NewRegistry()
	for _, cfg := range []Config{
		{PerIP: 0, Total: 1, Subsystem: "a", Registry: reg},
		{PerIP: 1, Total: -1, Subsystem: "a", Registry: reg},
		{PerIP: 1, Total: 1, Subsystem: "", Registry: reg},
		{PerIP: 1, Total: 1, Subsystem: "a"},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		}
	}
}

func rejected(t *testing.T, reg *prometheus.Registry, reason string) float64 {
	t.Helper()
	return counter(t, reg, "leapfrog_test_rejected_connections_total", reason)
}

// counter reads the counter name{reason} from reg.
func counter(t *testing.T, reg *prometheus.Registry, name, reason string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if m.GetLabel()[0].GetValue() == reason {
				return m.GetCounter().GetValue()
			}
		}
	}
	t.Fatalf("no %s{reason=%q}", name, reason)
	return 0
}
