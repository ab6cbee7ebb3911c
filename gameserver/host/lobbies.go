package host

import (
	"context"
	"time"

	"github.com/leapfrog-games/leapfrog/gameserver/agonessdk"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime"
)

// lobbyAsk bounds the wait for one race's loop to say whether it has empty
// seats: a stuck loop is the watchdog's to catch, not this report's.
const lobbyAsk = time.Second

// publishLobbies keeps the GameServer's lobbies annotation
// (agonessdk.LobbiesAnnotation) until ctx is done: every quarter of the
// no-show window, the races admitted at least that window ago that hold
// players and still have empty seats (realtime.SeatKeeper), with those
// players. An allocator gives those seats to new players once the tokens
// that could fill them have expired. Only a change is written, one SDK
// call: races that fill within the window write nothing.
func (h *Host) publishLobbies(ctx context.Context) {
	window := h.cfg.Realtime.NoShowTimeout
	if window <= 0 {
		window = realtime.DefaultNoShowTimeout
	}
	// The scans are paced by the wall clock; the races' ages are read on
	// the host's clock, which times their admission.
	scan := time.NewTicker(min(max(window/4, 50*time.Millisecond), 15*time.Second))
	defer scan.Stop()
	last := ""
	for {
		select {
		case <-ctx.Done():
			return
		case <-scan.C:
		}
		lobbies := make(map[string][]string)
		for race, s := range h.races.admittedBy(h.cfg.Clock.Now().Add(-window)) {
			ask, cancel := context.WithTimeout(ctx, lobbyAsk)
			open, players, ok := s.Lobby(ask)
			cancel()
			// A race nobody is in ends on its own (its empty timeout).
			if ok && open > 0 && len(players) > 0 {
				lobbies[race] = players
			}
		}
		value := agonessdk.EncodeLobbies(lobbies)
		if value == last {
			continue
		}
		if err := h.sdk.SetAnnotation(ctx, agonessdk.LobbiesKey, value); err != nil {
			if ctx.Err() == nil {
				h.log.Warn("publish the races waiting for players", "err", err)
			}
			continue
		}
		last = value
		h.log.Info("races waiting for players past the no-show window", "races", len(lobbies), "window", window)
	}
}
