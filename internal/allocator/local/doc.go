// Package local is an embedded fleet of real game servers in one process, with
// Agones' semantics (high-density servers leased and placed on in memory, or
// one match per server with a warm Ready buffer), for running Leapfrog on one
// machine without Kubernetes.
package local
