// Package realtime is a small realtime game-server framework: a game implements
// Game, and the framework gives it authenticated players, groups, op-coded
// protobuf messages over WebSocket, a fixed-tick loop owned by one goroutine,
// timers and player-session reservations, in the spirit of GameLift Realtime.
package realtime
