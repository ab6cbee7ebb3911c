package raceserver

import (
	"strconv"

	"github.com/leapfrog-games/leapfrog/gameserver/party"
)

// GameParty is Fly Snatch, the party game in Go (gameserver/party).
const GameParty = "party"

// Party returns Fly Snatch's rules when s selects it, nil otherwise: g's
// players when --players was given, else the game's own (4), g's rounds,
// and the match timings the race's flags set (countdown, reconnect grace,
// lobby timeout).
func (s ScriptOptions) Party(g GameOptions) (*party.Rules, error) {
	if s.Game != GameParty {
		return nil, nil
	}
	r := party.DefaultRules()
	if g.PlayersSet {
		r.Players = g.Rules.Seats
	}
	r.Rounds = g.PartyRounds
	r.Countdown, r.ReconnectGrace, r.LobbyTimeout = g.Rules.Countdown, g.Rules.ReconnectGrace, g.Rules.LobbyTimeout
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return &r, nil
}

// playersFlag is --players, remembering that it was given: the party
// game's default is not the race's.
type playersFlag struct {
	n   *int
	set *bool
}

func (f playersFlag) String() string {
	if f.n == nil {
		return ""
	}
	return strconv.Itoa(*f.n)
}

func (f playersFlag) Set(v string) error {
	n, err := strconv.Atoi(v)
	if err != nil {
		return err
	}
	*f.n, *f.set = n, true
	return nil
}
