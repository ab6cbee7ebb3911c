package raceserver

import (
	"errors"
	"flag"
	"log/slog"
	"time"

	"github.com/leapfrog-games/leapfrog/contract/token"
	"github.com/leapfrog-games/leapfrog/gameserver/host"
	"github.com/leapfrog-games/leapfrog/gameserver/party"
	"github.com/leapfrog-games/leapfrog/gameserver/race"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime/match"
	"github.com/leapfrog-games/leapfrog/internal/gameserver/script"
)

// GameOptions are the race rules and session settings, shared by the race
// server and the allocator's embedded local fleet.
type GameOptions struct {
	Rules          race.Rules
	WaitForPlayers time.Duration
	NoShowTimeout  time.Duration
	TickRate       int
	MaxPayload     int
	// Script, when set, is the game instead of the Go race (whose Rules
	// then only size the players list): see ScriptOptions.
	Script *script.Program
	// Party, when set, is the game instead of the Go race: Fly Snatch with
	// these rules (ScriptOptions.Party), counted in PartyMetrics (may be nil).
	Party        *party.Rules
	PartyMetrics *match.Metrics
	// PartyRounds is Fly Snatch's rounds (--party-rounds).
	PartyRounds int
	// PlayersSet: --players was given (flag or environment).
	PlayersSet bool
}

// DefaultGameOptions are the original game's settings.
func DefaultGameOptions() GameOptions {
	return GameOptions{Rules: race.DefaultRules(), PartyRounds: party.DefaultRules().Rounds, WaitForPlayers: 60 * time.Second, NoShowTimeout: 60 * time.Second, TickRate: 10, MaxPayload: 4096}
}

// RegisterFlags adds the game flags to fs, defaulting to the values in g.
func (g *GameOptions) RegisterFlags(fs *flag.FlagSet) {
	r := &g.Rules
	fs.Float64Var(&r.HopDistance, "hop-distance", r.HopDistance, "fraction of the track one hop covers")
	fs.DurationVar(&r.HopDuration, "hop-duration", r.HopDuration, "time one hop takes")
	fs.DurationVar(&r.HopPenalty, "hop-penalty", r.HopPenalty, "time added to a hop by each press during it")
	fs.Float64Var(&r.FinishLine, "finish-line", r.FinishLine, "track position that wins")
	fs.Var(playersFlag{&r.Seats, &g.PlayersSet}, "players", "players per race (game=party: per match, 3 to 8, default 4)")
	fs.IntVar(&g.PartyRounds, "party-rounds", g.PartyRounds, "game=party: rounds (flies) in a match of Fly Snatch")
	fs.DurationVar(&r.Countdown, "countdown", r.Countdown, "countdown before the start")
	fs.DurationVar(&r.ReconnectGrace, "reconnect-grace", r.ReconnectGrace, "time a player who dropped mid-race has to come back before forfeiting")
	fs.DurationVar(&r.LobbyTimeout, "lobby-timeout", r.LobbyTimeout, "end a race whose countdown has not started this long after its session began")
	fs.DurationVar(&r.Timeout, "race-timeout", r.Timeout, "end a race still running this long after its start, with no winner")
	fs.DurationVar(&r.IdleTimeout, "idle-race-timeout", r.IdleTimeout, "end a started race in which no player has hopped for this long, with no winner (reason idle); 0 turns it off")
	fs.DurationVar(&g.WaitForPlayers, "wait-for-players", g.WaitForPlayers, "end a session that has had no connected player for this long")
	fs.DurationVar(&g.NoShowTimeout, "no-show-timeout", g.NoShowTimeout, "free a reserved place whose player has not connected within this time")
	fs.IntVar(&g.TickRate, "tick-rate", g.TickRate, "game loop ticks per second")
	fs.IntVar(&g.MaxPayload, "max-payload", g.MaxPayload, "largest game message payload in bytes")
}

// Validate reports settings that cannot run a race.
func (g GameOptions) Validate() error {
	var errs []error
	if g.WaitForPlayers <= 0 || g.NoShowTimeout <= 0 || g.TickRate < 1 || g.TickRate > 1000 || g.MaxPayload < 1 || g.MaxPayload > 1<<20 {
		errs = append(errs, errors.New("wait-for-players and no-show-timeout must be positive, tick-rate between 1 and 1000, max-payload between 1 and 1048576"))
	}
	if err := g.Rules.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// HostConfig builds the host configuration for race games (or the script's,
// when Script is set). Metrics may be nil.
func (g GameOptions) HostConfig(tokens *token.Issuer, rm *realtime.Metrics, gm *race.Metrics, logger *slog.Logger) host.Config {
	rules := g.Rules
	hc := host.Config{
		Realtime: realtime.Config{
			MaxPlayers:    rules.Seats,
			TickRate:      g.TickRate,
			MaxPayload:    g.MaxPayload,
			NoShowTimeout: g.NoShowTimeout,
			EmptyTimeout:  g.WaitForPlayers,
			Metrics:       rm,
		},
		NewGame: func() (realtime.Game, error) { return race.NewGame(rules, gm) },
		Tokens:  tokens,
		Logger:  logger,
	}
	if g.Script != nil {
		hc.Realtime = g.Script.Realtime(hc.Realtime)
		hc.NewGame = g.Script.NewGame
	}
	if g.Party != nil {
		pr, pm := *g.Party, g.PartyMetrics
		hc.Realtime.MaxPlayers = pr.Players
		hc.NewGame = func() (realtime.Game, error) { return party.NewGame(pr, pm) }
	}
	return hc
}
