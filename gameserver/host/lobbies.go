package host

import (
	"context"
	"slices"
	"time"

	"github.com/leapfrog-games/leapfrog/contract/agoneswire"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime"
)

// lobbyAsk bounds the wait for one match's loop to say whether it has empty
// seats: a stuck loop is the watchdog's to catch, not this report's.
const lobbyAsk = time.Second

// lobbyScan is how often the matches waiting for players are looked at, and
// how long a match must have been admitted before it is reported: its
// players usually connect together, and a match that fills within it
// writes nothing. It also bounds the report's writes to four a second.
const lobbyScan = 250 * time.Millisecond

// publishLobbies keeps the GameServer's lobbies annotation
// (agoneswire.LobbiesAnnotation) until ctx is done: the matches admitted at
// least lobbyScan ago that hold players and still have empty seats
// (realtime.SeatKeeper), with those players, so that allocator replicas
// pair a lone present player with the next one, whichever replica places
// it, and give a seat whose player did not come to the next player. A match
// once reported stays in the report, with the players who filled it, until
// it ends: allocators learn from it who holds its seats (the match seats
// whoever comes first), so that a player refused a seat someone else took
// is placed afresh when it asks again. Only a change is written, one SDK
// call: matches that fill within lobbyScan write nothing.
//
// Matches are asked on their own goroutines: each match until it is seen full
// or started (settled), and every quarter of the no-show window also the
// settled matches admitted at least that window ago (a player who left a
// lobby gives its seat back).
func (h *Host) publishLobbies(ctx context.Context) {
	window := h.cfg.Realtime.NoShowTimeout
	if window <= 0 {
		window = realtime.DefaultNoShowTimeout
	}
	// The scans are paced by the wall clock; the matches' ages are read on
	// the host's clock, which times their admission.
	scan := time.NewTicker(lobbyScan)
	defer scan.Stop()
	slowEvery := max(int(min(max(window/4, lobbyScan), 15*time.Second)/lobbyScan), 1)
	var (
		last     = ""
		reported = make(map[string][]string) // match -> players, as last published
		settled  = make(map[string]bool)     // matches seen full or started
	)
	for tick := 1; ; tick++ {
		h.lobbyScans.Store(int64(tick - 1))
		select {
		case <-ctx.Done():
			return
		case <-scan.C:
		}
		now := h.cfg.Clock.Now()
		running := h.matches.admittedBy(now.Add(-lobbyScan))
		var old map[string]*realtime.Session
		if tick%slowEvery == 0 {
			old = h.matches.admittedBy(now.Add(-window))
		}
		lobbies := make(map[string][]string)
		for match, s := range running {
			_, aged := old[match]
			if settled[match] && !aged {
				if p, ok := reported[match]; ok {
					lobbies[match] = p
				}
				continue
			}
			ask, cancel := context.WithTimeout(ctx, lobbyAsk)
			open, players, ok := s.Lobby(ask)
			cancel()
			switch {
			case !ok:
			case open > 0 && len(players) > 0:
				// A match nobody is in ends on its own (its empty timeout).
				delete(settled, match)
				lobbies[match] = players
			case open == 0:
				settled[match] = true
				if _, was := reported[match]; was && len(players) > 0 {
					lobbies[match] = players
				}
			}
		}
		for match := range settled {
			if _, still := running[match]; !still {
				delete(settled, match)
			}
		}
		value := agoneswire.EncodeLobbies(lobbies)
		if value == last {
			continue
		}
		if err := h.sdk.SetAnnotation(ctx, agoneswire.LobbiesKey, value); err != nil {
			if ctx.Err() == nil {
				h.log.Warn("publish the matches waiting for players", "err", err)
			}
			continue
		}
		last = value
		clear(reported)
		for match, p := range lobbies {
			reported[match] = slices.Clone(p)
		}
		h.log.Debug("matches waiting for players reported", "matches", len(lobbies))
	}
}
