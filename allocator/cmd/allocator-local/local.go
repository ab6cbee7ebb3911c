package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/leapfrog-games/leapfrog/contract/token"
	"github.com/leapfrog-games/leapfrog/internal/allocator/app"
	"github.com/leapfrog-games/leapfrog/internal/allocator/backend"
	"github.com/leapfrog-games/leapfrog/internal/allocator/local"
	"github.com/leapfrog-games/leapfrog/internal/allocator/placement"
	"github.com/leapfrog-games/leapfrog/internal/gameserver/raceserver"
)

// localFlags configure the embedded fleet of --backend=local: its size and
// the game servers' game settings and game (the game server's flags of the
// same names: --game=script runs a GameLift Realtime script).
type localFlags struct {
	MatchesPerServer int
	Buffer, Min, Max int
	Host             string
	UnhealthyAfter   time.Duration
	Game             raceserver.GameOptions
	Script           raceserver.ScriptOptions
	// PlayersSet: --players was given (flag or environment). A script's
	// matches then have that many seats, else its configuration.maxPlayers.
	PlayersSet bool
}

func defaultLocalFlags() localFlags {
	return localFlags{
		MatchesPerServer: 512, Buffer: 2, Min: 2, Max: 8, Host: "127.0.0.1", UnhealthyAfter: 15 * time.Second,
		Game: raceserver.DefaultGameOptions(), Script: raceserver.DefaultScriptOptions(),
	}
}

func (l *localFlags) register(fs *flag.FlagSet) {
	fs.IntVar(&l.MatchesPerServer, "local-races-per-server", l.MatchesPerServer, "local: matches one game server hosts at once; 1 is one match per server, replaced after it")
	fs.IntVar(&l.Buffer, "local-buffer", l.Buffer, "local: free matches kept warm (with one match per server: Ready game servers)")
	fs.IntVar(&l.Min, "local-min", l.Min, "local: fewest game servers")
	fs.IntVar(&l.Max, "local-max", l.Max, "local: most game servers")
	fs.StringVar(&l.Host, "local-host", l.Host, "local: address the game servers listen on and hand out")
	fs.DurationVar(&l.UnhealthyAfter, "local-unhealthy-after", l.UnhealthyAfter, "local: replace a game server silent on health this long while the allocator runs")
	l.Game.RegisterFlags(fs)
	l.Script.RegisterFlags(fs)
}

// parsed records what only the parsed flag set knows: whether --players was set.
func (l *localFlags) parsed(fs *flag.FlagSet) {
	fs.Visit(func(f *flag.Flag) { l.PlayersSet = l.PlayersSet || f.Name == "players" })
}

// validate checks the local settings when the local backend is chosen.
func (l localFlags) validate(backend string) error {
	if backend != app.BackendLocal {
		return nil
	}
	var errs []error
	if l.MatchesPerServer < 1 || l.MatchesPerServer > local.MaxMatchesPerServer {
		errs = append(errs, fmt.Errorf("local-races-per-server %d: want 1 to %d", l.MatchesPerServer, local.MaxMatchesPerServer))
	} else if l.Max < 1 || l.Min < 0 || l.Buffer < 0 || l.Min > l.Max || l.Buffer > l.Max*l.MatchesPerServer {
		errs = append(errs, fmt.Errorf("local-buffer %d, local-min %d, local-max %d, local-races-per-server %d: want 0 <= buffer <= max x matches per server, 0 <= min <= max, max >= 1",
			l.Buffer, l.Min, l.Max, l.MatchesPerServer))
	}
	if l.UnhealthyAfter <= 0 {
		errs = append(errs, fmt.Errorf("local-unhealthy-after %v must be positive", l.UnhealthyAfter))
	}
	if l.Host == "" {
		errs = append(errs, errors.New("local-host is required"))
	}
	game := l.Game
	if l.Script.Game == raceserver.GameScript {
		// A script's seats are checked against its maxPlayers once it is
		// loaded; the Go match's limit of 8 lanes is not the script's.
		if game.Rules.Seats < 1 {
			errs = append(errs, fmt.Errorf("players %d: want at least 1", game.Rules.Seats))
		}
		game.Rules.Seats = 1
	}
	if err := game.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := l.Script.Validate(); err != nil {
		errs = append(errs, err)
	}
	if _, err := l.Script.Party(l.Game); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// players is the seats of a match of the Go game chosen: --players, or for
// the party game its own default when --players is not given.
func (l localFlags) players() int {
	if r, err := l.Script.Party(l.Game); err == nil && r != nil {
		return r.Players
	}
	return l.Game.Rules.Seats
}

// fleet starts the embedded fleet of package allocator/local.
func (l localFlags) fleet(cfg app.Config) app.LocalFleet {
	return func(ctx context.Context, tokens *token.Issuer, reg prometheus.Registerer, logger *slog.Logger) (backend.Backend, func(), error) {
		game := l.Game
		seats, err := l.loadScript(&game, logger)
		if err != nil {
			return nil, nil, err
		}
		if game.Party, err = l.Script.Party(l.Game); err != nil {
			return nil, nil, err
		}
		f, err := local.NewFleet(ctx, local.Config{
			Host: l.Host, MatchesPerServer: l.MatchesPerServer, BufferSize: l.Buffer, MinReplicas: l.Min, MaxReplicas: l.Max,
			Game: game, Seats: seats, Tokens: tokens, UnhealthyAfter: l.UnhealthyAfter, SeatHold: token.AcceptedFor(cfg.SessionTTL),
			ShowGrace: placement.DefaultShowGrace, MaxConnsPerIP: cfg.MaxConnsPerIP, MaxConns: cfg.MaxConns,
		}, reg, logger)
		if err != nil {
			return nil, nil, err
		}
		return f, f.Close, nil
	}
}

// loadScript loads the script of --game=script into game, once for the
// whole fleet (each match still runs it in a runtime of its own), and
// returns the seats of a match (0: the Go match's --players). A script that
// does not load stops the allocator before any game server starts.
func (l localFlags) loadScript(game *raceserver.GameOptions, logger *slog.Logger) (int, error) {
	prog, err := l.Script.Program(logger, l.MatchesPerServer)
	if err != nil || prog == nil {
		return 0, err
	}
	seats, err := raceserver.Seats(prog, l.Game.Rules.Seats, l.PlayersSet)
	if err != nil {
		return 0, err
	}
	game.Script = prog
	logger.Info("local fleet runs a GameLift Realtime script", "script_dir", l.Script.Dir, "launch_path", l.Script.LaunchPath,
		"script_args", l.Script.Args, "max_players", prog.Settings().MaxPlayers, "seats_per_race", seats, "players_set", l.PlayersSet)
	return seats, nil
}

// scriptName names the script for the start-up line ("" for the Go match).
func (l localFlags) scriptName() string {
	if l.Script.Game != raceserver.GameScript {
		return ""
	}
	return filepath.Join(l.Script.Dir, l.Script.LaunchPath)
}
