package agones

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"

	"github.com/leapfrog-games/leapfrog/contract/agonesv1"
	"github.com/leapfrog-games/leapfrog/contract/agoneswire"
	"github.com/leapfrog-games/leapfrog/internal/allocator/backend"
	"github.com/leapfrog-games/leapfrog/internal/allocator/placement"
	"github.com/leapfrog-games/leapfrog/internal/allocator/reach"
	"github.com/leapfrog-games/leapfrog/internal/tracing"
)

const (
	// DefaultLeaseRenew is the renewal period; game servers lapse a lease
	// after 15 s without a renewal (their --lease-ttl).
	DefaultLeaseRenew = 5 * time.Second
	// leaseTimeout bounds one lease allocation, retries included.
	leaseTimeout = 10 * time.Second
	// unallocatedHold is how long after an UnAllocated lease a match that
	// finds no room is answered "no capacity" without asking Agones again:
	// clients retry, and a full Fleet should not cost one allocation each.
	unallocatedHold = time.Second
	// leaseWaits bounds the leases one match waits for.
	leaseWaits = 2
)

// Engine places matches on leased game servers in memory; placement.Engine
// is the one. Its contract is that package's.
type Engine interface {
	Upsert(s placement.Server, matches []string)
	Lobbies(name string, lobbies map[string][]string)
	Foreign(s placement.Server, lobbies map[string][]string)
	Remove(name string)
	Suspend(name string, suspended bool)
	Unreachable(name string, down bool)
	Place(playerIDs []string) (placement.Placement, error)
	Holding(player, server, match string) bool
	FreeMatches() int
	Idle() []string
	Stats() placement.Stats
}

// Prober tells whether a game server can still be reached, waiting for a
// probe at most until ctx ends, and forgets a server out of placement for
// good; reach.Prober is one. Its contract is that type's: Unreachable only
// for a server that was reached before.
type Prober interface {
	Check(ctx context.Context, t reach.Target) reach.Verdict
	Forget(name string)
}

// LeaseClient creates lease allocations, patches leased GameServers and
// deletes idle ones of an older generation; a controller-runtime
// client.Client is one.
type LeaseClient interface {
	Creator
	Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.PatchOption) error
	Delete(ctx context.Context, obj client.Object, opts ...client.DeleteOption) error
}

// Informer delivers the Fleet's GameServer events; a controller-runtime
// cache.Informer and a client-go SharedInformer are both one.
type Informer interface {
	AddEventHandler(handler toolscache.ResourceEventHandler) (toolscache.ResourceEventHandlerRegistration, error)
}

// LeaseConfig configures a Leaser.
type LeaseConfig struct {
	// Config says which Fleet to lease from, which port to hand out, and
	// paces the retries of lease allocations.
	Config
	// ReplicaID names this allocator replica on the GameServers it leases.
	ReplicaID string
	// MatchesPerServer is the Fleet's matches list capacity (N > 1).
	MatchesPerServer int
	// Renew is the renewal period; 0 means DefaultLeaseRenew. Matches are
	// placed on a server only while its last renewal is younger than
	// twice this.
	Renew time.Duration
	// LowWater: below this many free matches, one more server is leased in
	// the background. 0 means MatchesPerServer/4 (at least 1).
	LowWater int
	// Now is the clock of renewals and of the placement gate; nil means
	// time.Now.
	Now func() time.Time
	// Probe, if set, checks leased servers: when leased, at every renewal,
	// and when a player placed on one asks again (it may have lost it). A
	// server found unreachable takes no new match and its players asking
	// again are placed afresh, until a probe reaches it again; the watch
	// drops it once Agones marks it Unhealthy. Nil: Agones' health alone.
	Probe Prober
}

