package edge

import (
	"errors"
	"net"
	"net/http"
	"strings"

	"github.com/leapfrog-games/leapfrog/internal/conncount"
)

// admit counts a player's connection against ip and in all, or reports the
// outcome that refused it: edge_full before ip_limit when both caps are
// reached, so that an edge at its total cap reads as full.
func (h *Handler) admit(ip string) (*conncount.Count, string) {
	count, err := h.limits.Admit(ip)
	switch {
	case errors.Is(err, conncount.ErrTotal):
		return nil, outcomeFull
	case err != nil:
		return nil, outcomeIPLimit
	}
	return count, ""
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
