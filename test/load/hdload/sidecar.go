package hdload

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/leapfrog-games/leapfrog/contract/agoneswire"
	"github.com/leapfrog-games/leapfrog/gameserver/agonessdk"
	"github.com/leapfrog-games/leapfrog/gameserver/agonessdk/sdktest"
)

// SidecarOptions describe the GameServer a sidecar process stands in for.
type SidecarOptions struct {
	Name  string
	Port  int // the game server's player port
	Races int // the races list's capacity
}

// sidecarLeased is what ServeSidecar prints once the server is leased.
const sidecarLeased = "leased"

// The lease as the allocator keeps it: renewed every leaseRenew
// (docs/high-density.md), well within the server's lease TTL.
const (
	lesseeName = "hd-load"
	leaseRenew = 5 * time.Second
)

// ServeSidecar is the Agones side of a high-density race server in a
// process of its own, as the SDK sidecar is one: an agonessdk.Memory behind
// sdktest.Sidecar on ln. Once the race server has called Ready it leases
// the server as an allocator does (the lessee label and the renewal
// annotation), prints "leased" to out, and renews the lease every 5 s
// until ctx ends.
func ServeSidecar(ctx context.Context, ln net.Listener, opts SidecarOptions, out io.Writer, log *slog.Logger) error {
	if opts.Name == "" || opts.Port < 1 || opts.Port > 65535 || opts.Races < 2 {
		return fmt.Errorf("sidecar for %q, port %d, %d races: want a name, a port and at least 2 races", opts.Name, opts.Port, opts.Races)
	}
	mem := agonessdk.NewMemory(agonessdk.MemoryConfig{
		Name: opts.Name, Address: "127.0.0.1", Ports: []agonessdk.Port{{Name: "default", Port: int32(opts.Port)}},
		Lists: map[string]agonessdk.List{
			agoneswire.MatchesList: {Capacity: agonessdk.Int64(opts.Races)},
			agoneswire.PlayersList: {Capacity: 2},
		},
	})
	srv := &http.Server{Handler: sdktest.NewSidecar(mem), ReadHeaderTimeout: 5 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	defer srv.Close()

	stamp := func() string { return time.Now().UTC().Format(time.RFC3339Nano) }
	poll := time.NewTicker(20 * time.Millisecond)
	defer poll.Stop()
	for mem.Snapshot().Status.State != agoneswire.StateReady {
		select {
		case <-ctx.Done():
			return nil
		case err := <-served:
			return err
		case <-poll.C:
		}
	}
	_, err := mem.AllocateWith(agonessdk.Allocation{
		Labels:      map[string]string{agoneswire.LesseeLabel: lesseeName},
		Annotations: map[string]string{agoneswire.LeaseRenewedAnnotation: stamp()},
	})
	if err != nil {
		return fmt.Errorf("lease the race server: %w", err)
	}
	fmt.Fprintln(out, sidecarLeased)
	renew := time.NewTicker(leaseRenew)
	defer renew.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-served:
			if errors.Is(err, http.ErrServerClosed) {
				return nil
			}
			return err
		case <-renew.C:
			if err := mem.PatchMetadata(nil, map[string]string{agoneswire.LeaseRenewedAnnotation: stamp()}); err != nil {
				log.Warn("renew the lease", "err", err)
			}
		}
	}
}