// Leaser is the Agones backend of high-density Fleets: it leases whole game
// servers with one GameServerAllocation each and places matches on them in
// memory (docs/high-density.md, "Allocator in high density"). A match costs no
// Kubernetes call; each leased server costs one PATCH per renewal period.
type Leaser struct {
	client  LeaseClient
	engine  Engine
	cfg     LeaseConfig
	logger  *slog.Logger
	metrics *leaseMetrics

	mu     sync.Mutex
	leases map[string]*lease
	// inflight is the lease allocation under way, nil if none: there is at
	// most one at a time, and every match that needs room waits for it.
	inflight *leaseCall
	// noRoomUntil holds matches that find no room after an UnAllocated.
	noRoomUntil time.Time
	// gateAt is the earliest time a placeable lease's renewal gets too old.
	gateAt time.Time
	// sets are the Fleet's GameServerSets by creation time, and current
	// the newest of them: the generation leases go to (generation.go).
	sets    map[string]time.Time
	current string
	// fallback: the current generation's leases are full and no more of
	// it could be had; older servers take matches again until one is.
	fallback bool
	// stopping: the replica hands its leases back and takes no more.
	stopping bool
}

// lease is one leased game server.
type lease struct {
	server placement.Server
	// leasedAt is the time written by the lease allocation; renewedAt the
	// time the last successful renewal was sent (or leasedAt).
	leasedAt, renewedAt time.Time
	// suspended: renewedAt is too old to place matches here.
	suspended bool
	// confirmed: the watch has shown this lease (events from before the
	// allocation may still arrive until it has).
	confirmed bool
	// unreachable: the last probe could not reach the server.
	unreachable bool
	// set is the server's GameServerSet; retired: it is of an older
	// generation than one this replica holds, and takes no new match.
	set     string
	retired bool
}

// leaseCall is one lease allocation that matches may wait for.
type leaseCall struct {
	done chan struct{}
	err  error
}

var _ backend.Backend = (*Leaser)(nil)

