// Package racetest starts the allocator's embedded local fleet of real race
// servers with fast rules, for tests of the client and the bot.
package racetest
