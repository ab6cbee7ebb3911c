// Package app runs the allocator process: it loads keys, builds the backend
// (the embedded local fleet or Agones through a controller-runtime manager)
// and serves the HTTP API until the context ends.
package app