// NewLeaser returns a Leaser that allocates and renews through c and places
// matches with engine. Its metrics are registered on reg (nil: not exported).
func NewLeaser(c LeaseClient, engine Engine, cfg LeaseConfig, reg prometheus.Registerer, logger *slog.Logger) (*Leaser, error) {
	if c == nil || engine == nil {
		return nil, errors.New("agones: a Kubernetes client and a placement engine are required")
	}
	var err error
	if cfg.Config, err = cfg.Config.withDefaults(); err != nil {
		return nil, err
	}
	if cfg.ReplicaID == "" {
		return nil, errors.New("agones: a lease needs a replica id")
	}
	if errs := validation.IsValidLabelValue(cfg.ReplicaID); len(errs) > 0 {
		return nil, fmt.Errorf("agones: replica id %q is the value of label %s: %s", cfg.ReplicaID, agoneswire.LesseeLabel, strings.Join(errs, "; "))
	}
	if cfg.MatchesPerServer < 2 || cfg.MatchesPerServer > maxListCapacity {
		return nil, fmt.Errorf("agones: matches per server %d: leases are for 2 to %d matches per server", cfg.MatchesPerServer, maxListCapacity)
	}
	if cfg.Renew == 0 {
		cfg.Renew = DefaultLeaseRenew
	}
	if cfg.LowWater == 0 {
		cfg.LowWater = DefaultLowWater(cfg.MatchesPerServer)
	}
	if cfg.Renew < 0 || cfg.LowWater < 0 {
		return nil, fmt.Errorf("agones: lease renew %v and low water %d must not be negative", cfg.Renew, cfg.LowWater)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	l := &Leaser{client: c, engine: engine, cfg: cfg, logger: logger, leases: make(map[string]*lease), sets: make(map[string]time.Time)}
	if l.metrics, err = newLeaseMetrics(reg, l); err != nil {
		return nil, err
	}
	return l, nil
}

// maxListCapacity is the most values an Agones list holds (its CRD says so).
const maxListCapacity = 1000

// DefaultLowWater is the low-water mark of free matches for N matches per
// server: a quarter of a server, at least one match.
func DefaultLowWater(matchesPerServer int) int {
	return max(1, matchesPerServer/4)
}

// MatchPrefix is what a replica's match ids start with: short (a match id is
// an Agones list value and a token claim) and unique per replica id.
func MatchPrefix(replicaID string) string {
	sum := sha256.Sum256([]byte(replicaID))
	return hex.EncodeToString(sum[:4]) + "-"
}

// Allocate places the players in a match on a leased game server: their own
// match if they hold a place, else a match waiting for players, else a new
// match. When no leased server has room it waits for a lease allocation
// (bounded by ctx); UnAllocated is backend.ErrNoCapacity.
func (l *Leaser) Allocate(ctx context.Context, req backend.AllocationRequest) (backend.Assignment, error) {
	if len(req.PlayerIDs) == 0 || slices.Contains(req.PlayerIDs, "") {
		return backend.Assignment{}, fmt.Errorf("agones: allocation needs non-empty player ids, got %q", req.PlayerIDs)
	}
	tracing.SetMode(ctx, tracing.ModeHighDensity)
	for waits := 0; ; waits++ {
		p, err := l.place(ctx, req.PlayerIDs)
		if err == nil && p.Again && l.probe(ctx, p.Server, p.Address, p.Port) == reach.Unreachable {
			// Its server is out of placement now: the players are placed
			// afresh on a live one.
			p, err = l.place(ctx, req.PlayerIDs)
		}
		if err == nil {
			address, err := l.cfg.address(p.Server, p.Address)
			if err != nil {
				return backend.Assignment{}, err
			}
			return backend.Assignment{GameServer: p.Server, Address: address, Port: p.Port, Match: p.Match, Joined: p.Joined,
				MatchStartBy: p.StartBy, SeatedAt: p.SeatedAt}, nil
		}
		if !errors.Is(err, backend.ErrNoCapacity) || waits == leaseWaits {
			return backend.Assignment{}, err
		}
		if err := l.awaitLease(ctx); err != nil {
			return backend.Assignment{}, err
		}
	}
}

// place places players in memory and leases ahead when room runs low.
func (l *Leaser) place(ctx context.Context, playerIDs []string) (p placement.Placement, err error) {
	_, span := tracing.Start(ctx, "place")
	defer func() {
		if err == nil && span.IsRecording() {
			span.SetAttributes(attrServer.String(p.Server), attrMatch.String(p.Match), attrJoined.Bool(p.Joined), attrAgain.Bool(p.Again))
		}
		tracing.End(span, err)
	}()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.gateLocked(l.cfg.Now())
	p, err = l.engine.Place(playerIDs)
	if errors.Is(err, backend.ErrNoCapacity) && l.fallBackLocked(ctx) {
		p, err = l.engine.Place(playerIDs)
	}
	if err == nil {
		l.metrics.placed(p.Joined)
		l.leaseAheadLocked(ctx)
	}
	return p, err
}

// Holding reports whether player still holds its placement in a's match:
// the match not over on its server, the seat not given back
// (api.PlaceTracker).
func (l *Leaser) Holding(player string, a backend.Assignment) bool {
	return l.engine.Holding(player, a.GameServer, a.Match)
}

// CanPlace reports whether a new match can be placed now, without a lease
// allocation: some leased server has room and a recent renewal.
func (l *Leaser) CanPlace() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.gateLocked(l.cfg.Now())
	return l.engine.FreeMatches() > 0
}

// awaitLease waits for the lease allocation under way, or starts one.
func (l *Leaser) awaitLease(ctx context.Context) (err error) {
	ctx, span := tracing.Start(ctx, "wait for lease")
	defer func() { tracing.End(span, err) }()
	l.mu.Lock()
	call := l.startLeaseLocked(ctx, false, false)
	l.mu.Unlock()
	if call == nil {
		return fmt.Errorf("fleet %s/%s: %w (the last lease found none)", l.cfg.Namespace, l.cfg.Fleet, backend.ErrNoCapacity)
	}
	select {
	case <-call.done:
	case <-ctx.Done():
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("wait for a lease in fleet %s/%s: %w: %w", l.cfg.Namespace, l.cfg.Fleet, backend.ErrUnavailable, err)
	}
	return call.err
}

// leaseAheadLocked starts a lease in the background when the free matches
// are below the low-water mark.
func (l *Leaser) leaseAheadLocked(ctx context.Context) *leaseCall {
	if l.engine.FreeMatches() >= l.cfg.LowWater {
		return nil
	}
	return l.startLeaseLocked(ctx, true, false)
}

