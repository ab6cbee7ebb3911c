// Package realtimetest drives a realtime game session with a fake clock and in-memory connections, for testing games without network or sleeps.
package realtimetest
