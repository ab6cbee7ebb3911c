// Command allocator is Leapfrog's client service on Agones: guest
// identities, matches into game servers with player session tokens, and
// the browser client. It links no game server: the embedded fleet of
// `make run` is the allocator-local command.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/leapfrog-games/leapfrog/internal/allocator/app"
	"github.com/leapfrog-games/leapfrog/internal/allocator/webui"
)

func main() {
	os.Exit(command().Main(os.Args[1:], os.Stderr))
}

func command() app.Command {
	cfg := app.DefaultConfig()
	cfg.Backend = app.BackendAgones
	return app.Command{
		Name:   "allocator",
		About:  "Leapfrog's client service on Agones: POST /v1/guest, POST /v1/match, the browser client at /,\n/metrics, /healthz and /readyz.",
		Config: cfg,
		Flags: func(fs *flag.FlagSet, c *app.Config) {
			fs.IntVar(&c.Players, "players", c.Players, "players per match: the game's seats (high density seats that many players per match)")
		},
		Deps: func(_ *flag.FlagSet, c *app.Config) (app.Deps, error) {
			if c.Backend != app.BackendAgones {
				return app.Deps{}, fmt.Errorf("backend %q: this command runs on Agones; the embedded fleet is the allocator-local command (make run)", c.Backend)
			}
			return app.Deps{Web: webui.Handler()}, nil
		},
	}
}
