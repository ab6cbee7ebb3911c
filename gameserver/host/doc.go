// Package host runs a realtime game on the Agones lifecycle: health pings,
// Ready, a session per allocation, player reservations from the GameServer's
// players list, then Shutdown (or Ready again) and a clean drain on SIGTERM.
package host
