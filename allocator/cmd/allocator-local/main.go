// Command allocator-local is the allocator with an embedded fleet of game
// servers on this machine, no Kubernetes: what `make run` starts. It runs
// Mega Frog Race, Fly Snatch (--game=party) or a GameLift Realtime script
// (--game=script) and serves the browser client, optionally through the
// edge on the same origin (--local-edge).
package main

import (
	"flag"
	"os"

	"github.com/leapfrog-games/leapfrog/internal/allocator/app"
	"github.com/leapfrog-games/leapfrog/internal/allocator/webui"
	"github.com/leapfrog-games/leapfrog/internal/gameserver/raceserver"
)

func main() {
	local := defaultLocalFlags()
	os.Exit(app.Command{
		Name:   "allocator-local",
		About:  "Leapfrog's allocator with a local fleet of game servers: POST /v1/guest, POST /v1/match, the browser client at /,\n/metrics, /healthz and /readyz.",
		Config: app.DefaultConfig(),
		Flags:  func(fs *flag.FlagSet, _ *app.Config) { local.register(fs) },
		Deps: func(fs *flag.FlagSet, cfg *app.Config) (app.Deps, error) {
			local.parsed(fs)
			// --players is a game rule, registered with the game's flags.
			cfg.Players = local.players()
			if err := local.validate(cfg.Backend); err != nil {
				return app.Deps{}, err
			}
			return app.Deps{LocalFleet: local.fleet(*cfg), Web: webui.Handler(), Script: local.scriptName()}, nil
		},
		ErrorAttrs: func(err error) (string, []any) {
			// where a script that did not load failed: file:line, stack
			if attrs := raceserver.ScriptErrorAttrs(err); attrs != nil {
				return "allocator stopped: the script did not load", attrs
			}
			return "", nil
		},
	}.Main(os.Args[1:], os.Stderr))
}
