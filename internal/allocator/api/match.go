package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/leapfrog-games/leapfrog/contract/matchapi"
	"github.com/leapfrog-games/leapfrog/contract/token"
	"github.com/leapfrog-games/leapfrog/internal/allocator/backend"
	"github.com/leapfrog-games/leapfrog/internal/tracing"
)

// match handles POST /v1/match: a slot on a game server and a player session
// token for each seat.
func (s *Service) match(w http.ResponseWriter, r *http.Request) error {
	guest, err := s.authenticate(r)
	if err != nil {
		return err
	}
	var req matchapi.MatchRequest
	if err := decodeBody(w, r, &req); err != nil {
		return err
	}
	seats := 1
	if req.Seats != nil {
		seats = *req.Seats
	}
	if seats < 1 || seats > matchapi.MaxSeats {
		return fmt.Errorf("%w: seats must be between 1 and %d, not %d", errBadRequest, matchapi.MaxSeats, seats)
	}
	if ok, after := s.matchLimit.Allow(guest.PlayerID, s.now()); !ok {
		return withRetryAfter(fmt.Errorf("%w: too many match requests for this player", errRateLimited), after)
	}

	client, now := clientAddress(r), s.now()
	ok, after, held := s.places.Take(client, guest.PlayerID, seats, now)
	if !ok {
		s.metrics.placesRefused.Inc()
		return withRetryAfter(fmt.Errorf("%w: players from %s hold %d places, the most one address may hold; retry once a match of theirs ends",
			errRateLimited, client, s.maxPlacesPerIP), after)
	}

	playerIDs := seatPlayerIDs(guest.PlayerID, seats)
	a, err := s.allocate(r.Context(), playerIDs)
	if err != nil {
		if !held {
			s.places.Release(client, guest.PlayerID)
		}
		return err
	}
	s.places.Give(client, guest.PlayerID, seats, a, s.now())

	// A seat's hold runs from when the backend seated the player: a token
	// minted later (a slow request, a paused process) still expires with
	// the hold, so a seat given away never has a token still accepted.
	ttl := s.sessionTTL
	if !a.SeatedAt.IsZero() {
		if ttl -= s.now().Sub(a.SeatedAt); ttl < time.Second {
			return fmt.Errorf("allocate for %s: %w: the place was held too long before its token could be minted", guest.PlayerID, backend.ErrUnavailable)
		}
	}
	resp := matchapi.Match{
		GameServer: a.GameServer,
		Address:    a.Address,
		Port:       a.Port,
		WSURL:      s.matchURL(r, a),
		PlayerID:   guest.PlayerID,
	}
	_, span := tracing.Start(r.Context(), "mint tokens")
	span.SetAttributes(attrSeats.Int(seats))
	for _, id := range playerIDs {
		raw, ps, err := s.issuer.MintMatchSeat(id, a.GameServer, a.Match, a.MatchStartBy, ttl)
		if err != nil {
			tracing.End(span, err)
			return fmt.Errorf("mint player session for %s on %s: %w", id, a.GameServer, err)
		}
		if id == guest.PlayerID {
			resp.PlayerSessionToken, resp.ExpiresAt = raw, ps.ExpiresAt.UTC()
		}
		if seats > 1 {
			resp.Seats = append(resp.Seats, matchapi.Seat{PlayerID: id, PlayerSessionToken: raw})
		}
	}
	span.End()
	resp.GameLiftPlayerSession = newGameliftPlayerSession(a, resp.PlayerSessionToken)
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// allocate asks the backend for slots and records the outcome.
func (s *Service) allocate(ctx context.Context, playerIDs []string) (backend.Assignment, error) {
	ctx, cancel := context.WithTimeout(ctx, s.allocateTimeout)
	defer cancel()
	ctx, span := tracing.Start(ctx, "allocate")
	start := time.Now()
	a, err := s.backend.Allocate(ctx, backend.AllocationRequest{PlayerIDs: playerIDs})
	elapsed := time.Since(start)
	if err == nil && (a.GameServer == "" || a.Address == "" || a.Port <= 0) {
		err = fmt.Errorf("backend returned an incomplete assignment %+v", a)
	}
	var result string
	switch {
	case err == nil && a.Joined:
		result = resultJoined
	case err == nil:
		result = resultCreated
	case errors.Is(err, backend.ErrNoCapacity):
		result = resultNoCapacity
		s.logger.InfoContext(ctx, "no capacity", "player", playerIDs[0], "err", err)
	case errors.Is(err, backend.ErrUnavailable):
		result = resultUnavailable
	default:
		result = resultError
	}
	s.metrics.observeAllocation(result, elapsed)
	if span.IsRecording() {
		span.SetAttributes(attrSeats.Int(len(playerIDs)), attrResult.String(result))
		if err == nil {
			span.SetAttributes(attrServer.String(a.GameServer), attrJoined.Bool(a.Joined))
			if a.Match != "" {
				span.SetAttributes(attrMatch.String(a.Match))
			}
		}
	}
	// The backend's error, before it is wrapped with the player's id.
	tracing.End(span, err)
	if err != nil {
		return a, fmt.Errorf("allocate for %s: %w", playerIDs[0], err)
	}
	s.logger.DebugContext(ctx, "allocated", "player", playerIDs[0], "seats", len(playerIDs),
		"game_server", a.GameServer, "joined", a.Joined, "duration", elapsed)
	return a, nil
}

// authenticate verifies the guest identity in the Authorization header.
func (s *Service) authenticate(r *http.Request) (token.Guest, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return token.Guest{}, errNoBearer
	}
	scheme, raw, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(raw) == "" {
		return token.Guest{}, fmt.Errorf("%w: Authorization must be Bearer <guest_token>", errUnauthenticated)
	}
	g, err := s.issuer.VerifyGuest(strings.TrimSpace(raw))
	if err != nil {
		return token.Guest{}, fmt.Errorf("guest token: %w", err)
	}
	return g, nil
}

// seatPlayerIDs names the players of a device: the guest itself, then
// <player_id>.2 and so on.
func seatPlayerIDs(playerID string, seats int) []string {
	ids := make([]string, seats)
	ids[0] = playerID
	for i := 2; i <= seats; i++ {
		ids[i-1] = playerID + "." + strconv.Itoa(i)
	}
	return ids
}
