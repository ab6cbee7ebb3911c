package api

import (
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/leapfrog-games/leapfrog/internal/allocator/backend"
)

// MatchURL says where a client opens its WebSocket for an assignment: the
// match response's ws_url. The address and port stay in the response too,
// for clients that want to connect directly.
type MatchURL func(r *http.Request, a backend.Assignment) string

// DirectURL is the game server itself: ws://<address>:<port>/ws.
func DirectURL(_ *http.Request, a backend.Assignment) string {
	return "ws://" + net.JoinHostPort(a.Address, strconv.Itoa(int(a.Port))) + "/ws"
}

// EdgeURL is the edge at base (ws:// or wss://, with an optional path
// prefix): <base>/match/<game server>.
func EdgeURL(base string) MatchURL {
	base = strings.TrimSuffix(base, "/")
	return func(_ *http.Request, a backend.Assignment) string {
		return base + "/race/" + url.PathEscape(a.GameServer)
	}
}

// SameOriginEdgeURL is the edge served on the allocator's own origin, as the
// client reached it: wss:// when the request came over TLS.
func SameOriginEdgeURL(r *http.Request, a backend.Assignment) string {
	scheme := "ws://"
	if r.TLS != nil {
		scheme = "wss://"
	}
	return EdgeURL(scheme+r.Host)(r, a)
}
