package api

import (
	"fmt"
	"net"
	"net/http"

	"github.com/leapfrog-games/leapfrog/contract/matchapi"
)

// guest handles POST /v1/guest: a new signed guest identity.
func (s *Service) guest(w http.ResponseWriter, r *http.Request) error {
	client := clientAddress(r)
	if ok, after := s.guestLimit.Allow(client, s.now()); !ok {
		return withRetryAfter(fmt.Errorf("%w: too many guest identities from %s", errRateLimited, client), after)
	}
	if err := decodeBody(w, r, &matchapi.GuestRequest{}); err != nil {
		return err
	}
	raw, g, err := s.issuer.MintGuest(s.guestTTL)
	if err != nil {
		return fmt.Errorf("mint guest identity: %w", err)
	}
	s.logger.DebugContext(r.Context(), "guest identity issued", "player", g.PlayerID, "client", client)
	writeJSON(w, http.StatusCreated, matchapi.Guest{PlayerID: g.PlayerID, GuestToken: raw, ExpiresAt: g.ExpiresAt.UTC()})
	return nil
}

// clientAddress is the peer's IP address. Forwarded headers are ignored on
// purpose: anyone can write them, and a rate limit keyed on them limits no one.
func clientAddress(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
