package sdktest

import (
	"net/http/httptest"
	"testing"

	"github.com/leapfrog-games/leapfrog/gameserver/agonessdk"
)

// Start serves a Sidecar for a new Memory made from cfg on 127.0.0.1 until
// the test ends. The server's URL is what agonessdk.NewClient takes.
func Start(t testing.TB, cfg agonessdk.MemoryConfig) (*httptest.Server, *agonessdk.Memory) {
	t.Helper()
	mem := agonessdk.NewMemory(cfg)
	srv := httptest.NewServer(NewSidecar(mem))
	t.Cleanup(func() {
		// Close waits for open requests: take no new connections and end
		// the open ones (watch streams) first.
		_ = srv.Listener.Close()
		srv.CloseClientConnections()
		srv.Close()
	})
	return srv, mem
}
