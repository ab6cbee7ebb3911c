package panicguardtest

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// Count is the value of name{where=where}, a panics counter gathered from
// g; it fails t if there is no such series.
func Count(t testing.TB, g prometheus.Gatherer, name, where string) float64 {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "where" && l.GetValue() == where {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	t.Fatalf("no %s{where=%q}", name, where)
	return 0
}
