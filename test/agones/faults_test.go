package agones

import (
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	leapfrog "github.com/leapfrog-games/leapfrog/client"
	realtimev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/realtime/v1"
	"github.com/leapfrog-games/leapfrog/test/agones/rig"
	"github.com/leapfrog-games/leapfrog/test/internal/playtest"
)

// runningRace is a race in progress on a GameServer of a release.
type runningRace struct {
	gameServer string
	guests     []leapfrog.Guest
	players    []playtest.Player
	pod        rig.Pod
}

// startRace pairs two new players on one GameServer and brings them to the
// middle of a race.
func (s *suite) startRace(t *testing.T, rel *rig.Release, api *leapfrog.Client) runningRace {
	t.Helper()
	ga, gb := s.guest(t, api), s.guest(t, api)
	ma, mb := s.match(t, api, ga), s.match(t, api, gb)
	if ma.GameServer != mb.GameServer {
		t.Fatalf("paired on %s and %s, want one GameServer", ma.GameServer, mb.GameServer)
	}
	r := runningRace{gameServer: ma.GameServer, guests: []leapfrog.Guest{ga, gb}}
	r.players = []playtest.Player{
		playtest.Join(t, ma.WSURL, ga.PlayerID, ma.PlayerSessionToken),
		playtest.Join(t, mb.WSURL, gb.PlayerID, mb.PlayerSessionToken),
	}
	playtest.StartRacing(t, r.players...)
	r.pod = s.pod(t, rel, r.gameServer)
	return r
}

// signalMidRace starts a race on the main release and sends its race server
// process sig; it returns the race and when the signal went.
func (s *suite) signalMidRace(t *testing.T, sig syscall.Signal) (runningRace, time.Time) {
	t.Helper()
	s.waitFleetReady(t, s.main, 2, 2*time.Minute)
	r := s.startRace(t, s.main, s.api)
	if err := syscall.Kill(r.pod.GamePID, sig); err != nil {
		t.Fatal(err)
	}
	return r, time.Now()
}

// healthDeadline is how long Agones may take to mark a server that stopped
// pinging Unhealthy: failureThreshold x periodSeconds of the chart's
// fleet.health, plus the sidecar's and controller's own delays.
const healthDeadline = 3*5*time.Second + 20*time.Second

func gone(gs rig.GameServer) bool {
	return gs.State == "Unhealthy" || gs.State == "Shutdown" || gs.State == "Deleted" || gs.Deleting
}

// TestSIGTERMMidRace stops a race server the way the kubelet does, with
// SIGTERM: both players are told the server is going away (1001), and the
// server, no longer pinging, goes Unhealthy and is replaced.
func TestSIGTERMMidRace(t *testing.T) {
	s := needRig(t)
	r, stopped := s.signalMidRace(t, syscall.SIGTERM)
	playtest.ExpectClosed(t, r.players, realtimev1.Error_CODE_SHUTTING_DOWN, websocket.CloseGoingAway)
	s.waitGameServer(t, s.main, r.gameServer, healthDeadline, "Unhealthy or gone", gone)
	t.Logf("SIGTERM to GameServer Unhealthy or gone: %.1fs", time.Since(stopped).Seconds())
	s.waitFleetReady(t, s.main, 4, 2*time.Minute)
}

// TestGameServerDeletedMidRace deletes an Allocated GameServer: Agones
// deletes its pod, the race server gets SIGTERM and lets both players go
// with 1001 within its drain grace, and the Fleet heals.
func TestGameServerDeletedMidRace(t *testing.T) {
	s := needRig(t)
	s.waitFleetReady(t, s.main, 2, 2*time.Minute)
	r := s.startRace(t, s.main, s.api)

	gs := &rig.GameServer{Name: r.gameServer}
	if err := rig.DeleteGameServer(t.Context(), s.admin, s.main.Namespace, gs.Name); err != nil {
		t.Fatal(err)
	}
	deleted := time.Now()
	playtest.ExpectClosed(t, r.players, realtimev1.Error_CODE_SHUTTING_DOWN, websocket.CloseGoingAway)
	t.Logf("GameServer deleted to both players let go: %.1fs", time.Since(deleted).Seconds())
	s.waitGameServer(t, s.main, r.gameServer, time.Minute, "deleted", func(gs rig.GameServer) bool { return gs.State == "Deleted" })
	s.waitFleetReady(t, s.main, 4, 2*time.Minute)
}