// startLeaseLocked returns the lease allocation under way or starts one; nil
// while UnAllocated holds. The allocation outlives ctx's cancellation (other
// matches wait for it) but not leaseTimeout. ahead is a lease started before
// any match needs it: its span starts a trace of its own, linked to the
// match's, as no match waits for it. current: a server of the current
// generation only (else one of any generation when the current has none
// Ready).
func (l *Leaser) startLeaseLocked(ctx context.Context, ahead, current bool) *leaseCall {
	if l.inflight != nil {
		return l.inflight
	}
	if l.stopping || l.cfg.Now().Before(l.noRoomUntil) {
		return nil
	}
	call := &leaseCall{done: make(chan struct{})}
	l.inflight = call
	go func() {
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), leaseTimeout)
		opts := []trace.SpanStartOption{trace.WithAttributes(attrAhead.Bool(ahead))}
		if ahead {
			opts = append(opts, trace.WithNewRoot(), trace.WithLinks(trace.LinkFromContext(ctx)))
		}
		lctx, span := tracing.Start(lctx, "lease", opts...)
		call.err = l.lease(lctx, current)
		tracing.End(span, call.err)
		cancel()
		l.mu.Lock()
		l.inflight = nil
		l.mu.Unlock()
		close(call.done)
	}()
	return call
}

// lease allocates one more game server to this replica; current as for
// startLeaseLocked.
func (l *Leaser) lease(ctx context.Context, current bool) error {
	at := l.cfg.Now()
	l.mu.Lock()
	set := l.current
	l.mu.Unlock()
	gsa, err := l.cfg.allocate(ctx, l.client, l.logger, "a lease", func() *agonesv1.GameServerAllocation { return l.leaseAllocation(at, set, current) })
	if errors.Is(err, backend.ErrNoCapacity) {
		l.metrics.allocation(leaseUnAllocated)
		l.mu.Lock()
		l.noRoomUntil = l.cfg.Now().Add(unallocatedHold)
		l.mu.Unlock()
		return err
	}
	if err != nil {
		l.metrics.allocation(leaseError)
		l.logger.WarnContext(ctx, "lease allocation failed", "err", err)
		return err
	}
	server, matches, err := l.leased(gsa)
	if err != nil {
		// Never renewed, the server lapses and returns to the pool.
		l.metrics.allocation(leaseError)
		l.logger.ErrorContext(ctx, "leased game server is unusable, letting it lapse", "gameserver", gsa.Status.GameServerName, "err", err)
		return fmt.Errorf("lease: %w", err)
	}
	l.metrics.allocation(leaseAllocated)
	l.mu.Lock()
	defer l.mu.Unlock()
	ls := &lease{server: server, leasedAt: at, renewedAt: at}
	if md := gsa.Status.Metadata; md != nil {
		ls.set = md.Labels[agoneswire.GameServerSetLabel]
	}
	l.leases[server.Name] = ls
	l.engine.Upsert(server, matches)
	l.gateAt = time.Time{}
	if ls.set != "" && ls.set == l.current {
		l.fallback = false // room on the current generation again
	}
	l.generationsLocked(ctx)
	l.logger.InfoContext(ctx, "leased game server", "gameserver", server.Name, "gameserverset", ls.set, "matches", len(matches), "capacity", server.Capacity)
	// A first probe: a server is judged unreachable only once it was
	// reached, so the prober learns it now, before anyone needs it.
	go l.probe(context.WithoutCancel(ctx), server.Name, server.Address, server.Port)
	return nil
}

