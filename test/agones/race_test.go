package agones

import (
	"slices"
	"testing"
	"time"

	"github.com/leapfrog-games/leapfrog/client/bot"
	"github.com/leapfrog-games/leapfrog/test/agones/rig"
	"github.com/leapfrog-games/leapfrog/test/internal/playtest"
)

// TestRaceOnRealAgones plays one race step by step: both players are in the
// GameServer's players list while it is Allocated, they race to one winner,
// the server shuts down and the Fleet replaces it.
func TestRaceOnRealAgones(t *testing.T) {
	s := needRig(t)
	s.waitFleetReady(t, s.main, 2, 2*time.Minute)

	ga, gb := s.guest(t, s.api), s.guest(t, s.api)
	ma, mb := s.match(t, s.api, ga), s.match(t, s.api, gb)
	if ma.GameServer != mb.GameServer {
		t.Fatalf("paired on %s and %s, want one GameServer", ma.GameServer, mb.GameServer)
	}
	gs := s.gameServer(t, s.main, ma.GameServer)
	if gs.State != "Allocated" {
		t.Errorf("GameServer %s is %s, want Allocated", gs.Name, gs.State)
	}
	if want := []string{ga.PlayerID, gb.PlayerID}; !sameSet(gs.Players, want) || gs.Capacity != 2 {
		t.Errorf("players list %v (capacity %d), want %v (capacity 2)", gs.Players, gs.Capacity, want)
	}
	if ma.Address != gs.Address || int64(ma.Port) != gs.Port {
		t.Errorf("match sends players to %s:%d, the GameServer is at %s:%d", ma.Address, ma.Port, gs.Address, gs.Port)
	}

	pod := s.pod(t, s.main, gs.Name)
	game, errGame := rig.RSS(pod.GamePID)
	sdk, errSDK := rig.RSS(pod.SDKPID)
	if errGame == nil && errSDK == nil {
		t.Logf("resident memory of this GameServer: race server %.1f MiB, sdk-server %.1f MiB", mib(game), mib(sdk))
	}

	players := []playtest.Player{
		playtest.Join(t, ma.WSURL, ga.PlayerID, ma.PlayerSessionToken),
		playtest.Join(t, mb.WSURL, gb.PlayerID, mb.PlayerSessionToken),
	}
	playtest.CheckOneWinner(t, players, playtest.Race(t, players...))
	ended := time.Now()

	// With --after-race=shutdown the server asks Agones to shut it down; the
	// Fleet then brings back its Ready buffer.
	s.waitGameServer(t, s.main, gs.Name, time.Minute, "shut down after the race", func(g rig.GameServer) bool {
		return g.State == "Shutdown" || g.State == "Deleted" || g.Deleting
	})
	shutDown := time.Since(ended)
	s.waitFleetReady(t, s.main, 4, 2*time.Minute)
	t.Logf("race end to its GameServer shut down: %.1fs; to the Fleet's buffer Ready again: %.1fs",
		shutDown.Seconds(), time.Since(ended).Seconds())
}

// TestBotsRaceOnRealAgones has the bot play races through the allocator
// while every GameServer it uses is watched: each is Allocated with a full
// players list while its race runs.
func TestBotsRaceOnRealAgones(t *testing.T) {
	s := needRig(t)
	s.waitFleetReady(t, s.main, 4, 2*time.Minute)

	full := map[string]bool{}
	stop := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			gss, err := rig.GameServers(t.Context(), s.admin, s.main.Namespace, s.main.Fleet)
			if err != nil {
				continue
			}
			for _, gs := range gss {
				if gs.State == "Allocated" && len(gs.Players) == 2 {
					full[gs.Name] = true
				}
			}
		}
	}()
	sum, err := bot.Run(t.Context(), bot.Config{
		Allocator: s.main.Allocators[0].URL, Races: 4, Concurrency: 2,
		HopDelay: 50 * time.Millisecond, HopJitter: 20 * time.Millisecond,
		RaceTimeout: 2 * time.Minute, HTTPClient: loopback, Dial: playtest.DialOptions, Seed: 8,
	})
	close(stop)
	<-watched
	if err != nil {
		t.Fatal(err)
	}
	t.Log(sum)
	if !sum.OK() {
		t.Fatalf("%s\n%s", sum, sum.FailureReport())
	}
	if len(full) < 4 {
		t.Errorf("saw %d GameServers Allocated with two players listed, want one per race (4)", len(full))
	}
}

func sameSet(got, want []string) bool {
	return len(got) == len(want) && !slices.ContainsFunc(want, func(w string) bool { return !slices.Contains(got, w) })
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }
