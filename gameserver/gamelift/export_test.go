package gamelift

import (
	"bytes"
	"testing"
)

// PanicOnDatagram makes every fast channel panic on a datagram that starts
// with prefix, until t ends. Call it before starting the server.
func PanicOnDatagram(t testing.TB, prefix []byte) {
	hook := func(b []byte) {
		if bytes.HasPrefix(b, prefix) {
			panic("injected by the test")
		}
	}
	datagramHook.Store(&hook)
	t.Cleanup(func() { datagramHook.Store(nil) })
}
