package e2e

import (
	"strings"
	"testing"

	"github.com/leapfrog-games/leapfrog/test/internal/rtplay"
)

// The GameLift Realtime end-to-end tests: scripts written as studios wrote
// them (test/gamelift/scripts) run unchanged on the allocator's local fleet
// (high density, its default), and clients that behave like the official
// client SDK play them through POST /v1/match, with the fields
// CreatePlayerSession gave (test/internal/rtplay).

// startScript runs the allocator's local fleet on a script of
// test/gamelift/scripts and returns how its players are matched.
func startScript(t *testing.T, name string, extra ...string) (*allocator, rtplay.Matcher) {
	t.Helper()
	a := startAllocator(t, append([]string{"--game=script", "--script-dir", rtplay.Script(moduleRoot, name), "--launch-path", "index.js"}, extra...)...)
	return a, func(t *testing.T) rtplay.PlayerSession {
		t.Helper()
		ps, err := rtplay.Match(t.Context(), loopback, a.URL, a.guest(t).GuestToken)
		if err != nil {
			t.Fatal(err)
		}
		return ps
	}
}

// TestGameLiftClassicScript: a Node.js 10-era script (the runtime's Packet
// module by relative path, a bundled game loop, text payloads, process.exit
// after processEnding) plays a whole tug of war.
func TestGameLiftClassicScript(t *testing.T) {
	a, match := startScript(t, "classic-tug")
	rtplay.Tug(t, match)
	if out := a.output.String(); !strings.Contains(out, "processEnding: true") {
		t.Errorf("the script's log line after processEnding is missing:\n%s", a.output.Tail(8<<10))
	}
}

// TestGameLiftPayloadSignIn: a modern script signs players in with the JSON
// in their connection token's payload.
func TestGameLiftPayloadSignIn(t *testing.T) {
	a, match := startScript(t, "payload-lobby")
	rtplay.Lobby(t, match)
	out := a.output.String()
	for _, want := range []string{"processEnding resolved true", `event: 'refused'`, `name: 'Mallory'`} {
		if !strings.Contains(out, want) {
			t.Errorf("the allocator's log lacks %q", want)
		}
	}
}

// TestGameLiftBuiltinsScript: a script leaning on Node's built-ins plays
// best of three.
func TestGameLiftBuiltinsScript(t *testing.T) {
	_, match := startScript(t, "cards-events")
	rtplay.Cards(t, match)
}

// TestGameLiftScriptOneGamePerServer: the same scripts on the one-race
// fleet (a game session per server process, as on GameLift).
func TestGameLiftScriptOneGamePerServer(t *testing.T) {
	_, match := startScript(t, "classic-tug", "--local-races-per-server=1")
	rtplay.Tug(t, match)
}
