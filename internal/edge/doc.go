// Package edge is a stateless WebSocket relay that lets browsers reach every match through one public
// wss:// name: it checks the player session token of the first frame, resolves the game server from a
// trusted source, dials it and relays frames both ways without decoding them.
package edge
