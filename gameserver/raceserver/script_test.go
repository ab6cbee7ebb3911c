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
	"github.com/leapfrog-games/leapfrog/gameserver/agonessdk"
	"github.com/leapfrog-games/leapfrog/gameserver/agonessdk/sdktest"
	racev1 "github.com/leapfrog-games/leapfrog/gameserver/proto/leapfrog/race/v1"
	"github.com/leapfrog-games/leapfrog/gameserver/token"
)

const raceScript = "../script/examples/megafrograce"

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
// two real Go clients play a full race.
func TestRunPlaysAScriptedRace(t *testing.T) {
	sidecar, mem := sdktest.Start(t, agonessdk.MemoryConfig{Name: "race-s", Lists: map[string]agonessdk.List{"players": {Capacity: 2}}})
	o := DefaultOptions()
	o.KeyFile = keyFile(t)
	o.Listen, o.AdminListen = freeAddr(t), freeAddr(t)
	o.SDKHTTPPort, _ = strconv.Atoi(sidecar.URL[strings.LastIndex(sidecar.URL, ":")+1:])
	o.Game.TickRate = 100
	o.Script.Game, o.Script.Dir = GameScript, raceScript
	o.Script.Args = "--hop-duration-ms=40 --hop-penalty-ms=5 --countdown-ms=30"
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
	if _, err := mem.ClusterAllocate([]string{"alice", "bob"}); err != nil {
		t.Fatal(err)
	}
	keys, err := token.LoadKeyset(o.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	issuer := token.NewIssuer(keys, nil)
	results := make(chan error, 2)
	for _, player := range []string{"alice", "bob"} {
		tok, _, err := issuer.MintPlayerSession(player, "race-s", time.Minute)
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
	for range 2 {
		if err := <-results; err != nil {
			t.Error(err)
		}
	}
}
