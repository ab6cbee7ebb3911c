package raceserver

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/leapfrog-games/leapfrog/internal/gameserver/script"
)

// Games the race server can run.
const (
	GameRace   = "race"   // Mega Frog Race in Go (gameserver/race)
	GameScript = "script" // a GameLift Realtime script (gameserver/script)
)

// ScriptOptions select the game and, for GameScript, the script to run.
type ScriptOptions struct {
	Game           string
	Dir            string
	LaunchPath     string
	Args           string
	CallbackBudget time.Duration
	MemoryLimitMiB int
	// UnhandledRejections: throw (Node.js 24: the session ends) or warn.
	UnhandledRejections string
}

// DefaultScriptOptions run the Go race.
func DefaultScriptOptions() ScriptOptions {
	return ScriptOptions{Game: GameRace, LaunchPath: "index.js", CallbackBudget: time.Second, MemoryLimitMiB: 256,
		UnhandledRejections: string(script.RejectionsThrow)}
}

// RegisterFlags adds the game selection flags to fs.
func (s *ScriptOptions) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&s.Game, "game", s.Game, "game to run: race (Mega Frog Race in Go), party (Fly Snatch, 3 to 8 players, in Go) or script (a GameLift Realtime script)")
	fs.StringVar(&s.Dir, "script-dir", s.Dir, "game=script: folder (or .zip file) holding the Realtime script's files")
	fs.StringVar(&s.LaunchPath, "launch-path", s.LaunchPath, "game=script: the launch file, relative to script-dir, that exports ssExports")
	fs.StringVar(&s.Args, "script-args", s.Args, "game=script: space-separated arguments passed to onProcessStarted")
	fs.DurationVar(&s.CallbackBudget, "script-callback-budget", s.CallbackBudget, "game=script: longest a script callback may run before its session is ended")
	fs.StringVar(&s.UnhandledRejections, "script-unhandled-rejections", s.UnhandledRejections, "game=script: a promise rejected without a handler (and no process.on('unhandledRejection') listener): throw ends the game session as a script error, as Node.js 24 ends the process; warn logs a warning and goes on, as Node.js 10 did")
	fs.IntVar(&s.MemoryLimitMiB, "script-memory-limit-mib", s.MemoryLimitMiB, "game=script: live heap (MiB) past which the running session is ended; with races-per-server N, per race (the process's live heap may reach N times it); 0 for none")
}

// Validate reports bad game selection values.
func (s ScriptOptions) Validate() error {
	switch s.Game {
	case GameRace, GameParty:
		return nil
	case GameScript:
	default:
		return fmt.Errorf("game %q: want %s, %s or %s", s.Game, GameRace, GameParty, GameScript)
	}
	var errs []error
	if s.Dir == "" || s.LaunchPath == "" {
		errs = append(errs, errors.New("game=script needs script-dir and launch-path"))
	}
	if r := script.UnhandledRejections(s.UnhandledRejections); r != "" && r != script.RejectionsThrow && r != script.RejectionsWarn {
		errs = append(errs, fmt.Errorf("script-unhandled-rejections %q: want %s or %s", s.UnhandledRejections, script.RejectionsThrow, script.RejectionsWarn))
	}
	if s.CallbackBudget <= 0 || s.MemoryLimitMiB < 0 {
		errs = append(errs, errors.New("script-callback-budget must be positive and script-memory-limit-mib not negative"))
	}
	return errors.Join(errs...)
}

// Program loads and checks the script (nil for the Go race) for a server of
// races races at once. A script that cannot load or refuses to start stops
// the server before it is Ready. Scripts share the process's heap, which is
// all the memory limit can see: on a server of many races it is the limit
// per race times the races.
func (s ScriptOptions) Program(logger *slog.Logger, races int) (*script.Program, error) {
	if s.Game != GameScript {
		return nil, nil
	}
	launch := filepath.Join(s.Dir, s.LaunchPath)
	src, err := script.Load(s.Dir, s.LaunchPath)
	if err != nil {
		return nil, &ScriptLoadError{Launch: launch, Err: err}
	}
	p, err := script.NewProgram(src, script.Config{
		Args:                strings.Fields(s.Args),
		CallbackBudget:      s.CallbackBudget,
		MemoryLimit:         uint64(s.MemoryLimitMiB) << 20 * uint64(max(races, 1)),
		Logger:              logger,
		UnhandledRejections: script.UnhandledRejections(s.UnhandledRejections),
	})
	if err != nil {
		return nil, &ScriptLoadError{Launch: launch, At: s.position(err), Err: err}
	}
	return p, nil
}

// Seats is the players of one session of p that an allocator fills before
// it opens another: players when it was set explicitly (GameLift's
// MaximumPlayerSessionCount, which may be below the script's limit but not
// above it, where the script's sessions would refuse the last players),
// else the script's configuration.maxPlayers. Without a script it is players.
func Seats(p *script.Program, players int, explicit bool) (int, error) {
	if p == nil {
		return players, nil
	}
	limit := p.Settings().MaxPlayers
	if !explicit {
		return limit, nil
	}
	if players < 1 || players > limit {
		return 0, fmt.Errorf("players %d: the script's configuration.maxPlayers is %d: want 1 to %d, or leave players unset", players, limit, limit)
	}
	return players, nil
}
