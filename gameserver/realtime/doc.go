// Package realtime is a small realtime game-server framework: a game implements
// Game, and the framework gives it authenticated players, groups, op-coded
// protobuf messages over WebSocket, a loop owned by one goroutine that ticks
// at a fixed rate (or, for a Sleeper game, only when the game, its timers or
// its deadlines need it), timers and player-session reservations, in the
// spirit of GameLift Realtime.
package realtime
