package client

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestDialBusyServer: a game server that answers the upgrade with 503 gives a
// HandshakeError that asks for a retry; any other status does not.
func TestDialBusyServer(t *testing.T) {
	for _, tt := range []struct {
		status int
		retry  bool
	}{
		{http.StatusServiceUnavailable, true},
		{http.StatusForbidden, false},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "busy", tt.status)
		}))
		_, err := Dial(t.Context(), "ws"+strings.TrimPrefix(srv.URL, "http")+"/ws", "token", DialOptions{})
		srv.Close()
		var h *HandshakeError
		if !errors.As(err, &h) || h.StatusCode != tt.status {
			t.Fatalf("status %d: err %v, want a HandshakeError with the status", tt.status, err)
		}
		if _, retry := RetryAfter(err); retry != tt.retry {
			t.Errorf("status %d: RetryAfter says retry=%v, want %v", tt.status, retry, tt.retry)
		}
	}
}
