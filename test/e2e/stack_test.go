package e2e

import (
	"crypto/rand"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/leapfrog-games/leapfrog/test/internal/playtest"

	"github.com/leapfrog-games/leapfrog/client"
	"github.com/leapfrog-games/leapfrog/client/bot"
	realtimev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/realtime/v1"
	"github.com/leapfrog-games/leapfrog/contract/token"
)

// TestLocalStack plays on one allocator, step by step: each subtest leaves
// no player waiting, so that the next one's matches pair as expected, and the
// last one reads the metrics of everything before it.
func TestLocalStack(t *testing.T) {
	a := startAllocator(t)

	t.Run("two players race to the same winner", func(t *testing.T) {
		ga, gb := a.guest(t), a.guest(t)
		ma, mb := a.match(t, ga), a.match(t, gb)
		if ma.GameServer != mb.GameServer || ma.WSURL != mb.WSURL {
			t.Fatalf("paired on %s (%s) and %s (%s), want one game server", ma.GameServer, ma.WSURL, mb.GameServer, mb.WSURL)
		}
		players := []playtest.Player{
			playtest.Join(t, ma.WSURL, ma.PlayerID, ma.PlayerSessionToken),
			playtest.Join(t, mb.WSURL, mb.PlayerID, mb.PlayerSessionToken),
		}
		playtest.CheckOneWinner(t, players, playtest.Race(t, players...))
	})

	t.Run("bots finish their races", func(t *testing.T) {
		sum, err := bot.Run(t.Context(), bot.Config{
			Allocator: a.URL, Races: 2, Concurrency: 1,
			HopDelay: 20 * time.Millisecond, HopJitter: 10 * time.Millisecond,
			RaceTimeout: waitFor, HTTPClient: loopback, Dial: playtest.DialOptions, Seed: 1,
		})
		if err != nil {
			t.Fatal(err)
		}
		if !sum.OK() {
			t.Fatalf("%s\n%s", sum, sum.FailureReport())
		}
	})

	t.Run("guest tokens are checked", func(t *testing.T) {
		g := a.guest(t)
		forged := forgedIssuer(t)
		forgedGuest, _, err := forged.MintGuest(time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		expiredGuest, _, err := expiredIssuer(t, a).MintGuest(time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		// A player session token is signed with the right key but is not a
		// guest identity.
		session, _, err := a.Tokens.MintPlayerSession(g.PlayerID, "leapfrog-race-any", time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name   string
			token  string
			seats  int
			status int
			code   string
		}{
			// Three seats are one too many: a token that passes gets 400,
			// and nothing is allocated.
			{"genuine", g.GuestToken, 3, http.StatusBadRequest, "bad_request"},
			{"minted by the test with the allocator's key", mintGuest(t, a.Tokens), 3, http.StatusBadRequest, "bad_request"},
			{"missing", "", 1, http.StatusUnauthorized, "unauthenticated"},
			{"forged", forgedGuest, 1, http.StatusUnauthorized, "unauthenticated"},
			{"expired", expiredGuest, 1, http.StatusUnauthorized, "unauthenticated"},
			{"player session token", session, 1, http.StatusUnauthorized, "unauthenticated"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				m, err := a.API.Match(t.Context(), tt.token, tt.seats)
				apiErr, ok := errors.AsType[*client.APIError](err)
				if !ok {
					t.Fatalf("match = %+v, %v; want HTTP %d", m, err, tt.status)
				}
				if apiErr.StatusCode != tt.status || string(apiErr.Code) != tt.code {
					t.Errorf("match: HTTP %d %q (%s), want %d %q", apiErr.StatusCode, apiErr.Code, apiErr.Message, tt.status, tt.code)
				}
			})
		}
	})

	t.Run("player session tokens are checked", func(t *testing.T) {
		// Two seats on one device: both places of one race server are ours,
		// so no other subtest's player can join it.
		g := a.guest(t)
		m, err := a.API.Match(t.Context(), g.GuestToken, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Seats) != 2 || m.Seats[0].PlayerID != m.PlayerID {
			t.Fatalf("seats %+v, want two with %s first", m.Seats, m.PlayerID)
		}
		forged, _, err := forgedIssuer(t).MintPlayerSession(m.PlayerID, m.GameServer, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		expired, _, err := expiredIssuer(t, a).MintPlayerSession(m.PlayerID, m.GameServer, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		otherServer, _, err := a.Tokens.MintPlayerSession(m.PlayerID, m.GameServer+"-other", time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name  string
			token string
			want  playtest.Refusal
		}{
			{"forged", forged, playtest.Refusal{Code: realtimev1.Error_CODE_BAD_TOKEN, Close: 4001}},
			{"expired", expired, playtest.Refusal{Code: realtimev1.Error_CODE_EXPIRED_TOKEN, Close: 4002}},
			{"for another game server", otherServer, playtest.Refusal{Code: realtimev1.Error_CODE_WRONG_SERVER, Close: 4003}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if got := playtest.Refuse(t, m.WSURL, tt.token); got != tt.want {
					t.Errorf("refused with %s and close %d, want %s and close %d", got.Code, got.Close, tt.want.Code, tt.want.Close)
				}
			})
		}
		// The genuine tokens still work, to the end of a race.
		players := []playtest.Player{
			playtest.Join(t, m.WSURL, m.Seats[0].PlayerID, m.Seats[0].PlayerSessionToken),
			playtest.Join(t, m.WSURL, m.Seats[1].PlayerID, m.Seats[1].PlayerSessionToken),
		}
		playtest.CheckOneWinner(t, players, playtest.Race(t, players...))
	})

	t.Run("metrics show the races", func(t *testing.T) {
		checks := [][]string{
			{"leapfrog_allocator_allocations_total", "result", "created"},
			{"leapfrog_allocator_allocations_total", "result", "joined"},
			{"leapfrog_realtime_sessions_ended_total", "outcome", "finished"},
			{"leapfrog_local_fleet_free_races"},
			{"leapfrog_realtime_connection_rejections_total", "reason", "bad_token"},
			{"leapfrog_realtime_connection_rejections_total", "reason", "expired_token"},
			{"leapfrog_realtime_connection_rejections_total", "reason", "wrong_server"},
		}
		// Sessions are counted as they end, just after the players are let
		// go, and the fleet refills its buffer on its own time.
		poll(t, "metrics", func() error {
			s, err := a.scrape(t.Context())
			if err != nil {
				return err
			}
			var errs []error
			for _, c := range checks {
				errs = append(errs, s.atLeast(1, c[0], c[1:]...))
			}
			return errors.Join(errs...)
		})
		if s, err := a.scrape(t.Context()); err != nil {
			t.Error(err)
		} else if _, ok := s.value("leapfrog_local_fleet_allocated_servers"); !ok {
			t.Error("leapfrog_local_fleet_allocated_servers is missing")
		}
	})
}

// forgedIssuer signs with the allocator's key id but a secret of its own.
func forgedIssuer(t *testing.T) *token.Issuer {
	t.Helper()
	key := token.Key{ID: keyID, Secret: make([]byte, token.MinSecretBytes)}
	_, _ = rand.Read(key.Secret)
	ks, err := token.NewKeyset(key.ID, key)
	if err != nil {
		t.Fatal(err)
	}
	return token.NewIssuer(ks, nil)
}

// expiredIssuer signs with the allocator's key on a clock an hour behind:
// its tokens expired long before now, well beyond any leeway for clock skew.
func expiredIssuer(t *testing.T, a *allocator) *token.Issuer {
	t.Helper()
	ks, err := token.NewKeyset(a.Key.ID, a.Key)
	if err != nil {
		t.Fatal(err)
	}
	return token.NewIssuer(ks, func() time.Time { return time.Now().Add(-time.Hour) })
}

func mintGuest(t *testing.T, tokens *token.Issuer) string {
	t.Helper()
	raw, _, err := tokens.MintGuest(time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}
