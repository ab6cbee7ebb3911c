// Package conncount counts a server's open connections per client address
// and in all, where a connection a trusted relay (the edge) vouches for
// counts against the client address the relay names, not the relay's own.
// The allocator, the local fleet, the game servers and the edge all count
// their connections with it.
package conncount
