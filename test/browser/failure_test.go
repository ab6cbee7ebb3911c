package browser

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestAllocatorUnreachable loads the page from an allocator that then dies: the page says it cannot
// reach the server and keeps retrying, Cancel takes it back to the title screen, and once an
// allocator answers at the same address again a race starts.
func TestAllocatorUnreachable(t *testing.T) {
	stack := startLocalStack(t, "127.0.0.1:0")
	b := newBrowser(t)
	tb := b.newTab(t, "tab")
	tb.open(stack.url)
	stack.allocator.kill(t)
	tb.allow(`net::ERR_CONNECTION_REFUSED`, "Chromium logs each refused request itself; the page catches the failure")

	tb.click("living-room")
	const unreachable = "Can't reach the server. Retrying in "
	tb.waitState("word of the failure", func(st raceState) bool {
		return st.Screen == "matching" && st.Retrying && strings.HasPrefix(st.Status, unreachable)
	})
	if status := tb.text("status"); !strings.HasPrefix(status, unreachable) {
		t.Errorf("#status says %q, want %q…", status, unreachable)
	}
	tb.do(chromedp.WaitVisible(chromedp.ID("cancel")))
	tb.screenshot("unreachable")
	tb.click("cancel")
	tb.waitState("title screen", func(st raceState) bool { return st.Screen == "title" && !st.Retrying })
	tb.do(chromedp.WaitVisible(chromedp.ID("online")))

	u, err := url.Parse(stack.url)
	if err != nil {
		t.Fatal(err)
	}
	startLocalStack(t, u.Host)
	tb.click("living-room")
	st := tb.waitState("race", func(st raceState) bool { return st.Screen == "race" })
	t.Logf("back in a race on %s once the allocator answered again", st.GameServer)
}

// TestRaceServerKilledMidRace kills the race server process in the middle of a living-room race: the
// page tries to reconnect while the server's reconnect grace lasts, then says the connection is lost
// and offers to race again. The allocator meanwhile either still hands out the dead server (Agones
// has not noticed yet) or has no server to give (Agones marked it Unhealthy).
func TestRaceServerKilledMidRace(t *testing.T) {
	tests := []struct {
		name          string
		agonesNoticed bool
		allow, why    string
	}{
		{
			name:  "before Agones notices",
			allow: `WebSocket connection to 'ws://127\.0\.0\.1:\d+/ws' failed`,
			why:   "Chromium logs each refused WebSocket itself; the page handles the close",
		},
		{
			name: "after Agones marks it Unhealthy", agonesNoticed: true,
			allow: `the server responded with a status of 503`,
			why:   "Chromium logs the allocator's 503 no_capacity answers itself; the page waits out Retry-After",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Hops of a second: time to catch both frogs in the air.
			stack := startPodStack(t, "--hop-duration=1s", "--countdown=500ms", "--reconnect-grace=3s")
			b := newBrowser(t)
			tb := b.newTab(t, "living room")
			tb.open(stack.url)
			tb.click("living-room")

			racing := func(st raceState) bool { return st.Screen == "race" && st.Phase == "racing" && len(st.Lanes) == 2 }
			// The race in full swing: the left frog two pads ahead, then both frogs in the air.
			tb.waitState("race", racing)
			for hops := 1; hops <= 2; hops++ {
				tb.hop(space, 0, hops)
				tb.waitState("landing of the left frog", func(st raceState) bool { return racing(st) && !st.Lanes[0].Hopping })
			}
			tb.hop(space, 0, 3)
			tb.hop(rightShift, 1, 1)
			st := tb.waitState("both frogs high in the air", func(st raceState) bool {
				return racing(st) && st.Lanes[0].Hops == 3 && st.Lanes[1].Hops == 1 && st.Lanes[0].Hopping && st.Lanes[1].Hopping &&
					st.Lanes[0].Position >= 0.5
			})
			tb.screenshot("mid-race")
			server := st.GameServer

			tb.allow(tt.allow, tt.why)
			stack.raceServer.kill(t)
			if tt.agonesNoticed {
				stack.gameServer.MarkUnhealthy()
			}

			// Record what the page says on the way to its result.
			var statuses []string
			reconnected := false
			deadline := time.Now().Add(waitTimeout)
			for st = tb.state(); st.Screen != "result"; st = tb.state() {
				reconnected = reconnected || st.Reconnecting
				if !slices.Contains(statuses, st.Status) {
					statuses = append(statuses, st.Status)
				}
				if time.Now().After(deadline) {
					t.Fatalf("no result within %v of the kill; state %v", waitTimeout, st)
				}
				time.Sleep(20 * time.Millisecond)
			}
			t.Logf("status lines after the kill: %q", statuses)
			if !reconnected {
				t.Errorf("the page never tried to reconnect to %s", server)
			}
			if st.Ending != "Connection lost" || st.Winner != nil || st.Connections != 0 {
				t.Errorf("want the race ended as \"Connection lost\" with no winner and no connection, got %v", st)
			}
			if got := tb.text("winner"); got != "Connection lost" {
				t.Errorf("#winner says %q", got)
			}
			if got := tb.text("times"); got != "Couldn't get back into the race in time." {
				t.Errorf("#times says %q", got)
			}
			tb.do(chromedp.WaitVisible(chromedp.ID("race-again")), chromedp.WaitVisible(chromedp.ID("back")))
			tb.screenshot("connection-lost")
		})
	}
}
