package e2e

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/leapfrog-games/leapfrog/client/bot"
)

// TestPartyMatchThroughTheLocalFleet: the allocator started as make run
// GAME=party starts it runs Fly Snatch; bots matched over HTTP, as many as
// the game's seats, play one match over real WebSockets through the local
// edge to its scores. Without --players the game's own count (4) seats a
// match.
func TestPartyMatchThroughTheLocalFleet(t *testing.T) {
	for _, tt := range []struct {
		name    string
		extra   []string
		players int
	}{
		{"the game's own four frogs", nil, 4},
		{"--players 3", []string{"--players", "3"}, 3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := startAllocator(t, append([]string{"--game=party", "--local-edge", "--party-rounds", "3"}, tt.extra...)...)
			sum, err := bot.Run(t.Context(), bot.Config{
				Allocator: a.URL, Game: bot.GameParty, Players: tt.players, Races: 1, Concurrency: 1,
				HopDelay: 20 * time.Millisecond, HopJitter: 10 * time.Millisecond, EarlyPress: 0.3,
				RaceTimeout: waitFor, HTTPClient: loopback,
			})
			if err != nil {
				t.Fatal(err)
			}
			if !sum.OK() || len(sum.Match) != tt.players || len(sum.Results) != 1 {
				t.Fatalf("%v, %d matched, results %q\n%s", sum, len(sum.Match), sum.Results, sum.FailureReport())
			}
			// One match of every bot: a score for each, and a winner.
			scores := regexp.MustCompile(`\S+=-?\d+`).FindAllString(strings.Split(sum.Results[0], ";")[0], -1)
			if len(scores) != tt.players || !regexp.MustCompile(`; winners \S+`).MatchString(sum.Results[0]) {
				t.Errorf("result %q: want %d scores and a winner", sum.Results[0], tt.players)
			}
			t.Logf("match: %s", sum.Results[0])
		})
	}
}
