package panicguard_test

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/leapfrog-games/leapfrog/internal/panicguard"
	"github.com/leapfrog-games/leapfrog/internal/panicguard/panicguardtest"
)

const metric = "leapfrog_test_panics_total"

func TestRunRecoversLogsAndCounts(t *testing.T) {
	reg := prometheus.NewRegistry()
	counter, err := panicguard.NewCounter(reg, "test", "Panics recovered.", "relay")
	if err != nil {
		t.Fatal(err)
	}
	logs := panicguardtest.NewLog()
	g := panicguard.Guard{Log: logs.Logger(), Count: counter}

	if g.Run("relay", "panic in a relay", func() {}) {
		t.Error("Run reported a panic for a function that returned")
	}
	logs.None(t)
	if !g.Run("relay", "panic in a relay", explode) {
		t.Fatal("Run did not report the panic")
	}
	p := logs.Next(t)
	if p.Msg != "panic in a relay" || p.Where != "relay" || p.Value != "boom" {
		t.Errorf("logged %+v", p)
	}
	if !strings.Contains(p.Stack, "panicguard_test.explode") {
		t.Errorf("the stack does not show where the panic came from:\n%s", p.Stack)
	}
	g.Run("elsewhere", "panic elsewhere", explode)

	for _, tc := range []struct {
		where string
		want  float64
	}{{"relay", 1}, {"other", 1}} {
		if got := panicguardtest.Count(t, reg, metric, tc.where); got != tc.want {
			t.Errorf("%s{where=%q} = %v, want %v", metric, tc.where, got, tc.want)
		}
	}
}

func TestNewCounterStartsEveryWhereAtZero(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := panicguard.NewCounter(reg, "test", "Panics recovered.", "relay", "handshake"); err != nil {
		t.Fatal(err)
	}
	for _, where := range []string{"relay", "handshake", "other"} {
		if got := panicguardtest.Count(t, reg, metric, where); got != 0 {
			t.Errorf("%s{where=%q} = %v before any panic", metric, where, got)
		}
	}
	if _, err := panicguard.NewCounter(reg, "test", "Panics recovered."); err == nil {
		t.Error("registering the same counter twice succeeded")
	}
}

func explode() { panic("boom") }
