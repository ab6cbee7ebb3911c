package browser

import (
	"path/filepath"
	"slices"
	"testing"
)

// TestLivingRoomRaceOnTheScript plays the browser client against Mega Frog Race written as a
// GameLift Realtime script (examples/megafrograce) on the race server: the page
// speaks to the script exactly as to the Go race, from the countdown to the result.
func TestLivingRoomRaceOnTheScript(t *testing.T) {
	dir, err := filepath.Abs(filepath.Join("..", "..", "examples", "megafrograce"))
	if err != nil {
		t.Fatal(err)
	}
	stack := startPodStack(t, "--game=script", "--script-dir="+dir, "--launch-path=index.js")
	b := newBrowser(t)
	tb := b.newTab(t, "living room, scripted race")
	tb.open(stack.url)
	tb.click("living-room")

	final := playRace(t, []*hopper{{tab: tb, key: space, lane: 0}, {tab: tb, key: rightShift, lane: 1}},
		func(tb *tab, st raceState) { t.Logf("mid-race on the script: %v", st) })[tb]
	if final.Mode != "living-room" || final.Reason != "finish" || final.Winner == nil || !slices.Equal(slices.Sorted(slices.Values(final.MyLanes)), []int{0, 1}) {
		t.Fatalf("want a living-room race won at the line, got %v", final)
	}
	if len(final.FinishTimesMs) == 0 {
		t.Errorf("the result shows no finish time: %v", final)
	}
	want := []string{"Left frog wins!", "Right frog wins!"}[*final.Winner]
	if got := tb.text("winner"); got != want {
		t.Errorf("lane %d won: #winner says %q, want %q", *final.Winner, got, want)
	}
	t.Logf("%s %s", tb.text("winner"), tb.text("times"))
}
