package api

import (
	"net/http"
	"testing"

	"github.com/leapfrog-games/leapfrog/contract/matchapi"
	"github.com/leapfrog-games/leapfrog/internal/allocator/backend"
)

// TestMatchAnswersLikeCreatePlayerSession: the match carries the fields a
// GameLift Realtime client reads from a player session.
func TestMatchAnswersLikeCreatePlayerSession(t *testing.T) {
	tests := []struct {
		name, address, ip, dns string
		match, gameSession     string
	}{
		{"ip address", "10.1.2.3", "10.1.2.3", "", "", "race-7"},
		{"ipv6 address", "::1", "::1", "", "", "race-7"},
		{"host name", "race.example.com", "", "race.example.com", "", "race-7"},
		// On a server of many matches the game session is the match, as the
		// game server names it (Welcome.session_id, getGameSessionId()).
		{"one match of many", "10.1.2.3", "10.1.2.3", "", "a1-x-2", "a1-x-2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, nil)
			f.backend.result = &backend.Assignment{GameServer: "race-7", Address: tt.address, Port: 7007, Match: tt.match}
			g := f.guest(t)
			r := f.do(t, http.MethodPost, "/v1/match", "Bearer "+g.GuestToken, "{}")
			if r.status != http.StatusOK {
				t.Fatalf("match: %d %s", r.status, r.body)
			}
			var m matchapi.Match
			decodeStrict(t, r.body, &m)
			if m.IPAddress != tt.ip || m.DNSName != tt.dns || m.Port != 7007 || m.GameSessionID != tt.gameSession || m.GameServer != "race-7" ||
				m.PlayerSessionID == "" || m.PlayerSessionID != m.PlayerSessionToken {
				t.Errorf("match = %+v", m)
			}
		})
	}
}
