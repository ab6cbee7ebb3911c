package browser

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// retryPress is how long a hopper waits for a press to show as a hop before pressing again: the page
// drops a press made just before "Go!" by the server's clock.
const retryPress = time.Second

// hopper presses one lane's key whenever its frog waits on a pad, like a player who never presses
// mid-hop (which only adds penalties).
type hopper struct {
	tab  *tab
	key  key
	lane int // -1 for the lane the server assigns to the tab's player

	hops      int // the lane's hop count at the last press
	pressedAt time.Time
	presses   int
}

func (h *hopper) maybePress(st raceState) {
	if st.Screen != "race" || st.Phase != "racing" {
		return
	}
	lane := h.lane
	if lane < 0 {
		if len(st.MyLanes) != 1 {
			return
		}
		lane = st.MyLanes[0]
	}
	if lane >= len(st.Lanes) {
		return
	}
	l := st.Lanes[lane]
	if l.Hopping || l.Finished || (h.presses > 0 && l.Hops == h.hops && time.Since(h.pressedAt) < retryPress) {
		return
	}
	h.tab.do(h.key.press())
	h.hops, h.pressedAt = l.Hops, time.Now()
	h.presses++
}

// hop presses k until the frog of lane starts its hop number n. The page drops a press made just
// before "Go!" by the server's clock, and the test cannot tell such a press from a slow one, so it
// presses again after retryPress.
func (tb *tab) hop(k key, lane, n int) raceState {
	tb.t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		tb.do(k.press())
		for retry := time.Now().Add(retryPress); time.Now().Before(retry); time.Sleep(20 * time.Millisecond) {
			if st := tb.state(); len(st.Lanes) > lane && st.Lanes[lane].Hops >= n {
				return st
			}
		}
		if time.Now().After(deadline) {
			tb.t.Fatalf("%s: %s never started hop %d of lane %d: %v", tb.name, k.name, n, lane, tb.state())
		}
	}
}

