package buildtest

import (
	"net"
	"testing"
)

// FreeAddr is a loopback address (127.0.0.1:port) that nothing listens on
// for now: for a process under test that must be told its port, or for a
// port that must stay unanswered.
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}
