// Package gamelift lets clients built on the GameLift Realtime Client SDK
// play on a Leapfrog game server: a realtime.Codec for its wire protocol.
package gamelift