// playRace runs the hoppers until every tab shows a result and returns the tabs' last states. While
// the frogs race it samples each tab's frame rate, and it calls midRace once, with the first tab
// that shows every frog on its third hop or further and one of them in the air.
func playRace(t *testing.T, hoppers []*hopper, midRace func(*tab, raceState)) map[*tab]raceState {
	t.Helper()
	var tabs []*tab
	for _, h := range hoppers {
		if !slices.Contains(tabs, h.tab) {
			tabs = append(tabs, h.tab)
		}
	}
	fps := map[*tab][]float64{}
	var sampled time.Time
	states := map[*tab]raceState{}
	deadline := time.Now().Add(waitTimeout)
	for {
		over := true
		for _, tb := range tabs {
			st := tb.state()
			states[tb] = st
			over = over && st.Screen == "result"
		}
		if over {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the race did not end within %v: %v", waitTimeout, states)
		}
		for _, h := range hoppers {
			h.maybePress(states[h.tab])
		}
		for _, tb := range tabs {
			st := states[tb]
			if st.Phase != "racing" {
				continue
			}
			if midRace != nil && len(st.Lanes) == 2 && st.Lanes[0].Hops >= 3 && st.Lanes[1].Hops >= 3 && (st.Lanes[0].Hopping || st.Lanes[1].Hopping) {
				midRace(tb, st)
				midRace = nil
			}
			if time.Since(sampled) >= 250*time.Millisecond {
				fps[tb] = append(fps[tb], eval[float64](tb, "window.leapfrog.fps()"))
			}
		}
		if time.Since(sampled) >= 250*time.Millisecond {
			sampled = time.Now()
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, tb := range tabs {
		t.Logf("%s: figure: frame rate during the race (window.leapfrog.fps(), every 250 ms): %v", tb.name, fps[tb])
	}
	for _, h := range hoppers {
		t.Logf("%s: %d presses of %s", h.tab.name, h.presses, h.key.name)
	}
	return states
}

// TestOnlineRace races two tabs of one browser against each other through the local stack.
func TestOnlineRace(t *testing.T) {
	stack := startLocalStack(t, "127.0.0.1:0")
	b := newBrowser(t)
	tabs := []*tab{b.newTab(t, "tab 1"), b.newTab(t, "tab 2")}
	for _, tb := range tabs {
		tb.open(stack.url)
	}
	for _, tb := range tabs {
		tb.click("online")
	}
	final := playRace(t, []*hopper{{tab: tabs[0], key: space, lane: -1}, {tab: tabs[1], key: space, lane: -1}}, nil)

	// Tabs opened as separate targets (not one from the other) keep separate sessionStorage, so they
	// are two guests, two players.
	guests := make([]string, len(tabs))
	for i, tb := range tabs {
		guests[i] = eval[string](tb, `JSON.parse(sessionStorage.getItem("leapfrog.guest")).player_id`)
	}
	if guests[0] == "" || guests[0] == guests[1] {
		t.Fatalf("the tabs play as guests %q and %q, want two different guests", guests[0], guests[1])
	}

	s1, s2 := final[tabs[0]], final[tabs[1]]
	for i, st := range []raceState{s1, s2} {
		if st.Mode != "online" || st.Reason != "finish" || st.Winner == nil || len(st.MyLanes) != 1 {
			t.Fatalf("%s: want an online race won at the line, got %v", tabs[i].name, st)
		}
	}
	if s1.GameServer == "" || s1.GameServer != s2.GameServer {
		t.Errorf("the tabs raced on %q and %q, want the same race server", s1.GameServer, s2.GameServer)
	}
	if s1.MyLanes[0] == s2.MyLanes[0] {
		t.Errorf("both tabs drove lane %d", s1.MyLanes[0])
	}
	if *s1.Winner != *s2.Winner {
		t.Fatalf("tab 1 says lane %d won, tab 2 says lane %d", *s1.Winner, *s2.Winner)
	}
	if !slices.Equal(s1.FinishTimesMs, s2.FinishTimesMs) {
		t.Errorf("finish times differ: %v and %v", s1.FinishTimesMs, s2.FinishTimesMs)
	}
	for i, tb := range tabs {
		want := "You lose"
		if final[tb].MyLanes[0] == *s1.Winner {
			want = "You win!"
		}
		if got := tb.text("winner"); got != want {
			t.Errorf("%s drove lane %d, lane %d won: #winner says %q, want %q", tb.name, final[tb].MyLanes[0], *s1.Winner, got, want)
		}
		tb.do(chromedp.WaitVisible(chromedp.ID("race-again")), chromedp.WaitVisible(chromedp.ID("back")))
		t.Logf("%s (guest %s, lane %d): %s %s", tb.name, guests[i], final[tb].MyLanes[0], tb.text("winner"), tb.text("times"))
	}
}

// TestLivingRoomRace races both frogs from one keyboard: Space for the left frog, Right Shift for the
// right one.
func TestLivingRoomRace(t *testing.T) {
	stack := startLocalStack(t, "127.0.0.1:0")
	b := newBrowser(t)
	tb := b.newTab(t, "living room")
	tb.open(stack.url)
	tb.click("living-room")

	// Each key moves its own frog, and only it.
	racing := func(st raceState) bool { return st.Screen == "race" && st.Phase == "racing" && len(st.Lanes) == 2 }
	tb.waitState("race", racing)
	if st := tb.hop(rightShift, 1, 1); st.Lanes[0].Hops != 0 {
		t.Fatalf("Right Shift moved the left frog: %v", st)
	}
	if st := tb.hop(space, 0, 1); st.Lanes[1].Hops != 1 {
		t.Fatalf("Space moved the right frog: %v", st)
	}

	final := playRace(t, []*hopper{{tab: tb, key: space, lane: 0}, {tab: tb, key: rightShift, lane: 1}},
		func(tb *tab, _ raceState) { tb.screenshot("mid-race") })[tb]
	if final.Mode != "living-room" || final.Reason != "finish" || final.Winner == nil || !slices.Equal(slices.Sorted(slices.Values(final.MyLanes)), []int{0, 1}) {
		t.Fatalf("want a living-room race won at the line, got %v", final)
	}
	want := []string{"Left frog wins!", "Right frog wins!"}[*final.Winner]
	if got := tb.text("winner"); got != want {
		t.Errorf("lane %d won: #winner says %q, want %q", *final.Winner, got, want)
	}
	times := tb.text("times")
	for _, frog := range []string{"Left frog: ", "Right frog: "} {
		if !strings.Contains(times, frog) {
			t.Errorf("#times %q does not mention %q", times, frog)
		}
	}
	tb.do(chromedp.WaitVisible(chromedp.ID("race-again")), chromedp.WaitVisible(chromedp.ID("back")))
	t.Logf("%s %s", tb.text("winner"), times)
}
