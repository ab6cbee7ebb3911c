package realtime_test

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/leapfrog-games/leapfrog/gameserver/realtime"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime/realtimetest"
	"github.com/leapfrog-games/leapfrog/internal/panicguard/panicguardtest"
)

// TestEndedSessionFreesNoPlace: a no-show's deadline that passes after the
// game ended must not give the place back, or a finished server would be
// handed new players.
func TestEndedSessionFreesNoPlace(t *testing.T) {
	h, err := realtimetest.NewHarness(realtime.Config{NoShowTimeout: time.Minute}, echoGame{}, time.Unix(1e9, 0))
	if err != nil {
		t.Fatal(err)
	}
	freed := make(chan string, 1)
	h.Session.OnPlaceFreed(func(id string) { freed <- id })
	h.SetReservations("alice", "ghost")
	if _, err := h.Connect("alice"); err != nil {
		t.Fatal(err)
	}
	h.Session.End("finished")
	if !h.Session.Closed() {
		t.Fatal("an ended session does not say it is closed")
	}
	h.Advance(2 * time.Minute)
	if !h.Session.Reserved("ghost") { // released synchronously, told on a goroutine
		t.Fatal("ghost's place was released after the end")
	}
	select {
	case id := <-freed:
		t.Fatalf("%s's place was freed after the end", id)
	default:
	}
	if _, err := h.Connect("carol"); err == nil {
		t.Fatal("an ended session admitted a player")
	}
}

// TestPanickingPlaceFreedCallbackLeavesTheSessionPlaying: the platform's
// callback for a freed place runs off the loop; its panic is logged with
// the stack and counted, and the session and the process play on.
func TestPanickingPlaceFreedCallbackLeavesTheSessionPlaying(t *testing.T) {
	reg := prometheus.NewRegistry()
	logs := panicguardtest.NewLog()
	cfg := realtime.Config{NoShowTimeout: time.Minute, Metrics: realtime.NewMetrics(reg), Logger: logs.Logger()}
	h, err := realtimetest.NewHarness(cfg, echoGame{}, time.Unix(1e9, 0))
	if err != nil {
		t.Fatal(err)
	}
	h.Session.OnPlaceFreed(func(string) { freeThePlace() })
	h.SetReservations("alice", "ghost")
	alice, err := h.Connect("alice")
	if err != nil {
		t.Fatal(err)
	}
	h.Advance(2 * time.Minute) // ghost never came: the place is freed

	p := logs.Next(t)
	if p.Where != "place_freed" || !strings.Contains(p.Stack, "realtime_test.freeThePlace") {
		t.Errorf("logged %q where %q with stack:\n%s", p.Msg, p.Where, p.Stack)
	}
	if n := panics(t, reg, "place_freed"); n != 1 {
		t.Errorf("leapfrog_realtime_panics_total{where=place_freed} = %v, want 1", n)
	}
	alice.Discard()
	alice.Send(opEcho, []byte("still here"))
	if ms := alice.Messages(); len(ms) != 1 || string(ms[0].GetPayload()) != "still here" {
		t.Fatalf("after the callback's panic alice got %v, want her echo", ms)
	}
	if ended, outcome := h.Ended(); ended {
		t.Fatalf("the session ended (%s) over the platform callback's panic", outcome)
	}
}

func freeThePlace() { panic("the platform has a bug") }
