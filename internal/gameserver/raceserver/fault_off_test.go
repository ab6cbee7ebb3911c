//go:build !faultinject

package raceserver

import (
	"net/http"
	"testing"
)

func TestProductionBuildHasNoFaultSwitch(t *testing.T) {
	p := startProcess(t)
	defer func() { p.cancel(); <-p.done }()
	resp, err := http.Post("http://"+p.opts.AdminListen+"/debug/fault/wedge", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("POST /debug/fault/wedge = %d in a production build, want 404", resp.StatusCode)
	}
	if FaultInjection {
		t.Fatal("FaultInjection is true without the faultinject tag")
	}
}
