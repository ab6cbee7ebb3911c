// Package conncount counts a server's open connections per client address
// and in all, where a connection a trusted relay (the edge) vouches for
// counts against the client address the relay names, not the relay's own.
package conncount