// probe checks a leased server through Probe and applies the verdict: an
// unreachable server leaves placement, a reachable one comes back. It
// returns the verdict (Unknown without a Prober).
func (l *Leaser) probe(ctx context.Context, name, address string, port int32) reach.Verdict {
	if l.cfg.Probe == nil {
		return reach.Unknown
	}
	v := l.cfg.Probe.Check(ctx, reach.Target{Name: name, Address: address, Port: port})
	l.mu.Lock()
	defer l.mu.Unlock()
	ls := l.leases[name]
	if ls == nil || v == reach.Unknown || ls.unreachable == (v == reach.Unreachable) {
		return v
	}
	ls.unreachable = v == reach.Unreachable
	l.engine.Unreachable(name, ls.unreachable)
	l.generationsLocked(ctx)
	if ls.unreachable {
		l.metrics.unreachable.Inc()
		l.logger.WarnContext(ctx, "leased game server unreachable: no more matches placed on it, its players placed afresh", "gameserver", name)
		l.leaseAheadLocked(ctx)
	} else {
		l.logger.InfoContext(ctx, "leased game server reachable again", "gameserver", name)
	}
	return v
}

// leaseAllocation is the request of docs/high-density.md: a Ready server of
// the Fleet, not closed, with room for a match, labelled with this replica;
// one of GameServerSet set first when set is known, and only of it when
// only is true.
func (l *Leaser) leaseAllocation(at time.Time, set string, only bool) *agonesv1.GameServerAllocation {
	selector := func(labels map[string]string) agonesv1.GameServerSelector {
		labels[agoneswire.FleetLabel] = l.cfg.Fleet
		return agonesv1.GameServerSelector{
			MatchLabels:      labels,
			MatchExpressions: []metav1.LabelSelectorRequirement{{Key: agoneswire.ClosedLabel, Operator: metav1.LabelSelectorOpNotIn, Values: []string{agoneswire.ClosedValue}}},
			GameServerState:  agoneswire.StateReady,
			Lists:            map[string]agonesv1.ListSelector{agoneswire.MatchesList: {MinAvailable: 1}},
		}
	}
	var selectors []agonesv1.GameServerSelector
	if set != "" {
		selectors = append(selectors, selector(map[string]string{agoneswire.GameServerSetLabel: set}))
	}
	if set == "" || !only {
		selectors = append(selectors, selector(map[string]string{}))
	}
	return &agonesv1.GameServerAllocation{
		ObjectMeta: metav1.ObjectMeta{Namespace: l.cfg.Namespace},
		Spec: agonesv1.GameServerAllocationSpec{
			Selectors:  selectors,
			Scheduling: agonesv1.Packed,
			Metadata: &agonesv1.GameServerMetadata{
				Labels:      map[string]string{agoneswire.LesseeLabel: l.cfg.ReplicaID},
				Annotations: map[string]string{agoneswire.LeaseRenewedAnnotation: stamp(at)},
			},
		},
	}
}

// leased reads the leased server from an Allocated status.
func (l *Leaser) leased(gsa *agonesv1.GameServerAllocation) (placement.Server, []string, error) {
	st := gsa.Status
	if st.GameServerName == "" {
		return placement.Server{}, nil, fmt.Errorf("GameServerAllocation in %s: allocated without a game server name", l.cfg.Namespace)
	}
	return l.server(st.GameServerName, st.Address, st.Ports, st.Lists)
}

// server reads a game server's endpoint and matches list.
func (l *Leaser) server(name, address string, ports []agonesv1.GameServerPort, lists map[string]agonesv1.ListStatus) (placement.Server, []string, error) {
	port, err := l.cfg.port(name, ports)
	if err != nil {
		return placement.Server{}, nil, err
	}
	if address == "" {
		return placement.Server{}, nil, fmt.Errorf("game server %s/%s has no address", l.cfg.Namespace, name)
	}
	matches, ok := lists[agoneswire.MatchesList]
	if !ok || matches.Capacity < 1 {
		return placement.Server{}, nil, fmt.Errorf("game server %s/%s has no %q list (is its Fleet high-density?)", l.cfg.Namespace, name, agoneswire.MatchesList)
	}
	return placement.Server{Name: name, Address: address, Port: port, Capacity: int(matches.Capacity)}, slices.Clone(matches.Values), nil
}

