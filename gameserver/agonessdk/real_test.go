package agonessdk_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/leapfrog-games/leapfrog/contract/agoneswire"
	"github.com/leapfrog-games/leapfrog/gameserver/agonessdk"
)

// TestRealSidecar drives a real Agones SDK sidecar, for example the v1.60
// sdk-server in local mode:
//
//	sdk-server --local --address 127.0.0.1 [--file gameserver.yaml]
//	LEAPFROG_REAL_SIDECAR=http://127.0.0.1:9358 go test -run TestRealSidecar -v ./gameserver/agonessdk/
//
// It needs a list named players (the local sidecar's default GameServer has
// one with capacity 100) and leaves the GameServer Shutdown.
func TestRealSidecar(t *testing.T) {
	base := os.Getenv("LEAPFROG_REAL_SIDECAR")
	if base == "" {
		t.Skip("set LEAPFROG_REAL_SIDECAR=http://127.0.0.1:9358 to run against a real Agones SDK sidecar")
	}
	c, err := agonessdk.NewClient(base)
	if err != nil {
		t.Fatal(err)
	}
	// A deadline for the whole run: a real sidecar that stops answering
	// should fail the test, not hang it.
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()

	// The watch runs throughout; states are confirmed through it.
	watched := make(chan *agonessdk.GameServer, 256)
	wctx, wcancel := context.WithCancel(ctx)
	wdone := make(chan error, 1)
	go func() {
		wdone <- c.WatchGameServer(wctx, func(gs *agonessdk.GameServer) { watched <- gs })
	}()
	defer func() {
		wcancel()
		if err := <-wdone; !errors.Is(err, context.Canceled) {
			t.Errorf("WatchGameServer returned %v", err)
		}
	}()
	first := <-watched
	t.Logf("watch: first state %q, resource_version %q", first.Status.State, first.ObjectMeta.ResourceVersion)
	waitState := func(want agoneswire.GameServerState) *agonessdk.GameServer {
		t.Helper()
		for {
			select {
			case gs := <-watched:
				t.Logf("watch: state %q", gs.Status.State)
				if gs.Status.State == want {
					return gs
				}
			case <-ctx.Done():
				t.Fatalf("watch never showed %s: %v", want, ctx.Err())
			}
		}
	}

	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}

	// Lifecycle: Ready, health, get.
	must("Ready", c.Ready(ctx))
	waitState(agoneswire.StateReady)
	for range 3 {
		must("Health", c.Health(ctx))
	}
	gs, err := c.GameServer(ctx)
	must("GameServer", err)
	if gs.Status.State != agoneswire.StateReady {
		t.Errorf("GameServer state %s, want Ready", gs.Status.State)
	}
	t.Logf("GameServer: name %q namespace %q address %q ports %+v lists %+v counters %+v",
		gs.ObjectMeta.Name, gs.ObjectMeta.Namespace, gs.Status.Address, gs.Status.Ports, gs.Status.Lists, gs.Status.Counters)

	// Metadata.
	must("SetLabel", c.SetLabel(ctx, "race_phase", "waiting"))
	must("SetAnnotation", c.SetAnnotation(ctx, "note", "hello"))
	gs, err = c.GameServer(ctx)
	must("GameServer", err)
	if v := gs.ObjectMeta.Labels["agones.dev/sdk-race_phase"]; v != "waiting" {
		t.Errorf("label agones.dev/sdk-race_phase = %q, labels %v", v, gs.ObjectMeta.Labels)
	}
	if v := gs.ObjectMeta.Annotations["agones.dev/sdk-note"]; v != "hello" {
		t.Errorf("annotation agones.dev/sdk-note = %q, annotations %v", v, gs.ObjectMeta.Annotations)
	}
	err = c.SetLabel(ctx, "not a key", "x")
	t.Logf("SetLabel with an invalid key: %v", err)

	// Lists.
	l, err := c.GetList(ctx, "players")
	must("GetList players", err)
	t.Logf("players: capacity %d values %q", l.Capacity, l.Values)
	free := int(l.Capacity) - len(l.Values)
	if free < 1 {
		t.Fatalf("players is full: %+v", *l)
	}
	v1 := fmt.Sprintf("leapfrog-%d", time.Now().UnixNano())
	must("AddListValue", c.AddListValue(ctx, "players", v1))
	l, err = c.GetList(ctx, "players")
	must("GetList", err)
	if !l.Contains(v1) {
		t.Errorf("after add, players = %q", l.Values)
	}
	dupErr := c.AddListValue(ctx, "players", v1)
	if free > 1 && !errors.Is(dupErr, agonessdk.ErrAlreadyExists) {
		t.Errorf("duplicate add = %v, want ErrAlreadyExists", dupErr)
	}
	t.Logf("duplicate add: %v", dupErr)
	added := []string{v1}
	if free <= 10 {
		for i := 2; i <= free; i++ {
			v := fmt.Sprintf("%s-%d", v1, i)
			must("AddListValue "+v, c.AddListValue(ctx, "players", v))
			added = append(added, v)
		}
		fullErr := c.AddListValue(ctx, "players", v1+"-over")
		if !errors.Is(fullErr, agonessdk.ErrNoCapacity) {
			t.Errorf("add to a full list = %v, want ErrNoCapacity", fullErr)
		}
		t.Logf("add to a full list: %v", fullErr)
	}
	for _, v := range added {
		must("RemoveListValue "+v, c.RemoveListValue(ctx, "players", v))
	}
	l, err = c.GetList(ctx, "players")
	must("GetList", err)
	for _, v := range added {
		if l.Contains(v) {
			t.Errorf("after remove, players = %q still has %s", l.Values, v)
		}
	}
	missErr := c.RemoveListValue(ctx, "players", v1)
	if !errors.Is(missErr, agonessdk.ErrNotFound) {
		t.Errorf("remove of a missing value = %v, want ErrNotFound", missErr)
	}
	t.Logf("remove missing: %v", missErr)
	_, unknownErr := c.GetList(ctx, "nosuchlist")
	if !errors.Is(unknownErr, agonessdk.ErrNotFound) {
		t.Errorf("GetList(nosuchlist) = %v, want ErrNotFound", unknownErr)
	}
	t.Logf("unknown list: %v", unknownErr)
	capErr := c.SetListCapacity(ctx, "players", int64(l.Capacity))
	t.Logf("SetListCapacity to the same capacity %d: %v", l.Capacity, capErr)
	capErr = c.SetListCapacity(ctx, "players", int64(l.Capacity)+1)
	t.Logf("SetListCapacity to %d: %v", l.Capacity+1, capErr)

	// Counters.
	_, counterErr := c.GetCounter(ctx, "nosuchcounter")
	if !errors.Is(counterErr, agonessdk.ErrNotFound) {
		t.Errorf("GetCounter(nosuchcounter) = %v, want ErrNotFound", counterErr)
	}
	t.Logf("unknown counter: %v", counterErr)
	if n, err := c.GetCounter(ctx, "rooms"); err == nil {
		t.Logf("rooms: %+v", *n)
		must("IncrementCounter", c.IncrementCounter(ctx, "rooms", 1))
		n2, err := c.GetCounter(ctx, "rooms")
		must("GetCounter", err)
		if n2.Count != n.Count+1 {
			t.Errorf("after increment rooms = %+v, was %+v", *n2, *n)
		}
		outErr := c.SetCounterCount(ctx, "rooms", int64(n2.Capacity)+1)
		if !errors.Is(outErr, agonessdk.ErrOutOfRange) {
			t.Errorf("count over capacity = %v, want ErrOutOfRange", outErr)
		}
		must("SetCounterCount", c.SetCounterCount(ctx, "rooms", int64(n.Count)))
	}

	// Allocate, reserve, back to Ready, shut down.
	must("Allocate", c.Allocate(ctx))
	waitState(agoneswire.StateAllocated)
	must("Reserve", c.Reserve(ctx, time.Second))
	waitState(agoneswire.StateReserved)
	waitState(agoneswire.StateReady) // after the reservation's second
	must("Allocate", c.Allocate(ctx))
	waitState(agoneswire.StateAllocated)
	must("Ready", c.Ready(ctx))
	waitState(agoneswire.StateReady)
	must("Shutdown", c.Shutdown(ctx))
	waitState(agoneswire.StateShutdown)
}
