// Package agonessdk talks to the Agones SDK sidecar over its REST API, and
// provides an in-memory stand-in with the same semantics for local fleets and tests.
package agonessdk
