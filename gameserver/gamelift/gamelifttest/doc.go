// Package gamelifttest is a GameLift Realtime client for tests, written from
// the protocol facts of the public client SDK and behaving like it: login
// with a player session id and payload, the UDP fast channel handshake,
// fast and reliable sends with the SDK's fallbacks, groups, and received
// messages as DataReceived events.
package gamelifttest
