// Package api is the allocator's HTTP service: guest identities, matchmaking
// into game servers with player session tokens, health, readiness and metrics.
package api
