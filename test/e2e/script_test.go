package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leapfrog-games/leapfrog/internal/buildtest"
	"github.com/leapfrog-games/leapfrog/test/internal/playtest"
)

// raceScriptArgs make the Mega Frog Race script as fast as fastRules make the Go race.
const raceScriptArgs = "--hop-duration-ms=200 --hop-penalty-ms=20 --countdown-ms=200"

// scriptFlags run the script in dir on the allocator's local fleet.
func scriptFlags(dir string, extra ...string) []string {
	return append([]string{"--game=script", "--script-dir", dir, "--launch-path", "index.js"}, extra...)
}

// TestScriptRacesThroughTheLocalFleet: the allocator started as make run
// SCRIPT=examples/megafrograce starts it (the race as a
// Realtime script): two players matched over HTTP race each other over real
// WebSockets, as two browser tabs do, on high-density servers through the
// local edge (make run's flags) and directly on servers of one race. The script's maxPlayers (2) are the seats of a race.
func TestScriptRacesThroughTheLocalFleet(t *testing.T) {
	dir := filepath.Join(moduleRoot, "examples", "megafrograce")
	for _, tt := range []struct {
		name  string
		extra []string
	}{
		{"make run's: high density, through the local edge", []string{"--local-edge"}},
		{"one race per server", []string{"--local-races-per-server", "1"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := startAllocator(t, scriptFlags(dir, append([]string{"--script-args", raceScriptArgs}, tt.extra...)...)...)
			ga, gb := a.guest(t), a.guest(t)
			ma, mb := a.match(t, ga), a.match(t, gb)
			if ma.GameServer != mb.GameServer || ma.Port != mb.Port {
				t.Fatalf("matched on %s:%d and %s:%d, want one game server", ma.GameServer, ma.Port, mb.GameServer, mb.Port)
			}
			players := []playtest.Player{
				playtest.Join(t, ma.WSURL, ma.PlayerID, ma.PlayerSessionToken),
				playtest.Join(t, mb.WSURL, mb.PlayerID, mb.PlayerSessionToken),
			}
			playtest.CheckOneWinner(t, players, playtest.Race(t, players...))

			logs := records(a.output.String())
			loaded := logs.with("msg", "local fleet runs a GameLift Realtime script")
			if len(loaded) != 1 || loaded[0]["seats_per_race"] != 2.0 || loaded[0]["max_players"] != 2.0 {
				t.Errorf("script start-up lines %v, want one with 2 seats per race from maxPlayers 2", loaded)
			}
			up := logs.prefixed("GameLift Realtime script is up")
			if len(up) != 1 || !strings.Contains(up[0]["msg"].(string), "/websocket") || up[0]["url"] != a.URL+"/" {
				t.Errorf("how-to-connect lines %v, want one naming /websocket and %s/", up, a.URL)
			}
		})
	}
}

