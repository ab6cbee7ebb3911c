package api

import (
	"crypto/tls"
	"net/http/httptest"
	"testing"

	"github.com/leapfrog-games/leapfrog/internal/allocator/backend"
)

func TestMatchURLs(t *testing.T) {
	a := backend.Assignment{GameServer: "leapfrog-race-x2b9k", Address: "10.0.0.5", Port: 7123}
	plain := httptest.NewRequest("POST", "http://127.0.0.1:8080/v1/match", nil)
	secure := httptest.NewRequest("POST", "https://play.local:8443/v1/match", nil)
	secure.TLS = &tls.ConnectionState{}
	v6 := backend.Assignment{GameServer: "gs", Address: "fd00::1", Port: 7000}
	for _, tc := range []struct{ name, got, want string }{
		{"direct", DirectURL(plain, a), "ws://10.0.0.5:7123/ws"},
		{"direct v6", DirectURL(plain, v6), "ws://[fd00::1]:7000/ws"},
		{"edge", EdgeURL("wss://play.example.com")(plain, a), "wss://play.example.com/race/leapfrog-race-x2b9k"},
		{"edge with a prefix and slash", EdgeURL("wss://example.com/games/")(plain, a), "wss://example.com/games/race/leapfrog-race-x2b9k"},
		{"same origin", SameOriginEdgeURL(plain, a), "ws://127.0.0.1:8080/race/leapfrog-race-x2b9k"},
		{"same origin over TLS", SameOriginEdgeURL(secure, a), "wss://play.local:8443/race/leapfrog-race-x2b9k"},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, tc.got, tc.want)
		}
	}
}
