// Package testwait is the one polling wait of the tests: a condition that
// becomes true on another goroutine is awaited with a deadline, not a sleep.
package testwait
