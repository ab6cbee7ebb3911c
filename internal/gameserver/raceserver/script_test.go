package raceserver

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leapfrog-games/leapfrog/client"
	"github.com/leapfrog-games/leapfrog/client/clienttest"
	"github.com/leapfrog-games/leapfrog/contract/agoneswire"
	racev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/race/v1"
	"github.com/leapfrog-games/leapfrog/contract/token"
	"github.com/leapfrog-games/leapfrog/gameserver/agonessdk"
	"github.com/leapfrog-games/leapfrog/gameserver/agonessdk/sdktest"
)

const raceScript = "../../../examples/megafrograce"

func TestScriptOptionsValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*ScriptOptions)
		ok     bool
	}{
		{"the Go race", func(*ScriptOptions) {}, true},
		{"a script", func(s *ScriptOptions) { s.Game, s.Dir = GameScript, raceScript }, true},
		{"unknown game", func(s *ScriptOptions) { s.Game = "chess" }, false},
		{"no script dir", func(s *ScriptOptions) { s.Game = GameScript }, false},
		{"no budget", func(s *ScriptOptions) { s.Game, s.Dir, s.CallbackBudget = GameScript, raceScript, 0 }, false},
		{"rejections warn", func(s *ScriptOptions) { s.Game, s.Dir, s.UnhandledRejections = GameScript, raceScript, "warn" }, true},
		{"rejections unknown", func(s *ScriptOptions) { s.Game, s.Dir, s.UnhandledRejections = GameScript, raceScript, "strict" }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := DefaultOptions()
			tt.change(&o.Script)
			if err := o.Validate(); (err == nil) != tt.ok {
				t.Errorf("Validate() = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

// TestRunRefusesABadScript: a script that cannot start stops the process
// before it tells Agones it is Ready.
func TestRunRefusesABadScript(t *testing.T) {
	o := DefaultOptions()
	o.Script.Game, o.Script.Dir, o.Script.Args = GameScript, raceScript, "--hop-duration-ms=-5"
	o.KeyFile = keyFile(t)
	err := Run(t.Context(), o, slog.New(slog.DiscardHandler))
	if err == nil || !strings.Contains(err.Error(), "onProcessStarted returned false") {
		t.Fatalf("Run = %v, want the script's refusal", err)
	}
}

func keyFile(t *testing.T) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "keys.json")
	data, _ := token.MarshalKeyFile("k", token.Key{ID: "k", Secret: []byte(strings.Repeat("s", 32))})
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

// TestRunPlaysAScriptedRace runs the race server process wiring with
// --game=script and the Mega Frog Race script against the fake sidecar;
// real Go clients play full races: one on a server of one race, two at once
// on a server of three, each race its own script runtime.
func TestRunPlaysAScriptedRace(t *testing.T) {
	for _, tt := range []struct {
		name   string
		races  []string // race ids; "" is the one race of a one-race server
		script bool
	}{
		{"one race per server", []string{""}, true},
		{"many races per server", []string{"r1", "r2"}, true},
		{"Go race, many races per server", []string{"r1", "r2"}, false},
	} {
		t.Run(tt.name, func(t *testing.T) { playRaces(t, tt.races, tt.script) })
	}
}

// playRaces plays races (the script's, or the Go race's) to the end on a
// race-server.
func playRaces(t *testing.T, races []string, script bool) {
	lists := map[string]agonessdk.List{agoneswire.PlayersList: {Capacity: 2}}
	o := DefaultOptions()
	if races[0] != "" {
		o.RacesPerServer = 3
		lists = map[string]agonessdk.List{agoneswire.MatchesList: {Capacity: 3}}
	}
	sidecar, mem := sdktest.Start(t, agonessdk.MemoryConfig{Name: "race-s", Lists: lists})
	o.KeyFile = keyFile(t)
	o.Listen, o.AdminListen = freeAddr(t), freeAddr(t)
	o.SDKHTTPPort, _ = strconv.Atoi(sidecar.URL[strings.LastIndex(sidecar.URL, ":")+1:])
	o.Game.TickRate = 100
	if script {
		o.Script.Game, o.Script.Dir = GameScript, raceScript
		o.Script.Args = "--hop-duration-ms=40 --hop-penalty-ms=5 --countdown-ms=30"
	} else {
		o.Game.Rules.HopDuration, o.Game.Rules.HopPenalty, o.Game.Rules.Countdown = 40*time.Millisecond, 5*time.Millisecond, 30*time.Millisecond
		o.Game.NoShowTimeout, o.Game.WaitForPlayers, o.Game.Rules.ReconnectGrace = 10*time.Second, 20*time.Second, 5*time.Second
	}
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, o, slog.New(slog.DiscardHandler)) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v", err)
		}
	})
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		resp, err := http.Get("http://" + o.AdminListen + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("never ready")
		}
	}
	if races[0] == "" {
		if _, err := mem.ClusterAllocate([]string{"alice", "bob"}); err != nil {
			t.Fatal(err)
		}
	}
	keys, err := token.LoadKeyset(o.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	issuer := token.NewIssuer(keys, nil)
	results := make(chan error, 2*len(races))
	for _, race := range races {
		for _, player := range []string{"alice" + race, "bob" + race} {
			tok, _, err := issuer.MintMatchSession(player, "race-s", race, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			c, err := client.Dial(t.Context(), "ws://"+o.Listen+"/ws", tok, client.DialOptions{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Close() })
			go func() {
				res, err := clienttest.HopToTheEnd(c, player, true, 30*time.Second)
				if err == nil && (res.Reason != racev1.RaceResult_REASON_FINISH || res.WinnerPlayerId == "") {
					err = fmt.Errorf("%s: result %v", player, res)
				}
				results <- err
			}()
		}
	}
	for range 2 * len(races) {
		if err := <-results; err != nil {
			t.Error(err)
		}
	}
}
