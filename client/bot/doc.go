// Package bot plays Mega Frog Race through the client package: pairs of bots
// take guest identities, get matched, race at a human-like pace and report
// latencies, for load runs, smoke tests and end-to-end tests.
package bot
