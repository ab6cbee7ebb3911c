package edge

import (
	"testing"

	"github.com/leapfrog-games/leapfrog/internal/conncount"
)

// TestAdmitOutcomes: the outcome a refused player's connection is counted
// under; a full edge reads as full even for an address at its own cap.
func TestAdmitOutcomes(t *testing.T) {
	limits, err := conncount.New(2, 3)
	if err != nil {
		t.Fatal(err)
	}
	h := &Handler{limits: limits}
	admitted := map[string][]func(){}
	for i, tc := range []struct {
		ip, release string // release: give back a place of this address first
		want        string
	}{
		{ip: "a", want: ""},
		{ip: "a", want: ""},
		{ip: "a", want: outcomeIPLimit},
		{ip: "b", want: ""},
		{ip: "a", want: outcomeFull}, // both caps reached
		{ip: "c", want: outcomeFull},
		{release: "b", ip: "a", want: outcomeIPLimit},
		{ip: "c", want: ""},
		{release: "a", ip: "a", want: ""},
	} {
		if tc.release != "" {
			rs := admitted[tc.release]
			rs[0]()
			rs[0]() // a second release gives nothing back twice
			admitted[tc.release] = rs[1:]
		}
		count, got := h.admit(tc.ip)
		if got != tc.want {
			t.Fatalf("step %d: admit %s: outcome %q, want %q", i, tc.ip, got, tc.want)
		}
		if (count != nil) != (tc.want == "") {
			t.Fatalf("step %d: admit %s: place %v with outcome %q", i, tc.ip, count, got)
		}
		if count != nil {
			admitted[tc.ip] = append(admitted[tc.ip], count.Release)
		}
	}
	if got := h.limits.Open(); got != 3 {
		t.Fatalf("open %d, want 3", got)
	}
}
