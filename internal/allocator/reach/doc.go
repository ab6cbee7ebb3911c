// Package reach tells whether a game server can still be reached, by dialing its port: the allocator's own
// check of a server that players say they lost, faster than Agones' health threshold.
package reach
