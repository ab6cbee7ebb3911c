package e2e

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/leapfrog-games/leapfrog/test/internal/playtest"

	"github.com/leapfrog-games/leapfrog/client"
	realtimev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/realtime/v1"
)

// oneServer is a local fleet of exactly one race server of one race: two
// places, freed by the race server when a player does not come.
var oneServer = []string{"--local-races-per-server", "1", "--local-max", "1", "--local-buffer", "1", "--local-min", "1"}

// noCapacity checks that err is the allocator's 503 with a Retry-After.
func noCapacity(t *testing.T, m client.Match, err error) {
	t.Helper()
	apiErr, ok := errors.AsType[*client.APIError](err)
	if !ok {
		t.Fatalf("match = %+v, %v; want HTTP 503", m, err)
	}
	if apiErr.StatusCode != http.StatusServiceUnavailable || apiErr.Code != "no_capacity" {
		t.Errorf("match: HTTP %d %q (%s), want 503 no_capacity", apiErr.StatusCode, apiErr.Code, apiErr.Message)
	}
	// Retry-After is whole seconds, at least one; absent it parses as zero.
	if apiErr.RetryAfter < time.Second {
		t.Errorf("Retry-After = %v, want at least 1 s", apiErr.RetryAfter)
	}
}

func TestFullFleetAnswersNoCapacity(t *testing.T) {
	a := startAllocator(t, oneServer...)
	first, second := a.match(t, a.guest(t)), a.match(t, a.guest(t))
	if first.GameServer != second.GameServer {
		t.Fatalf("two players on %s and %s, but the fleet has one server", first.GameServer, second.GameServer)
	}
	m, err := a.API.Match(t.Context(), a.guest(t).GuestToken, 0)
	noCapacity(t, m, err)
	s, err := a.scrape(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.atLeast(1, "leapfrog_allocator_allocations_total", "result", "no_capacity"); err != nil {
		t.Error(err)
	}
}

// TestSamePlayerAskingTwiceGetsOneSlot, on a fleet of one server of one
// race and on one high-density server of two races: a second place for the
// same player would leave one place short for the last player.
func TestSamePlayerAskingTwiceGetsOneSlot(t *testing.T) {
	for _, tc := range []struct {
		name   string
		flags  []string
		places int
	}{
		{"one race per server", oneServer, 2},
		{"high density", []string{"--local-races-per-server", "2", "--local-max", "1", "--local-buffer", "1", "--local-min", "1"}, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := startAllocator(t, tc.flags...)
			p := a.guest(t)
			first, again := a.match(t, p), a.match(t, p)
			if again.GameServer != first.GameServer || again.Port != first.Port || again.WSURL != first.WSURL {
				t.Fatalf("asked twice, got %s %s:%d then %s %s:%d", first.GameServer, first.Address, first.Port,
					again.GameServer, again.Address, again.Port)
			}
			q := a.guest(t)
			mq := a.match(t, q)
			if mq.GameServer != first.GameServer {
				t.Fatalf("the second player got %s, want the place left on %s", mq.GameServer, first.GameServer)
			}
			for range tc.places - 2 {
				if m := a.match(t, a.guest(t)); m.GameServer != first.GameServer {
					t.Fatalf("a player got %s, want a place left on %s", m.GameServer, first.GameServer)
				}
			}
			m, err := a.API.Match(t.Context(), a.guest(t).GuestToken, 0)
			noCapacity(t, m, err)

			players := []playtest.Player{
				playtest.Join(t, again.WSURL, p.PlayerID, again.PlayerSessionToken),
				playtest.Join(t, mq.WSURL, q.PlayerID, mq.PlayerSessionToken),
			}
			playtest.CheckOneWinner(t, players, playtest.Race(t, players...))
		})
	}
}

func TestNoShowsPlaceGoesToTheNextPlayer(t *testing.T) {
	// 2 s of no-show timeout leave B, who does connect, ample time to on a
	// loaded machine.
	a := startAllocator(t, append(oneServer, "--no-show-timeout", "2s")...)
	ga, gb, gc := a.guest(t), a.guest(t), a.guest(t)
	ma := a.match(t, ga) // A never connects.
	mb := a.match(t, gb)
	if mb.GameServer != ma.GameServer {
		t.Fatalf("B got %s, want the place next to A on %s", mb.GameServer, ma.GameServer)
	}
	pb := playtest.Join(t, mb.WSURL, gb.PlayerID, mb.PlayerSessionToken)

	// C waits, as Retry-After says, until A's place is given back.
	var mc client.Match
	poll(t, "a place for C", func() error {
		m, err := a.API.Match(t.Context(), gc.GuestToken, 0)
		if err == nil {
			mc = m
			return nil
		}
		after, ok := client.RetryAfter(err)
		if !ok {
			t.Fatalf("match for C: %v", err)
		}
		select {
		case <-time.After(after):
		case <-t.Context().Done():
		}
		return err
	})
	if mc.GameServer != ma.GameServer {
		t.Fatalf("C got %s, want A's place on %s", mc.GameServer, ma.GameServer)
	}
	pc := playtest.Join(t, mc.WSURL, gc.PlayerID, mc.PlayerSessionToken)

	s, err := a.scrape(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.atLeast(1, "leapfrog_realtime_no_shows_total"); err != nil {
		t.Error(err)
	}
	// A comes too late: both places are taken.
	if got, want := playtest.Refuse(t, ma.WSURL, ma.PlayerSessionToken), (playtest.Refusal{Code: realtimev1.Error_CODE_SESSION_FULL, Close: 4004}); got != want {
		t.Errorf("A refused with %s and close %d, want %s and close %d", got.Code, got.Close, want.Code, want.Close)
	}
	players := []playtest.Player{pb, pc}
	playtest.CheckOneWinner(t, players, playtest.Race(t, players...))
}
