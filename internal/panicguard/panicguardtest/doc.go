// Package panicguardtest lets a test wait for the panics a panicguard.Guard
// logs, as a user reading the logs would see them.
package panicguardtest
