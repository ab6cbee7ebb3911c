package agones

import (
	"testing"
	"time"

	"github.com/leapfrog-games/leapfrog/client/bot"
	"github.com/leapfrog-games/leapfrog/test/internal/playtest"
)

// TestHighDensityBotsOnRealAgones has the bot race on a high-density release.
func TestHighDensityBotsOnRealAgones(t *testing.T) {
	s := needRig(t)
	_, dense := s.installDense(t, "densebots", 16, 1)
	sum, err := bot.Run(t.Context(), bot.Config{
		Allocator: dense.base, Races: 4, Concurrency: 4,
		HopDelay: 50 * time.Millisecond, HopJitter: 20 * time.Millisecond,
		RaceTimeout: 2 * time.Minute, HTTPClient: loopback, Dial: playtest.DialOptions, Seed: 9,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("figure: bots on a high-density server: %s", sum)
	if !sum.OK() {
		t.Fatalf("%s\n%s", sum, sum.FailureReport())
	}
}