// stamp is the value of agoneswire.LeaseRenewedAnnotation for time t.
func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// gateLocked suspends placement on servers whose last renewal is 2 x Renew
// old: their game servers may lapse soon after (docs/high-density.md).
func (l *Leaser) gateLocked(now time.Time) {
	if !l.gateAt.IsZero() && now.Before(l.gateAt) {
		return
	}
	limit := 2 * l.cfg.Renew
	l.gateAt = time.Time{}
	suspended := false
	defer func() {
		if suspended {
			l.generationsLocked(context.Background())
		}
	}()
	for name, ls := range l.leases {
		if ls.suspended {
			continue
		}
		expiry := ls.renewedAt.Add(limit)
		if !now.Before(expiry) {
			ls.suspended = true
			l.applySuspensionLocked(name, ls)
			suspended = true
			l.logger.Warn("lease not renewed in time, no more matches placed on it", "gameserver", name, "renewed", ls.renewedAt)
			continue
		}
		if l.gateAt.IsZero() || expiry.Before(l.gateAt) {
			l.gateAt = expiry
		}
	}
}

// applySuspensionLocked tells the engine whether the server takes new
// matches: not while its renewal is too old nor while it is retired.
func (l *Leaser) applySuspensionLocked(name string, ls *lease) {
	l.engine.Suspend(name, ls.suspended || ls.retired)
}

// Start renews the leases every Renew and keeps the free matches above the
// low-water mark until ctx ends; it is a manager.Runnable. It then hands
// the leases back: idle servers are deleted, the others lapse by themselves
// once their matches are done.
func (l *Leaser) Start(ctx context.Context) error {
	t := time.NewTicker(l.cfg.Renew)
	defer t.Stop()
	for {
		l.mu.Lock()
		l.leaseAheadLocked(ctx)
		if !l.holdsCurrentLocked() {
			l.startGenerationLeaseLocked(ctx)
		}
		l.mu.Unlock()
		select {
		case <-ctx.Done():
			l.handBack(context.WithoutCancel(ctx))
			return nil
		case <-t.C:
		}
		l.renew(ctx)
	}
}

// NeedLeaderElection is false: every replica leases for itself.
func (l *Leaser) NeedLeaderElection() bool { return false }

// renew releases the idle leases not needed to stay above the low-water
// mark, then renews the others, one PATCH each.
func (l *Leaser) renew(ctx context.Context) {
	l.mu.Lock()
	l.releaseIdleLocked(ctx)
	names := slices.Sorted(maps.Keys(l.leases))
	l.mu.Unlock()
	for _, name := range names {
		at := l.cfg.Now()
		pctx, cancel := context.WithTimeout(ctx, l.cfg.Renew)
		err := l.patchRenewal(pctx, name, at)
		cancel()
		l.mu.Lock()
		ls := l.leases[name]
		switch {
		case ls == nil: // dropped meanwhile
		case err == nil:
			l.metrics.renewal(renewalOK)
			ls.renewedAt = at
			if ls.suspended {
				ls.suspended = false
				l.applySuspensionLocked(name, ls)
				l.generationsLocked(ctx)
			}
			l.gateAt = time.Time{}
		case apierrors.IsNotFound(err) || apierrors.IsInvalid(err):
			// Deleted, back in the pool, or leased by another replica:
			// the patch's tests failed.
			l.metrics.renewal(renewalLost)
			l.dropLocked(ctx, name, "renewal refused: "+err.Error())
		default:
			l.metrics.renewal(renewalError)
			l.logger.WarnContext(ctx, "lease renewal failed", "gameserver", name, "err", err)
		}
		l.mu.Unlock()
	}
	l.mu.Lock()
	l.gateLocked(l.cfg.Now())
	var servers []placement.Server
	for _, ls := range l.leases {
		servers = append(servers, ls.server)
	}
	l.mu.Unlock()
	// Every lease is probed each period: a dead server leaves placement
	// even when none of its players asks again, and one back comes back.
	for _, s := range servers {
		go l.probe(ctx, s.Name, s.Address, s.Port)
	}
}

