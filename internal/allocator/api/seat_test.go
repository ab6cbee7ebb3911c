package api

import (
	"net/http"
	"testing"
	"time"

	"github.com/leapfrog-games/leapfrog/contract/matchapi"
	"github.com/leapfrog-games/leapfrog/internal/allocator/backend"
)

// A seat's token expires with the seat's hold, which runs from when the
// backend seated the player, not from the mint: a request slowed (or a
// process paused) between the two cannot leave a token accepted after the
// seat is given to another player. The match's start deadline travels in
// every token of the match.
func TestSeatTokenExpiresWithTheSeatHold(t *testing.T) {
	tests := []struct {
		name       string
		seatedAgo  time.Duration // before the mint
		wantStatus int
	}{
		{"seated now", 0, http.StatusOK},
		{"seated 20 s before the mint", 20 * time.Second, http.StatusOK},
		{"held past the token lifetime", time.Minute, http.StatusServiceUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, nil) // tokens of a minute
			now := f.clock.Now()
			startBy := now.Add(45 * time.Second)
			f.backend.result = &backend.Assignment{GameServer: "race-7", Address: "10.0.0.7", Port: 7007, Match: "r-1",
				MatchStartBy: startBy, SeatedAt: now.Add(-tt.seatedAgo)}
			g := f.guest(t)
			r := f.do(t, http.MethodPost, "/v1/match", "Bearer "+g.GuestToken, `{"seats": 2}`)
			if r.status != tt.wantStatus {
				t.Fatalf("match: %d %s, want %d", r.status, r.body, tt.wantStatus)
			}
			if r.status != http.StatusOK {
				return
			}
			var m matchapi.Match
			decodeStrict(t, r.body, &m)
			if len(m.Seats) != 2 {
				t.Fatalf("seats %+v, want 2", m.Seats)
			}
			wantExp := now.Add(-tt.seatedAgo + time.Minute).Truncate(time.Second)
			for _, s := range m.Seats {
				ps, err := f.issuer.VerifyPlayerSession(s.PlayerSessionToken, "race-7")
				if err != nil {
					t.Fatal(err)
				}
				if !ps.ExpiresAt.Equal(wantExp) || !ps.MatchStartBy.Equal(startBy.Truncate(time.Second)) {
					t.Errorf("%s: expires %v, starts by %v; want %v and %v", s.PlayerID, ps.ExpiresAt, ps.MatchStartBy, wantExp, startBy)
				}
			}
		})
	}
}
