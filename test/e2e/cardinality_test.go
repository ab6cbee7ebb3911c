package e2e

import (
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/leapfrog-games/leapfrog/test/internal/playtest"
)

// TestHostileClientsKeepSeriesBounded has players send hundreds of distinct
// op codes, within the input budget, to the Go race (which knows two) and to
// a Realtime script (which takes every op code): the message series stop at
// the bound of op code label values, and no label value is a player id.
func TestHostileClientsKeepSeriesBounded(t *testing.T) {
	const (
		flood   = 150
		firstOp = 1000
		// opBound is the op_code values of one direction: realtime's 64, plus
		// "unknown" and "other".
		opBound = 64 + 2
	)
	dir := filepath.Join(moduleRoot, "examples", "megafrograce")
	for _, tt := range []struct {
		name  string
		flags []string
	}{
		{"Go race", nil},
		{"Realtime script", scriptFlags(dir, "--script-args", raceScriptArgs)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := startAllocator(t, tt.flags...)
			before, err := a.scrape(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			var players []playtest.Player
			for range 2 {
				g := a.guest(t)
				m := a.match(t, g)
				players = append(players, playtest.Join(t, m.WSURL, g.PlayerID, m.PlayerSessionToken))
			}
			// 15 op codes a second per player: op codes the server does not
			// budget one by one share one budget of 20 a second.
			pace := time.NewTicker(time.Second / 15)
			defer pace.Stop()
			for op := int32(firstOp); op < firstOp+flood; op++ {
				<-pace.C
				for _, p := range players {
					if err := p.Conn.SendGameMessage(op, []byte("x")); err != nil {
						t.Fatalf("%s: op code %d: %v", p.ID, op, err)
					}
				}
			}
			// The last messages are counted once they have been read: wait
			// for the in counters to hold every message sent.
			var after scrape
			deadline := time.Now().Add(10 * time.Second)
			for {
				if after, err = a.scrape(t.Context()); err != nil {
					t.Fatal(err)
				}
				if sumSeries(after, "leapfrog_realtime_messages_total", "direction", "in") >= 2*flood || time.Now().After(deadline) {
					break
				}
				<-pace.C
			}
			in := sumSeries(after, "leapfrog_realtime_messages_total", "direction", "in")
			if in < 2*flood {
				t.Errorf("counted %v messages in, want the %d sent", in, 2*flood)
			}
			msgSeries := len(after["leapfrog_realtime_messages_total"].GetMetric())
			total, total0 := countSeries(after), countSeries(before)
			t.Logf("figure: %s: %d distinct op codes from 2 players: leapfrog_realtime_messages_total has %d series; all series %d before, %d after",
				tt.name, flood, msgSeries, total0, total)
			if msgSeries > 2*opBound {
				t.Errorf("leapfrog_realtime_messages_total has %d series, want at most %d", msgSeries, 2*opBound)
			}
			ids := []string{players[0].ID, players[1].ID}
			for name, f := range after {
				for _, m := range f.GetMetric() {
					for _, l := range m.GetLabel() {
						if slices.Contains(ids, l.GetValue()) {
							t.Errorf("%s is labelled with a player id (%s=%q)", name, l.GetName(), l.GetValue())
						}
						if op, err := strconv.Atoi(l.GetValue()); err == nil && l.GetName() == "op_code" && op >= firstOp+64 {
							t.Errorf("%s has op_code %d, past the bound", name, op)
						}
					}
				}
			}
		})
	}
}

// sumSeries sums the counters of a family whose labels include the pairs.
func sumSeries(s scrape, name string, labels ...string) float64 {
	var sum float64
	for _, m := range s[name].GetMetric() {
		if hasLabels(m, labels) {
			sum += m.GetCounter().GetValue()
		}
	}
	return sum
}

// countSeries counts every series of a scrape (a histogram counts its buckets, sum and count).
func countSeries(s scrape) int {
	n := 0
	for _, f := range s {
		for _, m := range f.GetMetric() {
			if h := m.GetHistogram(); h != nil {
				n += len(h.GetBucket()) + 3 // +Inf, sum, count
				continue
			}
			n++
		}
	}
	return n
}