// patchRenewal sets agoneswire.LeaseRenewedAnnotation on a leased game server, only while
// it is Allocated and labelled with this replica: a renewal must never
// revive a server that lapsed back to the pool or that another replica
// leased since.
func (l *Leaser) patchRenewal(ctx context.Context, name string, at time.Time) error {
	ops := []jsonPatchOp{
		{Op: "test", Path: "/metadata/labels/" + jsonPointerEscape(agoneswire.LesseeLabel), Value: l.cfg.ReplicaID},
		{Op: "test", Path: "/status/state", Value: string(agoneswire.StateAllocated)},
		{Op: "add", Path: "/metadata/annotations/" + jsonPointerEscape(agoneswire.LeaseRenewedAnnotation), Value: stamp(at)},
	}
	body, err := json.Marshal(ops)
	if err != nil {
		return err
	}
	gs := &agonesv1.GameServer{ObjectMeta: metav1.ObjectMeta{Namespace: l.cfg.Namespace, Name: name}}
	if err := l.client.Patch(ctx, gs, client.RawPatch(types.JSONPatchType, body)); err != nil {
		return fmt.Errorf("renew lease of game server %s/%s: %w", l.cfg.Namespace, name, err)
	}
	return nil
}

// jsonPatchOp is one RFC 6902 operation.
type jsonPatchOp struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value string `json:"value"`
}

// jsonPointerEscape escapes a map key for a JSON pointer (RFC 6901).
func jsonPointerEscape(key string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(key)
}

// releaseIdleLocked stops renewing leased servers without a match while the
// others keep the free matches at the low-water mark: they lapse and return
// to the pool by themselves.
func (l *Leaser) releaseIdleLocked(ctx context.Context) {
	free := l.engine.FreeMatches()
	for _, name := range l.engine.Idle() {
		ls := l.leases[name]
		if ls == nil {
			continue
		}
		own := ls.server.Capacity
		if ls.suspended || ls.unreachable || ls.retired {
			own = 0 // not counted as free: nothing can be placed there
		}
		if ls.retired {
			l.endRetiredLocked(ctx, name)
			continue
		}
		if free-own < l.cfg.LowWater {
			continue
		}
		free -= own
		l.metrics.released.Inc()
		l.dropLocked(ctx, name, "released: no match, not needed")
	}
}

// endRetiredLocked ends an idle lease of an older generation: the lease is
// dropped and its GameServer deleted, which the game server, idle, obeys at
// once. Left to lapse it would hold its place in the Fleet for a lease TTL
// more, while the rollout waits for that place to start a server of the new
// generation. A failed delete leaves the lapse to do it.
func (l *Leaser) endRetiredLocked(ctx context.Context, name string) {
	l.metrics.released.Inc()
	l.dropLocked(ctx, name, "released: of an older generation, no match; deleting its GameServer")
	go l.deleteServer(context.WithoutCancel(ctx), name)
}

// deleteServer deletes an idle game server this replica no longer leases,
// within one renew period; a failure leaves it to lapse.
func (l *Leaser) deleteServer(ctx context.Context, name string) {
	dctx, cancel := context.WithTimeout(ctx, l.cfg.Renew)
	defer cancel()
	gs := &agonesv1.GameServer{ObjectMeta: metav1.ObjectMeta{Namespace: l.cfg.Namespace, Name: name}}
	if err := l.client.Delete(dctx, gs); err != nil && !apierrors.IsNotFound(err) {
		l.logger.WarnContext(ctx, "delete an idle game server no longer leased: left to lapse", "gameserver", name, "err", err)
	}
}

// handBack ends the leases of a replica that stops: the idle ones are
// dropped and their GameServers deleted, so that their places in the Fleet
// serve the other replicas now rather than after a lease TTL; the ones with
// matches, pending or running, are left to lapse once their matches are done
// (docs/high-density.md, "Replicas come and go").
func (l *Leaser) handBack(ctx context.Context) {
	l.mu.Lock()
	l.stopping = true
	idle := l.engine.Idle()
	for _, name := range idle {
		l.dropLocked(ctx, name, "handed back: the replica stops; deleting its idle GameServer")
	}
	busy := len(l.leases)
	l.mu.Unlock()
	var wg sync.WaitGroup
	for _, name := range idle {
		wg.Go(func() { l.deleteServer(ctx, name) })
	}
	wg.Wait()
	l.logger.InfoContext(ctx, "leases handed back", "idle_deleted", len(idle), "with_races", busy)
}

