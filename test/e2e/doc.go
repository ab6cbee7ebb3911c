// Package e2e tests the allocator binary in local mode end to end, over real
// HTTP and WebSocket connections on loopback.
package e2e
