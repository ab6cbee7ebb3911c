package agones

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	realtimev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/realtime/v1"
	"github.com/leapfrog-games/leapfrog/test/agones/rig"
	"github.com/leapfrog-games/leapfrog/test/internal/playtest"
)

// TestWedgedLoopGoesUnhealthy runs race servers built with the test-only
// fault switch (-tags faultinject) and wedges one's game loop mid-race, as a
// game stuck in a callback would: the process lives on, but its watchdog
// stops the health pings, the players are told (CODE_INTERNAL, close 1011),
// Agones marks the GameServer Unhealthy and the Fleet replaces it.
func TestWedgedLoopGoesUnhealthy(t *testing.T) {
	s := needRig(t)
	rel, api := s.install(t, "faults", s.state.Binary("race-server-faults"), "fleet.replicas=2", "autoscaler.enabled=false")
	r := s.startRace(t, rel, api)

	ports, err := rig.ListeningPorts(r.pod.GamePID)
	if err != nil {
		t.Fatal(err)
	}
	ports = slices.DeleteFunc(ports, func(p int) bool { return p == r.pod.Port })
	if len(ports) != 1 {
		t.Fatalf("race server %d listens on %v besides its game port %d, want one admin port", r.pod.GamePID, ports, r.pod.Port)
	}
	resp, err := loopback.Post(fmt.Sprintf("http://127.0.0.1:%d/debug/fault/wedge", ports[0]), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("wedge: %s, want 204 (is %s built with -tags faultinject?)", resp.Status, s.state.Binary("race-server-faults"))
	}
	wedged := time.Now()
	for _, p := range r.players {
		lastErr, closed, err := playtest.AwaitClose(t.Context(), p.Conn)
		if err != nil {
			t.Fatalf("%s: %v", p.ID, err)
		}
		if lastErr.GetCode() != realtimev1.Error_CODE_INTERNAL || closed.Code != 1011 {
			t.Errorf("%s: got error %v and close %d (%q), want %s and close 1011", p.ID, lastErr, closed.Code, closed.Text,
				realtimev1.Error_CODE_INTERNAL)
		}
	}
	t.Logf("wedged loop to the players told: %.1fs", time.Since(wedged).Seconds())
	if !rig.Alive(r.pod.GamePID) {
		t.Error("the race server process died; the point is that it lives on, wedged")
	}
	gs := s.waitGameServer(t, rel, r.gameServer, healthDeadline, "Unhealthy", gone)
	t.Logf("wedged loop to GameServer %s: %.1fs", gs.State, time.Since(wedged).Seconds())
	s.waitFleetReady(t, rel, 2, 2*time.Minute)
	t.Logf("wedged loop to the Fleet healed: %.1fs", time.Since(wedged).Seconds())
}
