// Package backend is the contract between the allocator's HTTP API and the
// fleets that place players on game servers (Agones, or the embedded local fleet).
package backend