// TestScriptThatDoesNotLoadStopsTheAllocator: a script that cannot load
// stops the allocator at once (exit 1), with one error line that names the
// file and line, before any race server starts.
func TestScriptThatDoesNotLoadStopsTheAllocator(t *testing.T) {
	tests := []struct {
		name   string
		script string
		// at is the file:line:column in the script folder ("" for none).
		at string
	}{
		{"syntax error", "function init(session) {\n  let x = ;\n}\nexports.ssExports = { init: init };\n", "index.js:2:11"},
		{"throw at the top level", "// settings\nconst cfg = {};\nthrow new Error('no settings');\n", "index.js:3:7"},
		{"throw in init", "function init(session) {\n  session.nothing.here();\n}\nexports.ssExports = { init: init };\n", "index.js:2:11"},
		{"no init", "exports.ssExports = { configuration: { maxPlayers: 4 } };\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "index.js"), []byte(tt.script), 0o644); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(t.Context(), waitFor)
			defer cancel()
			cmd := exec.CommandContext(ctx, allocatorBin, append([]string{"--backend", "local", "--listen", freeAddr(t)}, scriptFlags(dir)...)...)
			cmd.Env = buildtest.HermeticEnv("LEAPFROG_")
			out, _ := cmd.CombinedOutput()
			if code := cmd.ProcessState.ExitCode(); code != 1 {
				t.Fatalf("exit code %d, want 1; output:\n%s", code, out)
			}
			logs := records(string(out))
			errs := logs.with("level", "ERROR")
			if len(errs) != 1 || errs[0]["msg"] != "allocator stopped: the script did not load" {
				t.Fatalf("error lines %v, want one saying the script did not load; output:\n%s", errs, out)
			}
			if tt.at != "" && errs[0]["at"] != filepath.Join(dir, tt.at) {
				t.Errorf("at = %v, want %s", errs[0]["at"], filepath.Join(dir, tt.at))
			}
			if msg, _ := errs[0]["err"].(string); !strings.Contains(msg, filepath.Join(dir, "index.js")) {
				t.Errorf("err %q does not name %s", msg, filepath.Join(dir, "index.js"))
			}
			if started := logs.with("msg", "game server ready"); len(started) != 0 {
				t.Errorf("%d race servers started for a script that did not load", len(started))
			}
		})
	}
}

// TestScriptCallbackErrorIsLogged: a callback that throws later, in a
// session, ends that session and is logged with the message and the
// script's stack (file:line of the throw); the allocator keeps serving.
func TestScriptCallbackErrorIsLogged(t *testing.T) {
	dir := t.TempDir()
	src := "function init(session) {}\n" +
		"function onStartGameSession(gameSession) {\n" +
		"  const rules = undefined;\n" +
		"  return rules.hopDuration;\n" +
		"}\n" +
		"exports.ssExports = { configuration: { maxPlayers: 2 }, init: init, onStartGameSession: onStartGameSession };\n"
	if err := os.WriteFile(filepath.Join(dir, "index.js"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	// A server of one race starts its session at the allocation.
	a := startAllocator(t, scriptFlags(dir, "--local-races-per-server", "1")...)
	a.match(t, a.guest(t))
	var failed []map[string]any
	poll(t, "the callback's error in the log", func() error {
		failed = records(a.output.String()).with("msg", "script failed; ending its session")
		if len(failed) == 0 {
			return errors.New("not logged yet")
		}
		return nil
	})
	rec := failed[0]
	if rec["level"] != "ERROR" || rec["callback"] != "onStartGameSession" {
		t.Errorf("record %v, want level ERROR and callback onStartGameSession", rec)
	}
	if msg, _ := rec["err"].(string); !strings.Contains(msg, "hopDuration") {
		t.Errorf("err %q does not give the script's message", msg)
	}
	if stack, _ := rec["stack"].(string); !strings.Contains(stack, "index.js:4:") {
		t.Errorf("stack %q does not give the line of the throw (index.js:4)", stack)
	}
	if code, err := a.get(t.Context(), "/readyz"); err != nil || code != 200 {
		t.Errorf("/readyz after the script failed: %d, %v", code, err)
	}
}

// logRecords are the JSON lines of a process's log.
type logRecords []map[string]any

func records(out string) logRecords {
	var recs logRecords
	for line := range strings.Lines(out) {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) == nil {
			recs = append(recs, rec)
		}
	}
	return recs
}

// with is the records whose key has the value.
func (r logRecords) with(key string, value any) logRecords {
	var out logRecords
	for _, rec := range r {
		if rec[key] == value {
			out = append(out, rec)
		}
	}
	return out
}

// prefixed is the records whose message starts with prefix.
func (r logRecords) prefixed(prefix string) logRecords {
	var out logRecords
	for _, rec := range r {
		if msg, _ := rec["msg"].(string); strings.HasPrefix(msg, prefix) {
			out = append(out, rec)
		}
	}
	return out
}
