// Package match is the machinery every match-based game shares, embedded in
// a realtime.Game: a lobby that fills its seats, a countdown, reconnect
// grace with forfeits, lobby, match and idle timeouts, and the outcome.
package match
