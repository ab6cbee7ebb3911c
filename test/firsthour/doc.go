// Command firsthour measures a studio's first hour with a GameLift Realtime
// script on Leapfrog: how long a command that starts the allocator with a
// script (make run SCRIPT=..., or the built binary) takes from its start to
// the script's first callbacks, to the first successful POST /v1/match, and
// from a race's first player to the script's onStartGameSession. See
// docs/first-hour.md for the commands and the figures.
package main
