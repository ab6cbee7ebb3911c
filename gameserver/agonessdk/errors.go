package agonessdk

import (
	"errors"
	"fmt"
	"strings"
)

// Outcomes a caller acts on. Errors from *Client and *Memory wrap them, so
// errors.Is works on both; from the Client they come wrapped in an *APIError.
var (
	// ErrNotFound: the list, counter or list value does not exist.
	ErrNotFound = errors.New("not found")
	// ErrAlreadyExists: the value is already in the list.
	ErrAlreadyExists = errors.New("already exists")
	// ErrNoCapacity: the list is full.
	ErrNoCapacity = errors.New("no available capacity")
	// ErrOutOfRange: a counter's count or capacity, or a list's capacity,
	// would leave its allowed range.
	ErrOutOfRange = errors.New("out of range")
	// ErrInvalidArgument: the sidecar rejected the request as malformed, for
	// example a label key that is not a Kubernetes qualified name.
	ErrInvalidArgument = errors.New("invalid argument")
	// ErrNotAllocatable: the game server is neither Ready nor Allocated, so an
	// allocation cannot pick it (returned by Memory.ClusterAllocate).
	ErrNotAllocatable = errors.New("game server is neither Ready nor Allocated")
)

// gRPC status codes that the sidecar's JSON error bodies carry. Most SDK
// errors come as 2 (Unknown); 14 (Unavailable, HTTP 503) is retried by send.
const (
	codeInvalidArgument = 3
	codeNotFound        = 5
	codeAlreadyExists   = 6
	codeOutOfRange      = 11
)

// APIError is an error answer of the sidecar: an HTTP status and, when the
// body is the gateway's JSON error, its gRPC code and message. Unwrap gives
// the sentinel the message stands for, if any.
type APIError struct {
	StatusCode int    // HTTP status code
	Code       int    // gRPC status code; 0 if the body was not a JSON error
	Message    string // the sidecar's message, or the body's text
}

func (e *APIError) Error() string {
	if e.Code != 0 {
		return fmt.Sprintf("agones sdk: http %d, code %d: %s", e.StatusCode, e.Code, e.Message)
	}
	if e.Message != "" {
		return fmt.Sprintf("agones sdk: http %d: %s", e.StatusCode, e.Message)
	}
	return fmt.Sprintf("agones sdk: http %d", e.StatusCode)
}

// Unwrap returns the sentinel error that the answer stands for, or nil.
func (e *APIError) Unwrap() error {
	return classify(e.Code, e.Message)
}

// classify maps an Agones error to a sentinel. Most SDK errors reach us as
// code 2 (Unknown) with only the message telling them apart, so the message
// decides; the in-cluster and local sidecars word them differently
// ("list not found: x", "not found. x List not found",
// "not found: value v not in list x").
func classify(code int, msg string) error {
	m := strings.ToLower(msg)
	switch {
	case strings.Contains(m, "no available capacity"):
		return ErrNoCapacity
	case strings.HasPrefix(m, "already exists") || code == codeAlreadyExists:
		return ErrAlreadyExists
	case strings.Contains(m, "not found") || code == codeNotFound:
		return ErrNotFound
	case strings.HasPrefix(m, "out of range") || code == codeOutOfRange:
		return ErrOutOfRange
	case strings.HasPrefix(m, "invalid argument") || code == codeInvalidArgument:
		return ErrInvalidArgument
	}
	return nil
}

// sdkError is an error of Memory: Error() is the message the real sidecar
// gives for the same outcome, and it wraps the matching sentinel.
type sdkError struct {
	kind error
	msg  string
}

func (e *sdkError) Error() string { return e.msg }
func (e *sdkError) Unwrap() error { return e.kind }

func newSDKError(kind error, format string, args ...any) error {
	return &sdkError{kind: kind, msg: fmt.Sprintf(format, args...)}
}
