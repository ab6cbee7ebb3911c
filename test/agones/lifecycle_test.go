package agones

import (
	"testing"
	"time"

	"github.com/leapfrog-games/leapfrog/test/agones/rig"
	"github.com/leapfrog-games/leapfrog/test/internal/playtest"
)

// TestAfterRaceReadyReusesTheServer installs a release whose race servers go
// back to the Ready pool after a race (--after-race=ready): the same
// GameServer comes back Ready with an empty players list and hosts the next
// race.
func TestAfterRaceReadyReusesTheServer(t *testing.T) {
	s := needRig(t)
	rel, api := s.install(t, "reuse", s.state.Binary("race-server"),
		"race.afterRace=ready", "fleet.replicas=1", "autoscaler.enabled=false")

	var first string
	for round := range 2 {
		ga, gb := s.guest(t, api), s.guest(t, api)
		ma, mb := s.match(t, api, ga), s.match(t, api, gb)
		if ma.GameServer != mb.GameServer {
			t.Fatalf("round %d: paired on %s and %s", round, ma.GameServer, mb.GameServer)
		}
		if round == 0 {
			first = ma.GameServer
		} else if ma.GameServer != first {
			t.Fatalf("round 2 on %s, want the reused %s", ma.GameServer, first)
		}
		players := []playtest.Player{
			playtest.Join(t, ma.WSURL, ga.PlayerID, ma.PlayerSessionToken),
			playtest.Join(t, mb.WSURL, gb.PlayerID, mb.PlayerSessionToken),
		}
		playtest.CheckOneWinner(t, players, playtest.Race(t, players...))
		ended := time.Now()
		s.waitGameServer(t, rel, ma.GameServer, time.Minute, "Ready again with an empty list", func(gs rig.GameServer) bool {
			return gs.State == "Ready" && len(gs.Players) == 0
		})
		t.Logf("round %d on %s: Ready again %.1fs after the race", round+1, ma.GameServer, time.Since(ended).Seconds())
	}
}

// TestNoShowIsFreed matches a player who never connects: the race server
// removes its id from the players list after the no-show time, and, as no
// one else came, ends the empty session and shuts the server down.
func TestNoShowIsFreed(t *testing.T) {
	s := needRig(t)
	s.waitFleetReady(t, s.main, 2, 2*time.Minute)

	g := s.guest(t, s.api)
	m := s.match(t, s.api, g)
	matched := time.Now()
	if gs := s.gameServer(t, s.main, m.GameServer); !sameSet(gs.Players, []string{g.PlayerID}) {
		t.Fatalf("players list %v, want [%s]", gs.Players, g.PlayerID)
	}
	// values.yaml: no-show-timeout 10s.
	s.waitGameServer(t, s.main, m.GameServer, time.Minute, "the no-show removed from the list", func(gs rig.GameServer) bool {
		return len(gs.Players) == 0 || gs.State == "Shutdown" || gs.State == "Deleted"
	})
	t.Logf("no-show removed from the list %.1fs after the match", time.Since(matched).Seconds())
	// The session has had no player: it ends after --wait-for-players and the
	// server shuts down.
	s.waitGameServer(t, s.main, m.GameServer, 2*time.Minute, "shut down", func(gs rig.GameServer) bool {
		return gs.State == "Shutdown" || gs.State == "Deleted" || gs.Deleting
	})
	t.Logf("server of the no-show shut down %.1fs after the match", time.Since(matched).Seconds())
}

// TestAskingTwiceAcrossAllocators asks for a match once through each of two
// allocator processes: one place is taken, and both tokens play.
func TestAskingTwiceAcrossAllocators(t *testing.T) {
	s := needRig(t)
	s.waitFleetReady(t, s.main, 2, 2*time.Minute)
	second := s.startAllocator(t, s.main)
	api2 := s.apiFor(t, second.URL)

	g := s.guest(t, s.api)
	m1 := s.match(t, s.api, g)
	m2 := s.match(t, api2, g)
	if m1.GameServer != m2.GameServer {
		t.Fatalf("the same player got %s from one allocator and %s from the other", m1.GameServer, m2.GameServer)
	}
	if gs := s.gameServer(t, s.main, m1.GameServer); !sameSet(gs.Players, []string{g.PlayerID}) {
		t.Fatalf("players list %v after asking twice, want [%s] once", gs.Players, g.PlayerID)
	}
	other := s.guest(t, api2)
	mo := s.match(t, api2, other)
	if mo.GameServer != m1.GameServer {
		t.Fatalf("the next player went to %s, want the waiting race on %s", mo.GameServer, m1.GameServer)
	}
	players := []playtest.Player{
		playtest.Join(t, m2.WSURL, g.PlayerID, m2.PlayerSessionToken),
		playtest.Join(t, mo.WSURL, other.PlayerID, mo.PlayerSessionToken),
	}
	playtest.CheckOneWinner(t, players, playtest.Race(t, players...))
}
