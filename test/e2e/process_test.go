package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/leapfrog-games/leapfrog/test/internal/playtest"

	"github.com/gorilla/websocket"

	realtimev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/realtime/v1"
	"github.com/leapfrog-games/leapfrog/internal/buildtest"
)

func TestSIGTERMMidRaceLetsPlayersGo(t *testing.T) {
	a := startAllocator(t)
	ga, gb := a.guest(t), a.guest(t)
	ma, mb := a.match(t, ga), a.match(t, gb)
	if ma.GameServer != mb.GameServer {
		t.Fatalf("paired on %s and %s, want one game server", ma.GameServer, mb.GameServer)
	}
	players := []playtest.Player{
		playtest.Join(t, ma.WSURL, ga.PlayerID, ma.PlayerSessionToken),
		playtest.Join(t, mb.WSURL, gb.PlayerID, mb.PlayerSessionToken),
	}
	playtest.StartRacing(t, players...)

	a.signal(t, syscall.SIGTERM)
	playtest.ExpectClosed(t, players, realtimev1.Error_CODE_SHUTTING_DOWN, websocket.CloseGoingAway)
	// The allocator's grace is 10 s for HTTP requests plus 10 s for the race
	// servers' drain; waitFor is longer than both together.
	if code := a.wait(t, waitFor); code != 0 {
		t.Errorf("allocator exited with %d after SIGTERM, want 0", code)
	}
}

func TestAllocatorCommandLine(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		// flags must be listed in the output.
		flags []string
	}{
		{"help", []string{"--help"}, 0, contractFlags(t)},
		{"short help", []string{"-h"}, 0, contractFlags(t)},
		{"unknown flag", []string{"--no-such-flag"}, 2, nil},
		{"stray argument", []string{"--backend", "local", "extra"}, 2, nil},
		{"invalid local fleet", []string{"--local-max", "1", "--local-min", "2"}, 2, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), waitFor)
			defer cancel()
			cmd := exec.CommandContext(ctx, allocatorBin, tt.args...)
			cmd.Env = buildtest.HermeticEnv("LEAPFROG_")
			out, err := cmd.CombinedOutput()
			if code := cmd.ProcessState.ExitCode(); code != tt.code {
				t.Fatalf("allocator %s: exit code %d (%v), want %d; output:\n%s", strings.Join(tt.args, " "), code, err, tt.code, out)
			}
			for _, f := range tt.flags {
				if !regexp.MustCompile(`(?m)^\s*--?` + regexp.QuoteMeta(f) + `(\s|$)`).Match(out) {
					t.Errorf("--%s is not in the help", f)
				}
			}
		})
	}
}

// contractFlags lists the allocator's flags from docs/contracts.md: the
// allocator's table, and the race rule flags of the race server's table that
// it points to.
func contractFlags(t *testing.T) []string {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join(moduleRoot, "docs", "contracts.md"))
	if err != nil {
		t.Fatal(err)
	}
	section := func(heading string) string {
		_, rest, ok := strings.Cut(string(doc), "\n"+heading+"\n")
		if !ok {
			t.Fatalf("docs/contracts.md has no %q", heading)
		}
		if i := strings.Index(rest, "\n#"); i >= 0 {
			rest = rest[:i]
		}
		return rest
	}
	flagName := regexp.MustCompile("--([a-z][a-z0-9-]*)")
	var flags []string
	add := func(text string) {
		for _, m := range flagName.FindAllStringSubmatch(text, -1) {
			flags = append(flags, m[1])
		}
	}
	alloc := section("### allocator flags")
	add(alloc)
	if strings.Contains(alloc, "race rule flags") {
		var rules string
		for line := range strings.Lines(section("### race-server flags")) {
			if strings.HasPrefix(line, "| game rules |") {
				rules = line
			}
		}
		if rules == "" {
			t.Fatal(`docs/contracts.md: the race-server table has no "game rules" row`)
		}
		add(rules)
	}
	// Guard the parser: these must be found, or it reads nothing.
	for _, f := range []string{"listen", "key-file", "local-max", "no-show-timeout"} {
		if !strings.Contains(" "+strings.Join(flags, " ")+" ", " "+f+" ") {
			t.Fatalf("parsed %q from docs/contracts.md, which lacks --%s", flags, f)
		}
	}
	return flags
}
