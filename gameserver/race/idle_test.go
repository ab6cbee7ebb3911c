package race

import (
	"testing"
	"time"

	racev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/race/v1"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime/match"
)

// TestIdleRaceEnds: two connected players who never hop held a race (and a
// place of its server) for the whole race timeout, 10 minutes. A started
// race in which nobody hops for the idle timeout ends, with the reason
// idle for the players and the outcome idle in the metrics.
func TestIdleRaceEnds(t *testing.T) {
	const idle = 30 * time.Second
	tests := []struct {
		name    string
		timeout time.Duration
		hopAt   time.Duration // after the start; 0: nobody hops
		endsAt  time.Duration // after the start; 0: not within the race timeout
	}{
		{"nobody hops", idle, 0, idle},
		{"a hop puts it off", idle, 20 * time.Second, 20*time.Second + idle},
		{"off", 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rules := DefaultRules()
			rules.IdleTimeout = tt.timeout
			h, reg, _ := newLobby(t, rules)
			a, b := connect(t, h, "alice"), connect(t, h, "bob")
			a.Send(OpSceneReady, nil)
			b.Send(OpSceneReady, nil)
			h.Advance(rules.Countdown)
			at := time.Duration(0) // since the start
			step := func(to time.Duration) {
				for at < to {
					d := min(time.Second, to-at)
					h.Advance(d)
					at += d
				}
			}
			if tt.hopAt > 0 {
				step(tt.hopAt)
				a.Send(OpHop, nil)
			}
			if tt.endsAt == 0 {
				step(rules.Timeout - time.Second)
				if ended, outcome := h.Ended(); ended {
					t.Fatalf("ended (%q) before the race timeout with the idle timeout off", outcome)
				}
				return
			}
			step(tt.endsAt - time.Millisecond)
			if ended, outcome := h.Ended(); ended {
				t.Fatalf("ended (%q) %v after the start, want %v", outcome, at, tt.endsAt)
			}
			step(tt.endsAt)
			if ended, outcome := h.Ended(); !ended || outcome != string(match.Idle) {
				t.Fatalf("ended=%v outcome=%q at %v, want idle", ended, outcome, at)
			}
			res := find(b.Messages(), OpRaceResult)
			if len(res) != 1 {
				t.Fatalf("%d RaceResult, want 1", len(res))
			}
			if r := decode(t, res[0], &racev1.RaceResult{}); r.Reason != racev1.RaceResult_REASON_IDLE || r.WinnerLane != -1 {
				t.Fatalf("result = %v, want reason idle and no winner", r)
			}
			if n := total(t, reg, "leapfrog_race_races_ended_total"); n != 1 {
				t.Fatalf("races ended = %v, want 1", n)
			}
		})
	}
}

func TestIdleTimeoutMustOutlastAHop(t *testing.T) {
	for _, d := range []time.Duration{-time.Second, DefaultRules().HopDuration} {
		r := DefaultRules()
		r.IdleTimeout = d
		if err := r.Validate(); err == nil {
			t.Errorf("idle timeout %v accepted", d)
		}
	}
}
