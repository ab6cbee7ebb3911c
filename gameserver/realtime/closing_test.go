package realtime_test

import (
	"testing"
	"time"

	"github.com/leapfrog-games/leapfrog/gameserver/realtime"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime/realtimetest"
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
