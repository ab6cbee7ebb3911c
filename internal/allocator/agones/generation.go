package agones

import (
	"context"
	"fmt"
	"maps"
	"slices"

	toolscache "k8s.io/client-go/tools/cache"

	"github.com/leapfrog-games/leapfrog/contract/agonesv1"
)

// WatchSets follows the Fleet's GameServerSets through informer, which
// should hold only those: the newest is the Fleet's current generation.
// Leases go to it first, and once this replica holds a lease of it, servers
// of older generations take no new match: they finish theirs, are released
// once idle and lapse, and Agones removes them with their old
// GameServerSet (docs/high-density.md, "Rollouts"). Without this watch every
// server of the Fleet is one generation.
func (l *Leaser) WatchSets(ctx context.Context, informer Informer) error {
	_, err := informer.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { l.observeSet(ctx, obj, false) },
		UpdateFunc: func(_, obj any) { l.observeSet(ctx, obj, false) },
		DeleteFunc: func(obj any) {
			if d, ok := obj.(toolscache.DeletedFinalStateUnknown); ok {
				obj = d.Obj
			}
			l.observeSet(ctx, obj, true)
		},
	})
	if err != nil {
		return fmt.Errorf("watch GameServerSets of fleet %s/%s: %w", l.cfg.Namespace, l.cfg.Fleet, err)
	}
	return nil
}

// observeSet records a GameServerSet, or forgets a deleted one, and moves
// the current generation to the newest.
func (l *Leaser) observeSet(ctx context.Context, obj any, deleted bool) {
	gss, ok := obj.(*agonesv1.GameServerSet)
	if !ok {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if deleted || gss.DeletionTimestamp != nil {
		delete(l.sets, gss.Name)
	} else {
		l.sets[gss.Name] = gss.CreationTimestamp.Time
	}
	newest := ""
	for name, created := range l.sets {
		// Creation times are whole seconds: the name breaks a tie, so that
		// every replica picks the same one.
		if newest == "" || created.After(l.sets[newest]) || created.Equal(l.sets[newest]) && name > newest {
			newest = name
		}
	}
	if newest == l.current {
		return
	}
	l.logger.InfoContext(ctx, "the fleet's current generation changed", "gameserverset", newest, "was", l.current)
	l.current = newest
	l.fallback = false
	l.generationsLocked(ctx)
	if !l.holdsCurrentLocked() {
		// Lease the new generation now: until this replica holds one of
		// its servers, the old ones go on taking matches.
		l.startGenerationLeaseLocked(ctx)
	}
}

// holdsCurrentLocked says whether this replica holds a lease of the current
// generation that takes matches (no generation known counts as held).
func (l *Leaser) holdsCurrentLocked() bool {
	if l.current == "" {
		return true
	}
	for _, ls := range l.leases {
		if ls.set == l.current && !ls.suspended && !ls.unreachable {
			return true
		}
	}
	return false
}

// generationsLocked retires the leases of older generations once this
// replica holds one of the current generation, and brings them back if it
// no longer does: the new generation takes the matches as soon as it has
// room, and the old one until then.
func (l *Leaser) generationsLocked(ctx context.Context) {
	held := !l.fallback && l.holdsCurrentLocked()
	for name, ls := range l.leases {
		retired := held && l.current != "" && ls.set != "" && ls.set != l.current
		if retired == ls.retired {
			continue
		}
		ls.retired = retired
		l.applySuspensionLocked(name, ls)
		if retired {
			l.metrics.retired.Inc()
			l.logger.InfoContext(ctx, "leased game server of an older generation: no more matches placed on it", "gameserver", name, "gameserverset", ls.set)
		}
	}
}

// startGenerationLeaseLocked leases a server of the current generation,
// from that generation only: a lease taken to move to it must not take an
// old server back from the pool.
func (l *Leaser) startGenerationLeaseLocked(ctx context.Context) {
	if l.inflight != nil || l.cfg.Now().Before(l.noRoomUntil) {
		return
	}
	l.startLeaseLocked(ctx, true, true)
}

// fallBackLocked gives the retired leases their matches back when a match
// finds no room on the current generation (its leases full, the lease
// allocation under way or none Ready): a rollout must not turn players away
// while old servers have room. The next lease of the current generation
// retires them again. It reports whether any lease came back.
func (l *Leaser) fallBackLocked(ctx context.Context) bool {
	if l.fallback || !slices.ContainsFunc(slices.Collect(maps.Values(l.leases)), func(ls *lease) bool { return ls.retired }) {
		return false
	}
	l.fallback = true
	l.generationsLocked(ctx)
	l.logger.InfoContext(ctx, "no room on the current generation: older servers take matches until more of it is leased", "gameserverset", l.current)
	return true
}
