//go:build faultinject

package raceserver

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/leapfrog-games/leapfrog/gameserver/host"
)

// FaultInjection tells whether this build has the fault switches.
const FaultInjection = true

// registerFaults adds the test-only fault switches to the admin mux. Built
// only with -tags faultinject; production builds have none (see fault_off.go).
//
// POST /debug/fault/wedge blocks the running session's loop for good, as a
// game stuck in a callback would: the watchdog stops the health pings and
// closes the players' connections with CODE_INTERNAL (close 1011). It
// answers 204 once the loop is stuck, 409 when no session runs.
func registerFaults(mux *http.ServeMux, h *host.Host, logger *slog.Logger) {
	mux.HandleFunc("POST /debug/fault/wedge", func(w http.ResponseWriter, r *http.Request) {
		s := h.Session()
		if s == nil || s.Closed() {
			http.Error(w, "no game session is running", http.StatusConflict)
			return
		}
		stuck := make(chan struct{})
		go s.Do(context.Background(), func() {
			close(stuck)
			select {} // the loop never comes back
		})
		select {
		case <-stuck:
			logger.Warn("fault injected: the game loop is wedged", "session", s.ID())
			w.WriteHeader(http.StatusNoContent)
		case <-s.Done():
			http.Error(w, "the session ended first", http.StatusConflict)
		case <-time.After(5 * time.Second):
			http.Error(w, "the loop did not take the fault", http.StatusGatewayTimeout)
		case <-r.Context().Done():
		}
	})
}
