package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/leapfrog-games/leapfrog/contract/matchapi"
)

// Sentinel errors for the allocator's expected refusals; an *APIError wraps
// one of them when the status code says so.
var (
	// ErrUnauthenticated: the guest token is missing, invalid or expired; get
	// a new guest identity.
	ErrUnauthenticated = errors.New("unauthenticated")
	// ErrRateLimited: too many requests; retry after APIError.RetryAfter.
	ErrRateLimited = errors.New("rate limited")
	// ErrNoCapacity: no game server has room; retry after APIError.RetryAfter.
	ErrNoCapacity = errors.New("no capacity")
	// ErrBadRequest: the allocator refused the request body.
	ErrBadRequest = errors.New("bad request")
)

// maxResponseBytes bounds what is read of an allocator response.
const maxResponseBytes = 64 << 10

// APIError is an error answer of the allocator.
type APIError struct {
	StatusCode int
	// Code and Message come from the {"error":{"code","message"}} body; Code
	// is empty when the body was not the allocator's (a proxy's error page).
	Code    matchapi.ErrorCode
	Message string
	// RetryAfter is the Retry-After header, zero when absent.
	RetryAfter time.Duration
}

func (e *APIError) Error() string {
	if e.Code == "" {
		return fmt.Sprintf("allocator: HTTP %d: %s", e.StatusCode, e.Message)
	}
	return fmt.Sprintf("allocator: HTTP %d %s: %s", e.StatusCode, e.Code, e.Message)
}

// Unwrap gives the sentinel error of the status code, if any.
func (e *APIError) Unwrap() error {
	switch e.StatusCode {
	case http.StatusUnauthorized:
		return ErrUnauthenticated
	case http.StatusTooManyRequests:
		return ErrRateLimited
	case http.StatusServiceUnavailable:
		return ErrNoCapacity
	case http.StatusBadRequest:
		return ErrBadRequest
	default:
		return nil
	}
}

// RetryAfter returns how long to wait before retrying after err, and whether
// err is one worth retrying (rate limited, or no capacity; or a game server
// too busy to upgrade the connection, which gives no wait: zero).
func RetryAfter(err error) (time.Duration, bool) {
	if h, ok := errors.AsType[*HandshakeError](err); ok {
		return 0, h.Busy()
	}
	e, ok := errors.AsType[*APIError](err)
	if !ok || (e.StatusCode != http.StatusTooManyRequests && e.StatusCode != http.StatusServiceUnavailable) {
		return 0, false
	}
	return e.RetryAfter, true
}

// Guest is a guest identity.
type Guest = matchapi.Guest

// Match is a place on a game server and the tokens to log in with.
type Match = matchapi.Match

// Seat is one player of a multi-seat match.
type Seat = matchapi.Seat

// Client talks to the allocator's HTTP API. It is safe for concurrent use.
type Client struct {
	base *url.URL
	hc   *http.Client
}

// New returns a client of the allocator at baseURL (for example
// http://127.0.0.1:8080). hc may be nil for a client with a 30 s timeout.
func New(baseURL string, hc *http.Client) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, fmt.Errorf("allocator URL %q: %w", baseURL, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("allocator URL %q: want http(s)://host[:port]", baseURL)
	}
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	return &Client{base: u, hc: hc}, nil
}

// Guest gets a new guest identity.
func (c *Client) Guest(ctx context.Context) (Guest, error) {
	var g Guest
	err := c.post(ctx, matchapi.GuestPath, "", matchapi.GuestRequest{}, http.StatusCreated, &g)
	return g, err
}

// Match asks for a place in a race for the guest; seats > 1 asks for that
// many players on this device (living-room play), 0 or 1 for one.
func (c *Client) Match(ctx context.Context, guestToken string, seats int) (Match, error) {
	var body matchapi.MatchRequest
	if seats > 1 {
		body.Seats = &seats
	}
	var m Match
	err := c.post(ctx, matchapi.MatchPath, guestToken, body, http.StatusOK, &m)
	return m, err
}

func (c *Client) post(ctx context.Context, path, bearer string, in any, want int, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("encode %s request: %w", path, err)
	}
	u := *c.base
	u.Path += path
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("POST %s: %w", path, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("POST %s: %w", path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return fmt.Errorf("POST %s: read response: %w", path, err)
	}
	if resp.StatusCode != want {
		return apiError(resp, data)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("POST %s: decode response: %w", path, err)
	}
	return nil
}

func apiError(resp *http.Response, data []byte) *APIError {
	e := &APIError{StatusCode: resp.StatusCode}
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s >= 0 {
		e.RetryAfter = time.Duration(s) * time.Second
	}
	var body matchapi.ErrorAnswer
	if json.Unmarshal(data, &body) == nil && body.Error.Code != "" {
		e.Code, e.Message = body.Error.Code, body.Error.Message
		return e
	}
	e.Message = http.StatusText(resp.StatusCode)
	return e
}
