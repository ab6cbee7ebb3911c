// Package local is an embedded fleet of real race servers in one process, with
// Agones' semantics (warm Ready buffer, player slots from the players list,
// reservations that expire, replacement after shutdown), for running Leapfrog
// on one machine without Kubernetes.
package local
