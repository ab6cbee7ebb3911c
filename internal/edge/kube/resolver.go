package kube

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/leapfrog-games/leapfrog/contract/agonesv1"
	"github.com/leapfrog-games/leapfrog/contract/agoneswire"
	"github.com/leapfrog-games/leapfrog/internal/edge"
)

// DefaultWait bounds how long Resolve waits for the watch to show a game
// server allocated: the allocator answers as soon as Agones has allocated,
// and the player may reach an edge replica before its watch has the change.
const DefaultWait = 2 * time.Second

// Config says which game servers the edge relays to.
type Config struct {
	Namespace string
	Fleets    []string
	// PortName is the GameServer port players connect to.
	PortName string
	// Wait is DefaultWait when 0.
	Wait time.Duration
}

// Resolver resolves game servers from a cache of the Fleets' GameServers.
// Only Allocated GameServers of the configured Fleets in the configured
// namespace resolve; their address and port come from the Kubernetes API,
// never from the client.
type Resolver struct {
	cfg    Config
	reader client.Reader

	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every change Notify reports
}

var _ edge.Resolver = (*Resolver)(nil)

// NewResolver returns a Resolver reading GameServers through reader (a
// cache that Notify is told about changes of).
func NewResolver(reader client.Reader, cfg Config) (*Resolver, error) {
	if cfg.Namespace == "" || len(cfg.Fleets) == 0 || slices.Contains(cfg.Fleets, "") || cfg.PortName == "" {
		return nil, errors.New("kube resolver: a namespace, at least one Fleet and a port name are required")
	}
	if cfg.Wait == 0 {
		cfg.Wait = DefaultWait
	}
	return &Resolver{cfg: cfg, reader: reader, changed: make(chan struct{})}, nil
}

// FleetSelector selects the GameServers of fleets: the edge's cache holds no others.
func FleetSelector(fleets []string) (labels.Selector, error) {
	req, err := labels.NewRequirement(agoneswire.FleetLabel, selection.In, fleets)
	if err != nil {
		return nil, fmt.Errorf("fleet selector: %w", err)
	}
	return labels.NewSelector().Add(*req), nil
}

// Notify wakes the lookups waiting for a change; the watch calls it on
// every GameServer event.
func (r *Resolver) Notify() {
	r.mu.Lock()
	defer r.mu.Unlock()
	close(r.changed)
	r.changed = make(chan struct{})
}

// Resolve returns host:port of gameServer's game port.
func (r *Resolver) Resolve(ctx context.Context, gameServer string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.Wait)
	defer cancel()
	for {
		r.mu.Lock()
		changed := r.changed
		r.mu.Unlock()
		addr, final, err := r.lookup(ctx, gameServer)
		if err == nil || final {
			return addr, err
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return "", err
		}
	}
}

// lookup reads the game server once; final is false for refusals a later
// event may lift (not yet seen, not yet allocated).
func (r *Resolver) lookup(ctx context.Context, name string) (addr string, final bool, err error) {
	var gs agonesv1.GameServer
	if err := r.reader.Get(ctx, client.ObjectKey{Namespace: r.cfg.Namespace, Name: name}, &gs); err != nil {
		if apierrors.IsNotFound(err) {
			return "", false, fmt.Errorf("game server %s/%s: %w", r.cfg.Namespace, name, edge.ErrUnknownGameServer)
		}
		return "", true, fmt.Errorf("get game server %s/%s: %w", r.cfg.Namespace, name, err)
	}
	// The cache only holds the Fleets' GameServers; this check keeps that
	// true for any reader.
	if !slices.Contains(r.cfg.Fleets, gs.Labels[agoneswire.FleetLabel]) {
		return "", true, fmt.Errorf("game server %s/%s is in fleet %q: %w", r.cfg.Namespace, name, gs.Labels[agoneswire.FleetLabel], edge.ErrUnknownGameServer)
	}
	if gs.Status.State != agoneswire.StateAllocated {
		return "", false, fmt.Errorf("game server %s/%s is %s: %w", r.cfg.Namespace, name, gs.Status.State, edge.ErrUnknownGameServer)
	}
	i := slices.IndexFunc(gs.Status.Ports, func(p agonesv1.GameServerPort) bool { return agoneswire.IsGamePort(p.Name, r.cfg.PortName) })
	if gs.Status.Address == "" || i < 0 || gs.Status.Ports[i].Port <= 0 {
		return "", false, fmt.Errorf("game server %s/%s has no address or port %q: %w", r.cfg.Namespace, name, r.cfg.PortName, edge.ErrUnknownGameServer)
	}
	return net.JoinHostPort(gs.Status.Address, strconv.Itoa(int(gs.Status.Ports[i].Port))), true, nil
}
