package bot

import (
	"regexp"
	"testing"
	"time"

	"github.com/leapfrog-games/leapfrog/client/internal/racetest"
	"github.com/leapfrog-games/leapfrog/internal/allocator/local"
)

func TestRunPlaysPartyMatches(t *testing.T) {
	for _, players := range []int{3, 5} {
		url := allocator(t, nil, func(c *local.Config) { c.Game = racetest.FastParty(players) })
		sum, err := Run(t.Context(), Config{
			Allocator: url, Game: GameParty, Players: players, Races: 2, Concurrency: 2,
			HopDelay: 5 * time.Millisecond, HopJitter: 5 * time.Millisecond, EarlyPress: 0.5,
			RaceTimeout: 30 * time.Second, Seed: 1,
		})
		if err != nil {
			t.Fatal(err)
		}
		if !sum.OK() || sum.Finished != 2 || len(sum.Match) != 2*players {
			t.Fatalf("%d frogs: %v (%d matched)\n%s", players, sum, len(sum.Match), sum.FailureReport())
		}
		// Every frog of the match has a score; someone wins.
		line := regexp.MustCompile(`^(\S+=-?\d+ ){` + string(rune('0'+players-1)) + `}\S+=-?\d+; winners \S+`)
		for _, res := range sum.Results {
			if !line.MatchString(res) {
				t.Errorf("%d frogs: result %q", players, res)
			}
		}
		if len(sum.Results) != 2 {
			t.Errorf("%d frogs: %d results, want 2", players, len(sum.Results))
		}
	}
}

func TestConfigGame(t *testing.T) {
	for _, tc := range []struct {
		game          string
		players, want int
		ok            bool
	}{{"", 0, 2, true}, {GameRace, 0, 2, true}, {GameParty, 0, 4, true}, {GameParty, 6, 6, true}, {"chess", 0, 0, false}} {
		c := Config{Game: tc.game, Players: tc.players, Races: 1, Concurrency: 1}
		err := c.defaults()
		if (err == nil) != tc.ok || (tc.ok && c.Players != tc.want) {
			t.Errorf("game %q players %d: players %d err %v, want %d ok %v", tc.game, tc.players, c.Players, err, tc.want, tc.ok)
		}
	}
}
