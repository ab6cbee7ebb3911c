package main

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/leapfrog-games/leapfrog/client"
	racev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/race/v1"
	realtimev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/realtime/v1"
)

var allocatorBin string

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "leapfrog-soak-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if allocatorBin, err = buildAllocator(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// TestSoakShort is the soak's short run for CI: a few dozen scenarios with
// the default faults, one pause of the whole allocator. The long run is the
// command (go run ./test/soak -slots 2000 ...).
func TestSoakShort(t *testing.T) {
	if testing.Short() {
		t.Skip("soak: not in -short")
	}
	rep, err := run(t.Context(), config{
		bin: allocatorBin, slots: 24, concurrency: 4, racesPerServer: 512, seed: 7, faults: defaultFaults,
		pauses: 1, pauseFor: unhealthyAfter + time.Second, settle: 60 * time.Second, lobbyLimit: 15 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(rep)
	if !rep.ok() {
		t.Fatalf("%s\n%s", rep, rep.details())
	}
	if rep.outcomes[outFinish] == 0 || rep.faults[faultPause] != 1 {
		t.Errorf("no race finished or no pause injected: %s", rep)
	}
	for _, f := range []string{faultLateNoShow, faultStaleToken, faultIdleSockets} {
		if rep.faults[f] == 0 {
			t.Errorf("fault %s not played: %s", f, rep)
		}
	}
}

func TestClassify(t *testing.T) {
	finish := &racev1.RaceResult{Reason: racev1.RaceResult_REASON_FINISH}
	ended := &realtimev1.Error{Code: realtimev1.Error_CODE_SESSION_ENDED}
	slow := &realtimev1.Error{Code: realtimev1.Error_CODE_SLOW_CONSUMER}
	tests := []struct {
		name    string
		res     *racev1.RaceResult
		started bool
		lastErr *realtimev1.Error
		code    int
		want    string
	}{
		{"finish", finish, true, ended, websocket.CloseNormalClosure, outFinish},
		{"forfeit", &racev1.RaceResult{Reason: racev1.RaceResult_REASON_FORFEIT}, true, ended, websocket.CloseNormalClosure, outForfeit},
		{"lobby ended before the start", nil, false, ended, websocket.CloseNormalClosure, outLobbyTimeout},
		{"kicked mid-race without a result", nil, true, slow, 4010, outFailed},
		{"server went away mid-race", nil, true, nil, websocket.CloseGoingAway, outFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := classify(tt.res, tt.started, tt.lastErr, client.Closed{Code: tt.code}); got.outcome != tt.want {
				t.Errorf("outcome %q (%s), want %q", got.outcome, got.detail, tt.want)
			}
		})
	}
}

func TestParseFaults(t *testing.T) {
	if got, err := parseFaults("all"); err != nil || len(got) != len(allFaults) {
		t.Errorf("all: %v, %v", got, err)
	}
	if got, err := parseFaults("pause, no-show"); err != nil || len(got) != 2 {
		t.Errorf("two: %v, %v", got, err)
	}
	if _, err := parseFaults("pause,meteor"); err == nil {
		t.Error("an unknown fault was accepted")
	}
}
