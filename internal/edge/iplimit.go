package edge

import (
	"net"
	"net/http"
	"strings"
	"sync"
)

// connLimits counts open connections, in all and per client address.
type connLimits struct {
	perIP, total int

	mu    sync.Mutex
	byIP  map[string]int
	count int
}

func newConnLimits(perIP, total int) *connLimits {
	return &connLimits{perIP: perIP, total: total, byIP: make(map[string]int)}
}

// acquire takes a place for ip; it reports which limit refused it, or "".
func (l *connLimits) acquire(ip string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.count >= l.total:
		return outcomeFull
	case l.byIP[ip] >= l.perIP:
		return outcomeIPLimit
	}
	l.count++
	l.byIP[ip]++
	return ""
}

func (l *connLimits) release(ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.count--
	if l.byIP[ip]--; l.byIP[ip] <= 0 {
		delete(l.byIP, ip) // the map only holds addresses with open connections
	}
}

// clientIP is the client's address: the last one in header (added by the
// proxy in front, which the client cannot forge) if header is set and
// present, else the TCP peer's.
func clientIP(r *http.Request, header string) string {
	if header != "" {
		if v := r.Header.Values(header); len(v) > 0 {
			parts := strings.Split(v[len(v)-1], ",")
			if ip := strings.TrimSpace(parts[len(parts)-1]); ip != "" {
				return ip
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
