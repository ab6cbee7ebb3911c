// Package ratelimit limits the rate of requests per key (a client address, a
// player) in bounded memory.
package ratelimit
