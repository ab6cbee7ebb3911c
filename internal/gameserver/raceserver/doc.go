// Package raceserver assembles the Mega Frog Race game server: flags, keys,
// metrics and admin endpoints around a host running race games.
package raceserver
