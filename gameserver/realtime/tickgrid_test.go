package realtime_test

import (
	"testing"
	"time"

	"github.com/leapfrog-games/leapfrog/gameserver/realtime"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime/realtimetest"
)

var gridStart = time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)

func TestGridTick(t *testing.T) {
	h, err := realtimetest.NewHarness(realtime.Config{TickRate: 10}, echoGame{}, gridStart)
	if err != nil {
		t.Fatal(err)
	}
	ms := func(n int) time.Time { return gridStart.Add(time.Duration(n) * time.Millisecond) }
	tests := []struct {
		name   string
		at, is time.Time
	}{
		{"the start is a tick", ms(0), ms(0)},
		{"just after a tick: the next", ms(1), ms(100)},
		{"on a tick", ms(300), ms(300)},
		{"between ticks", ms(250), ms(300)},
		{"just before a tick", ms(399), ms(400)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := h.Session.GridTick(tt.at); !got.Equal(tt.is) {
				t.Errorf("GridTick(+%v) = +%v, want +%v", tt.at.Sub(gridStart), got.Sub(gridStart), tt.is.Sub(gridStart))
			}
		})
	}
	if p := h.Session.TickPeriod(); p != 100*time.Millisecond {
		t.Errorf("TickPeriod = %v at 10 ticks a second", p)
	}
}

func TestLastTick(t *testing.T) {
	h, err := realtimetest.NewHarness(realtime.Config{TickRate: 10}, echoGame{}, gridStart)
	if err != nil {
		t.Fatal(err)
	}
	if got := h.Session.LastTick(); !got.Equal(gridStart) {
		t.Fatalf("LastTick before any tick = %v, want the start %v", got, gridStart)
	}
	h.Advance(130 * time.Millisecond) // off the grid: a timer's tick
	if got := h.Session.LastTick(); !got.Equal(gridStart.Add(130 * time.Millisecond)) {
		t.Fatalf("LastTick = +%v, want +130ms", got.Sub(gridStart))
	}
	// A tick off the grid leaves the grid where it was.
	if got := h.Session.GridTick(gridStart.Add(130 * time.Millisecond)); !got.Equal(gridStart.Add(h.Session.TickPeriod() * 2)) {
		t.Errorf("GridTick after an off-grid tick = +%v, want +%v", got.Sub(gridStart), h.Session.TickPeriod()*2)
	}
}

func TestEarliest(t *testing.T) {
	none, a, b := time.Time{}, gridStart, gridStart.Add(time.Second)
	tests := []struct {
		name       string
		x, y, want time.Time
	}{
		{"both none", none, none, none},
		{"first none", none, b, b},
		{"second none", a, none, a},
		{"first earlier", a, b, a},
		{"second earlier", b, a, a},
		{"equal", a, a, a},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := realtime.Earliest(tt.x, tt.y); !got.Equal(tt.want) {
				t.Errorf("Earliest(%v, %v) = %v, want %v", tt.x, tt.y, got, tt.want)
			}
		})
	}
}
