package api

import (
	"net/http"
	"testing"

	"github.com/leapfrog-games/leapfrog/allocator/backend"
)

// TestMatchAnswersLikeCreatePlayerSession: the match carries the fields a
// GameLift Realtime client reads from a player session.
func TestMatchAnswersLikeCreatePlayerSession(t *testing.T) {
	tests := []struct {
		name, address, ip, dns string
	}{
		{"ip address", "10.1.2.3", "10.1.2.3", ""},
		{"ipv6 address", "::1", "::1", ""},
		{"host name", "race.example.com", "", "race.example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, nil)
			f.backend.result = &backend.Assignment{GameServer: "race-7", Address: tt.address, Port: 7007}
			g := f.guest(t)
			r := f.do(t, http.MethodPost, "/v1/match", "Bearer "+g.GuestToken, "{}")
			if r.status != http.StatusOK {
				t.Fatalf("match: %d %s", r.status, r.body)
			}
			var m matchResponse
			decodeStrict(t, r.body, &m)
			if m.IPAddress != tt.ip || m.DNSName != tt.dns || m.Port != 7007 || m.GameSessionID != "race-7" ||
				m.PlayerSessionID == "" || m.PlayerSessionID != m.PlayerSessionToken {
				t.Errorf("match = %+v", m)
			}
		})
	}
}
