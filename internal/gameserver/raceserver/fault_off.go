//go:build !faultinject

package raceserver

import (
	"log/slog"
	"net/http"

	"github.com/leapfrog-games/leapfrog/gameserver/host"
)

// FaultInjection tells whether this build has the fault switches.
const FaultInjection = false

// registerFaults adds nothing: fault switches exist only in builds with
// -tags faultinject (see fault_on.go).
func registerFaults(*http.ServeMux, *host.Host, *slog.Logger) {}
