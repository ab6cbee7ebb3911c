package bot

import (
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/leapfrog-games/leapfrog/client/internal/racetest"
	"github.com/leapfrog-games/leapfrog/internal/allocator/local"
	"github.com/leapfrog-games/leapfrog/internal/gameserver/script"
)

// TestRunPlaysTheRealtimeScriptRace: the bot, unchanged, plays full races
// of Mega Frog Race written as a GameLift Realtime script, through the
// allocator and the local fleet, with the fast rules of the Go race tests.
func TestRunPlaysTheRealtimeScriptRace(t *testing.T) {
	src, err := script.Load("../../examples/megafrograce", "index.js")
	if err != nil {
		t.Fatal(err)
	}
	r := racetest.FastGame().Rules
	prog, err := script.NewProgram(src, script.Config{
		Args: []string{
			fmt.Sprintf("--hop-duration-ms=%d", r.HopDuration.Milliseconds()),
			fmt.Sprintf("--hop-penalty-ms=%d", r.HopPenalty.Milliseconds()),
			fmt.Sprintf("--countdown-ms=%d", r.Countdown.Milliseconds()),
			fmt.Sprintf("--reconnect-grace-ms=%d", r.ReconnectGrace.Milliseconds()),
		},
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	url := allocator(t, nil, func(c *local.Config) { c.Game.Script = prog })
	sum, err := Run(t.Context(), Config{
		Allocator: url, Races: 4, Concurrency: 2,
		HopDelay: 5 * time.Millisecond, HopJitter: 5 * time.Millisecond, EarlyPress: 0.5,
		HopTimeout: 100 * time.Millisecond, RaceTimeout: 30 * time.Second, Seed: 2,
	})
	if err != nil {
		t.Fatal(err)
	}
	if !sum.OK() || sum.Finished != 4 {
		t.Fatalf("%v\n%s", sum, sum.FailureReport())
	}
	if len(sum.Hop) < 4*6 || sum.EarlyPresses == 0 {
		t.Errorf("%d hop round trips and %d early presses: want at least 24 and some", len(sum.Hop), sum.EarlyPresses)
	}
}
