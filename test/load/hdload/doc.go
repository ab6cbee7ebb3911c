// Package hdload drives one high-density race server, and a bare gorilla
// WebSocket relay the same way, with pairs of players hopping at a steady pace
// or as fast as they can, and measures hop to opponent, races held, errors and
// the server's memory.
package hdload