// TestKilledRaceServerGoesUnhealthy kills a race server mid-race with
// SIGKILL, so nothing of it can say goodbye: the players see the connection
// drop (1006), Agones marks the GameServer Unhealthy once its health pings
// stop, the Fleet replaces it, and the allocator sends the players to
// another server when they come back.
func TestKilledRaceServerGoesUnhealthy(t *testing.T) {
	s := needRig(t)
	r, killed := s.signalMidRace(t, syscall.SIGKILL)
	// The server died without a close: the players see 1006.
	playtest.ExpectClosed(t, r.players, realtimev1.Error_CODE_UNSPECIFIED, websocket.CloseAbnormalClosure)
	gs := s.waitGameServer(t, s.main, r.gameServer, healthDeadline, "Unhealthy", gone)
	t.Logf("SIGKILL to GameServer %s: %.1fs", gs.State, time.Since(killed).Seconds())
	s.waitFleetReady(t, s.main, 4, 2*time.Minute)
	t.Logf("SIGKILL to the Fleet's buffer Ready again: %.1fs", time.Since(killed).Seconds())

	// Coming back, as the browser does, the players get a live server.
	ma, mb := s.match(t, s.api, r.guests[0]), s.match(t, s.api, r.guests[1])
	if ma.GameServer == r.gameServer || mb.GameServer == r.gameServer {
		t.Fatalf("matched again onto the dead server %s", r.gameServer)
	}
	players := []playtest.Player{
		playtest.Join(t, ma.WSURL, r.guests[0].PlayerID, ma.PlayerSessionToken),
		playtest.Join(t, mb.WSURL, r.guests[1].PlayerID, mb.PlayerSessionToken),
	}
	playtest.CheckOneWinner(t, players, playtest.Race(t, players...))
}

// TestKilledHighDensityServerLosesItsPlayersAtOnce kills a high-density
// race server mid-race with SIGKILL. Its players ask the allocator again as
// the browser does (after 200 ms, then doubling up to 2 s, dialing each
// answer): the allocator probes the server they were placed on, finds it
// gone and places them afresh, together, on a live server, long before
// Agones marks the dead one Unhealthy; there they race to a winner.
func TestKilledHighDensityServerLosesItsPlayersAtOnce(t *testing.T) {
	s := needRig(t)
	rel, dense := s.installDense(t, "dense-kill", 16, 2)
	r := s.startRace(t, rel, dense.api)
	if err := syscall.Kill(r.pod.GamePID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	playtest.ExpectClosed(t, r.players, realtimev1.Error_CODE_UNSPECIFIED, websocket.CloseAbnormalClosure)

	var ma, mb leapfrog.Match
	deadAnswers := 0
	delay := 200 * time.Millisecond
	for {
		time.Sleep(delay)
		delay = min(2*delay, 2*time.Second)
		ma, mb = s.match(t, dense.api, r.guests[0]), s.match(t, dense.api, r.guests[1])
		for _, m := range []leapfrog.Match{ma, mb} {
			if m.GameServer == r.gameServer {
				deadAnswers++
				if _, err := leapfrog.Dial(t.Context(), m.WSURL, m.PlayerSessionToken, playtest.DialOptions); err == nil {
					t.Fatalf("dialed the killed server %s", r.gameServer)
				}
			}
		}
		if ma.GameServer != r.gameServer && mb.GameServer != r.gameServer {
			break
		}
		if time.Since(killed) > healthDeadline {
			t.Fatalf("players still sent to the killed server %s %.1fs after the kill (%d answers)", r.gameServer, time.Since(killed).Seconds(), deadAnswers)
		}
	}
	placed := time.Since(killed)
	if ma.GameServer != mb.GameServer {
		t.Fatalf("placed afresh on %s and %s, want one race together", ma.GameServer, mb.GameServer)
	}
	players := []playtest.Player{
		playtest.Join(t, ma.WSURL, r.guests[0].PlayerID, ma.PlayerSessionToken),
		playtest.Join(t, mb.WSURL, r.guests[1].PlayerID, mb.PlayerSessionToken),
	}
	joined := time.Since(killed)
	playtest.CheckOneWinner(t, players, playtest.Race(t, players...))
	gs := s.gameServer(t, rel, r.gameServer)
	t.Logf("figure: SIGKILL of a high-density server: its players placed on a live one %.1fs after the kill, %d answers named the dead server; both in the rematch %.1fs after the kill, which raced to a winner; the dead GameServer %s %.1fs after the kill",
		placed.Seconds(), deadAnswers, joined.Seconds(), gs.State, time.Since(killed).Seconds())
	if placed > 3*time.Second {
		t.Errorf("players placed on a live server %.1fs after the kill, want within 3 s", placed.Seconds())
	}
	if n := scrape(t, dense.base, `leapfrog_allocator_lease_unreachable_total`); n < 1 {
		t.Errorf("leapfrog_allocator_lease_unreachable_total = %v, want the killed server counted", n)
	}
}
