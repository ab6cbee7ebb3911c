package edge

import "testing"

// PanicOnRelay makes every relay of every edge panic when it starts to
// relay a message for which panics says so, until t ends. Call it before
// starting the edge, so that it is undone after the edge stops.
func PanicOnRelay(t testing.TB, panics func(toServer bool, kind int) bool) {
	hook := func(d direction, kind int) {
		if panics(d == toServer, kind) {
			panic("injected by the test")
		}
	}
	relayHook.Store(&hook)
	t.Cleanup(func() { relayHook.Store(nil) })
}
