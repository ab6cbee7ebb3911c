package agones

import (
	"context"
	"fmt"
	"slices"
	"sync"

	toolscache "k8s.io/client-go/tools/cache"

	"github.com/leapfrog-games/leapfrog/contract/agonesv1"
	"github.com/leapfrog-games/leapfrog/contract/agoneswire"
	"github.com/leapfrog-games/leapfrog/internal/allocator/backend"
)

// Players follows the players lists of a Fleet's one-race GameServers
// through a watch, so that the allocator knows when a place it gave is no
// longer held: the match is over (the server is closed, shut down, or back
// in the pool) or the player was a no-show (taken off the list). Memory is
// one set of player ids per Allocated server.
type Players struct {
	mu      sync.RWMutex
	servers map[string][]string // Allocated, open servers: their players list
}

// NewPlayers returns an empty Players; Watch feeds it.
func NewPlayers() *Players {
	return &Players{servers: make(map[string][]string)}
}

// Watch follows the Fleet's GameServers through informer, which should
// hold only the Fleet's.
func (p *Players) Watch(_ context.Context, informer Informer) error {
	_, err := informer.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc:    p.observe,
		UpdateFunc: func(_, obj any) { p.observe(obj) },
		DeleteFunc: func(obj any) {
			if d, ok := obj.(toolscache.DeletedFinalStateUnknown); ok {
				obj = d.Obj
			}
			if gs, ok := obj.(*agonesv1.GameServer); ok {
				p.mu.Lock()
				delete(p.servers, gs.Name)
				p.mu.Unlock()
			}
		},
	})
	if err != nil {
		return fmt.Errorf("watch the players of GameServers: %w", err)
	}
	return nil
}

func (p *Players) observe(obj any) {
	gs, ok := obj.(*agonesv1.GameServer)
	if !ok {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if gs.DeletionTimestamp != nil || gs.Status.State != agoneswire.StateAllocated || gs.Labels[agoneswire.ClosedLabel] == agoneswire.ClosedValue {
		delete(p.servers, gs.Name)
		return
	}
	p.servers[gs.Name] = slices.Clone(gs.Status.Lists[agoneswire.PlayersList].Values)
}

// Holding reports whether player is in the players list of a's server
// while that server is Allocated and its match not over (api.PlaceTracker).
// Until the watch shows an allocation it reports false: a place counts
// for the allocator's hold after it is given in any case.
func (p *Players) Holding(player string, a backend.Assignment) bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return slices.Contains(p.servers[a.GameServer], player)
}
