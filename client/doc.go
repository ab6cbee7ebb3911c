// Package client is Leapfrog's Go client: guest identities and matches from
// the allocator, and the race server's WebSocket protocol with typed events.
package client
