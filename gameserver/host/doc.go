// Package host runs a realtime game on the Agones lifecycle: health pings,
// Ready, a session per allocation (or, on a server of many matches, a session
// per match under an allocator's lease), player reservations from the
// GameServer's lists, then Shutdown (or Ready again) and a clean drain on SIGTERM.
package host
