// Package racetest runs real Mega Frog Race servers in-process on loopback,
// with a backend that allocates them, for tests of the client and the bot.
package racetest
