package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/leapfrog-games/leapfrog/contract/matchapi"
	"github.com/leapfrog-games/leapfrog/contract/token"
)

// serveFrom answers one request as if it came from the client address ip.
func (f *fixture) serveFrom(t *testing.T, ip, path, auth, body string) response {
	t.Helper()
	req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, path, strings.NewReader(body))
	req.RemoteAddr = ip + ":40000"
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	rec := httptest.NewRecorder()
	f.svc.ServeHTTP(rec, req)
	return response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

func (f *fixture) guestFrom(t *testing.T, ip string) matchapi.Guest {
	t.Helper()
	r := f.serveFrom(t, ip, "/v1/guest", "", "")
	if r.status != http.StatusCreated {
		t.Fatalf("guest from %s: %d %s", ip, r.status, r.body)
	}
	var g matchapi.Guest
	decodeStrict(t, r.body, &g)
	return g
}

// TestPlacesPerClientAddress is the hoarding attack: many guests from one
// address each ask for a place and never connect. The address gets its cap
// and no more, a player elsewhere still gets a place, and the cap lifts as
// the held places expire.
func TestPlacesPerClientAddress(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.MaxPlacesPerIP, c.PlaceHold = 4, time.Minute })
	const attacker, player = "192.0.2.66", "198.51.100.7"
	var hoarders []matchapi.Guest
	for range 16 {
		hoarders = append(hoarders, f.guestFrom(t, attacker))
	}
	granted := 0
	for round := range 3 { // each guest asks every second, as in the attack
		for i, g := range hoarders {
			r := f.serveFrom(t, attacker, "/v1/match", "Bearer "+g.GuestToken, "{}")
			switch {
			case r.status == http.StatusOK:
				if round == 0 {
					granted++
				}
				if i >= 4 {
					t.Fatalf("round %d: hoarder %d got a place over the cap of 4", round, i)
				}
			case r.status == http.StatusTooManyRequests:
				if code := errorCode(t, r); code != matchapi.CodeRateLimited {
					t.Fatalf("hoarder %d: code %q", i, code)
				}
				if ra := r.header.Get("Retry-After"); ra == "" || ra == "0" {
					t.Fatalf("hoarder %d: Retry-After %q", i, ra)
				}
			default:
				t.Fatalf("hoarder %d: %d %s", i, r.status, r.body)
			}
		}
		f.clock.Advance(time.Second)
	}
	if granted != 4 {
		t.Fatalf("the attacker's address got %d places, want 4", granted)
	}
	if n := len(f.backend.recorded()); n != 4*3 {
		t.Errorf("backend asked %d times, want 12 (the four holders asking again for their own places)", n)
	}
	g := f.guestFrom(t, player)
	if r := f.serveFrom(t, player, "/v1/match", "Bearer "+g.GuestToken, "{}"); r.status != http.StatusOK {
		t.Fatalf("a player from another address: %d %s", r.status, r.body)
	}
	if got := counter(t, f, "leapfrog_allocator_places_refused_total"); got != 12*3 {
		t.Errorf("places refused = %v, want 36", got)
	}

	// Renewal keeps the holders' places; once they stop asking, their holds
	// expire and the address may be given places again.
	f.clock.Advance(time.Minute)
	r := f.serveFrom(t, attacker, "/v1/match", "Bearer "+hoarders[15].GuestToken, "{}")
	if r.status != http.StatusOK {
		t.Fatalf("after the holds expired: %d %s", r.status, r.body)
	}
}

func TestFailedAllocationHoldsNoPlace(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.MaxPlacesPerIP = 1 })
	f.backend.err = errUnexpectedForTest
	a, b := f.guestFrom(t, "192.0.2.1"), f.guestFrom(t, "192.0.2.1")
	if r := f.serveFrom(t, "192.0.2.1", "/v1/match", "Bearer "+a.GuestToken, "{}"); r.status != http.StatusInternalServerError {
		t.Fatalf("failing backend: %d", r.status)
	}
	f.backend.err = nil
	if r := f.serveFrom(t, "192.0.2.1", "/v1/match", "Bearer "+b.GuestToken, "{}"); r.status != http.StatusOK {
		t.Fatalf("a failed allocation still holds the address's only place: %d %s", r.status, r.body)
	}
}

var errUnexpectedForTest = errors.New("backend exploded")

func counter(t *testing.T, f *fixture, name string) float64 {
	t.Helper()
	mfs, err := f.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

// TestUnauthenticatedMessagesAreFixed: a 401 says what to do, never what the
// token library found wrong.
func TestUnauthenticatedMessagesAreFixed(t *testing.T) {
	f := newFixture(t, nil)
	g := f.guest(t)
	otherKeys, err := token.GenerateKeyset("other")
	if err != nil {
		t.Fatal(err)
	}
	forged, _, err := token.NewIssuer(otherKeys, nil).MintGuest(time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, auth, want string
		advance          time.Duration
	}{
		{"missing", "", "missing Authorization: Bearer <guest_token>", 0},
		{"another scheme", "Basic dXNlcjpwdw==", "authorization must be Bearer <guest_token>", 0},
		{"garbage", "Bearer not.a.jwt", "the guest token is not valid; get one from POST /v1/guest", 0},
		{"bad base64", "Bearer ###.###.###", "the guest token is not valid; get one from POST /v1/guest", 0},
		{"another key", "Bearer " + forged, "the guest token is not valid; get one from POST /v1/guest", 0},
		{"expired", "Bearer " + g.GuestToken, "the guest token has expired; get a new one from POST /v1/guest", 2 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.clock.Advance(tt.advance)
			r := f.do(t, http.MethodPost, "/v1/match", tt.auth, "{}")
			if r.status != http.StatusUnauthorized {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			var e matchapi.ErrorAnswer
			if err := json.Unmarshal(r.body, &e); err != nil {
				t.Fatal(err)
			}
			if e.Error.Message != tt.want {
				t.Errorf("message %q, want %q", e.Error.Message, tt.want)
			}
		})
	}
}
