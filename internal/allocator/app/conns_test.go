package app

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/leapfrog-games/leapfrog/contract/token"
	"github.com/leapfrog-games/leapfrog/internal/allocator/backend"
)

// TestIdleKeepAlivesDoNotLockOutClients: two addresses hold the allocator's
// whole connection cap with idle keep-alive connections (each made one
// request and went quiet). Before, every other client was reset for the
// idle timeout (2 minutes); now each new client is served, in place of the
// connection idle longest.
func TestIdleKeepAlivesDoNotLockOutClients(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxConns, cfg.MaxConnsPerIP = 20, 10
	deps := Deps{LocalFleet: func(context.Context, *token.Issuer, prometheus.Registerer, *slog.Logger) (backend.Backend, func(), error) {
		return fixedBackend{backend.Assignment{GameServer: "local-1", Address: "127.0.0.1", Port: 7001}}, func() {}, nil
	}}
	base, _ := started(t, cfg, deps)
	addr := strings.TrimPrefix(base, "http://")
	for _, ip := range []string{"127.0.0.2", "127.0.0.3"} {
		for i := range cfg.MaxConnsPerIP {
			if !healthz(t, ip, addr, true) {
				t.Fatalf("keep-alive %d from %s refused under the cap", i, ip)
			}
		}
	}
	// The server marks a connection idle just after writing its response:
	// the first client may come before that, and is retried for a while.
	served := 0
	for deadline := time.Now().Add(2 * time.Second); served == 0 && time.Now().Before(deadline); {
		if healthz(t, "127.0.1.1", addr, false) {
			served++
		}
	}
	for i := 1; i < 10; i++ {
		if healthz(t, fmt.Sprintf("127.0.1.%d", i+1), addr, false) {
			served++
		}
	}
	if served != 10 {
		t.Fatalf("%d of 10 clients served while idle keep-alives held the connection cap, want 10", served)
	}
}

// healthz asks GET /healthz from the loopback address from, and leaves the
// connection open when keep is set. It reports whether it was answered.
func healthz(t *testing.T, from, addr string, keep bool) bool {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial from %s: %v", from, err)
	}
	if keep {
		t.Cleanup(func() { _ = c.Close() })
	} else {
		defer c.Close()
	}
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		return false
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return false // reset or closed: refused at the cap
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}
