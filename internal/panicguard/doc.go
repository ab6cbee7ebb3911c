// Package panicguard recovers panics on the goroutines that run user input
// or user code, logging each with its stack and counting it, so that one bad
// message or game ends only the connection or session it was for.
package panicguard