// dropLocked forgets a lease: nothing is placed on the server any more.
func (l *Leaser) dropLocked(ctx context.Context, name, why string) {
	if _, ok := l.leases[name]; !ok {
		return
	}
	delete(l.leases, name)
	l.engine.Remove(name)
	l.generationsLocked(ctx)
	if l.cfg.Probe != nil {
		l.cfg.Probe.Forget(name)
	}
	l.gateAt = time.Time{}
	l.logger.InfoContext(ctx, "lease dropped", "gameserver", name, "why", why)
	l.leaseAheadLocked(ctx)
}

// Watch follows the Fleet's GameServers through informer: the matches lists
// of leased servers feed the engine (a match that ended gives its room
// back), and a leased server that leaves Allocated, is being deleted,
// carries another lessee or is closed is dropped. The informer should hold
// only the Fleet's GameServers.
func (l *Leaser) Watch(ctx context.Context, informer Informer) error {
	_, err := informer.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { l.observe(ctx, obj) },
		UpdateFunc: func(_, obj any) { l.observe(ctx, obj) },
		DeleteFunc: func(obj any) {
			if d, ok := obj.(toolscache.DeletedFinalStateUnknown); ok {
				obj = d.Obj
			}
			if gs, ok := obj.(*agonesv1.GameServer); ok {
				l.mu.Lock()
				l.dropLocked(ctx, gs.Name, "deleted")
				l.mu.Unlock()
				l.engine.Foreign(placement.Server{Name: gs.Name}, nil)
			}
		},
	})
	if err != nil {
		return fmt.Errorf("watch GameServers of fleet %s/%s: %w", l.cfg.Namespace, l.cfg.Fleet, err)
	}
	return nil
}

// observe applies one GameServer event to the lease it concerns, if any.
func (l *Leaser) observe(ctx context.Context, obj any) {
	gs, ok := obj.(*agonesv1.GameServer)
	if !ok {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	ls := l.leases[gs.Name]
	if ls == nil {
		l.observeForeign(ctx, gs)
		return
	}
	mine := gs.Labels[agoneswire.LesseeLabel] == l.cfg.ReplicaID
	if !ls.confirmed && gs.DeletionTimestamp == nil {
		// Until the watch shows this lease, an event may be from before
		// it: the server as it was in the pool, or under an earlier lease.
		renewed, err := time.Parse(time.RFC3339Nano, gs.Annotations[agoneswire.LeaseRenewedAnnotation])
		if !mine || gs.Status.State != agoneswire.StateAllocated || err != nil || renewed.Before(ls.leasedAt) {
			return
		}
		ls.confirmed = true
	}
	switch {
	case gs.DeletionTimestamp != nil:
		l.dropLocked(ctx, gs.Name, "being deleted")
	case gs.Status.State != agoneswire.StateAllocated:
		l.dropLocked(ctx, gs.Name, "now "+string(gs.Status.State))
	case !mine:
		l.dropLocked(ctx, gs.Name, "leased by "+gs.Labels[agoneswire.LesseeLabel])
	case gs.Labels[agoneswire.ClosedLabel] == agoneswire.ClosedValue:
		l.dropLocked(ctx, gs.Name, "closed")
	default:
		server, matches, err := l.server(gs.Name, gs.Status.Address, gs.Status.Ports, gs.Status.Lists)
		if err != nil {
			l.dropLocked(ctx, gs.Name, err.Error())
			return
		}
		ls.server = server
		if set := gs.Labels[agoneswire.GameServerSetLabel]; set != "" && set != ls.set {
			ls.set = set
			l.generationsLocked(ctx)
		}
		l.engine.Upsert(server, matches)
		lobbies, err := agoneswire.DecodeLobbies(gs.Annotations[agoneswire.LobbiesAnnotation])
		if err != nil {
			l.logger.WarnContext(ctx, "unreadable report of matches waiting for players: ignored", "gameserver", gs.Name, "err", err)
		}
		l.engine.Lobbies(gs.Name, lobbies)
		if ls.retired && slices.Contains(l.engine.Idle(), gs.Name) {
			l.endRetiredLocked(ctx, gs.Name)
		}
	}
}
