package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/leapfrog-games/leapfrog/contract/matchapi"
	"github.com/leapfrog-games/leapfrog/contract/token"
	"github.com/leapfrog-games/leapfrog/internal/allocator/backend"
)

// Sentinel errors of the HTTP layer. Handlers return them (wrapped with
// detail); writeError is the one place that maps errors to status codes.
var (
	errBadRequest       = errors.New("bad request")
	errUnauthenticated  = errors.New("unauthenticated")
	errRateLimited      = errors.New("rate limited")
	errNotFound         = errors.New("not found")
	errMethodNotAllowed = errors.New("method not allowed")
	errNoBearer         = fmt.Errorf("%w: no bearer token", errUnauthenticated)
)

// retryAfterError carries the wait a client should observe before retrying.
type retryAfterError struct {
	err   error
	after time.Duration
}

func (e *retryAfterError) Error() string { return e.err.Error() }
func (e *retryAfterError) Unwrap() error { return e.err }

func withRetryAfter(err error, after time.Duration) error {
	return &retryAfterError{err: err, after: after}
}

// Error codes of the API, as documented in docs/contracts.md.
func classify(err error) (int, matchapi.ErrorCode) {
	switch {
	case errors.Is(err, errBadRequest), errors.Is(err, backend.ErrTooManySeats):
		return http.StatusBadRequest, matchapi.CodeBadRequest
	case errors.Is(err, errUnauthenticated), errors.Is(err, token.ErrInvalid), errors.Is(err, token.ErrExpired):
		return http.StatusUnauthorized, matchapi.CodeUnauthenticated
	case errors.Is(err, errRateLimited):
		return http.StatusTooManyRequests, matchapi.CodeRateLimited
	case errors.Is(err, backend.ErrNoCapacity):
		return http.StatusServiceUnavailable, matchapi.CodeNoCapacity
	case errors.Is(err, backend.ErrUnavailable):
		return http.StatusServiceUnavailable, matchapi.CodeUnavailable
	case errors.Is(err, backend.ErrSeatsTaken):
		return http.StatusConflict, matchapi.CodeConflict
	case errors.Is(err, errNotFound):
		return http.StatusNotFound, matchapi.CodeNotFound
	case errors.Is(err, errMethodNotAllowed):
		return http.StatusMethodNotAllowed, matchapi.CodeMethodNotAllowed
	default:
		return http.StatusInternalServerError, matchapi.CodeInternal
	}
}

// writeError answers with the status and JSON error body for err. Messages of
// unexpected errors stay in the logs, not in the response.
func (s *Service) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status, code := classify(err)
	traceErrorCode(r.Context(), code)
	msg := err.Error()
	switch status {
	case http.StatusInternalServerError:
		msg = "internal error"
		if r.Context().Err() != nil {
			// The client hung up; nobody reads this answer.
			s.logger.DebugContext(r.Context(), "client went away", "route", r.Pattern, "err", err)
			break
		}
		s.logger.ErrorContext(r.Context(), "request failed", "route", r.Pattern, "err", err)
	case http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer realm="leapfrog"`)
		msg = unauthenticatedMessage(err)
		s.logger.DebugContext(r.Context(), "unauthenticated", "route", r.Pattern, "err", err)
	case http.StatusConflict:
		msg = "this player already holds a place with fewer seats and its match has no room for more; " +
			"ask again with the same seats, or wait for the place to be used or freed"
	case http.StatusServiceUnavailable:
		// The backend's detail (namespaces, fleets, API errors) is for the logs.
		msg = "no game server has room right now; retry later"
		if code == matchapi.CodeUnavailable {
			msg = "game servers cannot be reached right now; retry later"
			s.logger.WarnContext(r.Context(), "backend unavailable", "route", r.Pattern, "err", err)
		}
		fallthrough
	case http.StatusTooManyRequests:
		after := s.retryAfter
		if ra, ok := errors.AsType[*retryAfterError](err); ok {
			after = ra.after
		}
		w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds(after)))
	}
	writeJSON(w, status, matchapi.ErrorAnswer{Error: matchapi.ErrorDetail{Code: code, Message: msg}})
}

// unauthenticatedMessage is a fixed text per cause: the token library's own
// error text (parser internals, claim names) stays in the debug log.
func unauthenticatedMessage(err error) string {
	switch {
	case errors.Is(err, token.ErrExpired):
		return "the guest token has expired; get a new one from POST /v1/guest"
	case errors.Is(err, token.ErrInvalid):
		return "the guest token is not valid; get one from POST /v1/guest"
	case errors.Is(err, errNoBearer):
		return "missing Authorization: Bearer <guest_token>"
	default:
		return "authorization must be Bearer <guest_token>"
	}
}

// retryAfterSeconds rounds up to whole seconds, at least one: Retry-After has
// no finer unit and zero would invite an immediate retry.
func retryAfterSeconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	buf := bodies.Get().(*bytes.Buffer)
	defer bodies.Put(buf)
	buf.Reset()
	if err := json.NewEncoder(buf).Encode(v); err != nil { // Encode ends it with a newline
		// Only our own response types get here; they always marshal.
		panic(fmt.Sprintf("marshal response: %v", err))
	}
	// The shared values are never changed: Set and Add replace or copy them.
	h := w.Header()
	h["Content-Type"] = contentTypeJSON
	h["Cache-Control"] = noStore
	h["X-Content-Type-Options"] = noSniff
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

var (
	contentTypeJSON = []string{"application/json"}
	noStore         = []string{"no-store"}
	noSniff         = []string{"nosniff"}
)
