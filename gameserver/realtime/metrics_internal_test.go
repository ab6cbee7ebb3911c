package realtime

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// TestOpCodeLabelsAreBounded floods the message counters with distinct op
// codes, as a hostile client of a relaying or script game can: the series
// stop growing at maxOpCodes per direction, and no message goes uncounted.
func TestOpCodeLabelsAreBounded(t *testing.T) {
	tests := []struct {
		name     string
		opCodes  int
		handled  bool
		wantIn   int // series of direction "in", "unknown" and "other" included
		wantRest float64
	}{
		{"a game's few op codes", 5, true, 5 + 2, 0},
		{"exactly the bound", maxOpCodes, true, maxOpCodes + 2, 0},
		{"a flood of handled op codes", 100_000, true, maxOpCodes + 2, 100_000 - maxOpCodes},
		{"a flood of unknown op codes", 100_000, false, 2, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg := prometheus.NewPedanticRegistry()
			m := NewMetrics(reg)
			for op := int32(1); op <= int32(tt.opCodes); op++ {
				m.messageIn(op, tt.handled)
				m.messageOut(op)
			}
			series, total := map[string]int{}, map[string]float64{}
			var other float64
			mfs, err := reg.Gather()
			if err != nil {
				t.Fatal(err)
			}
			for _, mf := range mfs {
				if mf.GetName() != "leapfrog_realtime_messages_total" {
					continue
				}
				for _, s := range mf.GetMetric() {
					labels := map[string]string{}
					for _, l := range s.GetLabel() {
						labels[l.GetName()] = l.GetValue()
					}
					series[labels["direction"]]++
					total[labels["direction"]] += s.GetCounter().GetValue()
					if labels["direction"] == "in" && labels["op_code"] == "other" {
						other = s.GetCounter().GetValue()
					}
				}
			}
			if series["in"] != tt.wantIn || series["out"] > maxOpCodes+1 {
				t.Errorf("series in=%d out=%d, want in=%d and out at most %d", series["in"], series["out"], tt.wantIn, maxOpCodes+1)
			}
			if total["in"] != float64(tt.opCodes) || total["out"] != float64(tt.opCodes) {
				t.Errorf("counted in=%v out=%v, want %d each", total["in"], total["out"], tt.opCodes)
			}
			if other != tt.wantRest {
				t.Errorf("op_code=\"other\" in = %v, want %v", other, tt.wantRest)
			}
		})
	}
}
