package agonessdk

import (
	"context"
	"crypto/rand"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/leapfrog-games/leapfrog/contract/agoneswire"
)

// maxListCapacity is the highest list capacity Agones accepts.
const maxListCapacity = 1000

// MemoryConfig describes the GameServer a Memory starts with.
type MemoryConfig struct {
	Name      string
	Namespace string // empty means "default"
	Address   string
	// Addresses defaults to one InternalIP entry holding Address.
	Addresses   []Address
	Ports       []Port
	Lists       map[string]List    // e.g. {"players": {Capacity: 2}}
	Counters    map[string]Counter // e.g. {"rooms": {Capacity: 10}}
	Labels      map[string]string
	Annotations map[string]string
	// Health defaults to Agones': period 5 s, failure threshold 3, initial delay 5 s.
	Health Health
	// Clock defaults to SystemClock.
	Clock Clock
}

// Memory is an in-process GameServer with the Agones SDK semantics: the
// stand-in for the sidecar and the Agones controller in local fleets and
// tests. The game server's side is the SDK interface; the cluster's side
// (what the Agones controller, the allocator and the Kubernetes API do) is
// ClusterAllocate, AllocateWith, PatchMetadata, MarkUnhealthy, Snapshot and
// LastHealth.
//
// Unlike the real sidecar, changes apply at once; watchers still see them
// asynchronously, and a slow watcher sees only the latest state.
type Memory struct {
	clock Clock

	mu          sync.Mutex
	gs          GameServer
	rv          int64
	lastHealth  time.Time
	healthCount int64
	stopReserve func() bool
	reserveGen  uint64
	watchers    map[chan struct{}]struct{}
}

var _ SDK = (*Memory)(nil)

// NewMemory returns a Memory in state Scheduled.
func NewMemory(cfg MemoryConfig) *Memory {
	clock := cfg.Clock
	if clock == nil {
		clock = SystemClock{}
	}
	ns := cfg.Namespace
	if ns == "" {
		ns = "default"
	}
	health := cfg.Health
	if health == (Health{}) {
		health = Health{PeriodSeconds: 5, FailureThreshold: 3, InitialDelaySeconds: 5}
	}
	addrs := slices.Clone(cfg.Addresses)
	if addrs == nil && cfg.Address != "" {
		addrs = []Address{{Type: "InternalIP", Address: cfg.Address}}
	}
	lists := make(map[string]List, len(cfg.Lists))
	for k, l := range cfg.Lists {
		l = l.DeepCopy()
		l.Name = ""
		if l.Values == nil {
			l.Values = []string{}
		}
		lists[k] = l
	}
	counters := make(map[string]Counter, len(cfg.Counters))
	for k, c := range cfg.Counters {
		c.Name = ""
		counters[k] = c
	}
	m := &Memory{
		clock: clock,
		gs: GameServer{
			ObjectMeta: ObjectMeta{
				Name:              cfg.Name,
				Namespace:         ns,
				UID:               newUID(),
				ResourceVersion:   "1",
				Generation:        1,
				CreationTimestamp: Int64(clock.Now().Unix()),
				Labels:            nonNilMap(cfg.Labels),
				Annotations:       nonNilMap(cfg.Annotations),
			},
			Spec: Spec{Health: health},
			Status: Status{
				State:     agoneswire.StateScheduled,
				Address:   cfg.Address,
				Addresses: nonNilSlice(addrs),
				Ports:     nonNilSlice(slices.Clone(cfg.Ports)),
				Counters:  counters,
				Lists:     lists,
			},
		},
		rv:       1,
		watchers: make(map[chan struct{}]struct{}),
	}
	return m
}

func newUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

func nonNilMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return maps.Clone(m)
}

func nonNilSlice[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// changed records a change and wakes the watchers. Called with mu held.
func (m *Memory) changed() {
	m.rv++
	m.gs.ObjectMeta.ResourceVersion = strconv.FormatInt(m.rv, 10)
	for ch := range m.watchers {
		select {
		case ch <- struct{}{}:
		default: // already woken: it will read the latest state
		}
	}
}

// final reports whether the state can no longer change, as in Agones: a
// server shutting down or found unhealthy never comes back. Called with mu held.
func (m *Memory) final() bool {
	s := m.gs.Status.State
	return s == agoneswire.StateShutdown || s == agoneswire.StateUnhealthy
}

// setState moves to state s, unless the state is final. Called with mu held.
func (m *Memory) setState(s agoneswire.GameServerState) {
	if m.final() {
		return
	}
	m.cancelReserve()
	if m.gs.Status.State == s && s != agoneswire.StateAllocated {
		return
	}
	m.gs.Status.State = s
	if s == agoneswire.StateAllocated {
		m.gs.ObjectMeta.Annotations[agoneswire.LastAllocatedAnnotation] = m.clock.Now().UTC().Format(time.RFC3339Nano)
	}
	m.changed()
}

// cancelReserve stops a pending return from Reserved. Called with mu held.
func (m *Memory) cancelReserve() {
	m.reserveGen++
	if m.stopReserve != nil {
		m.stopReserve()
		m.stopReserve = nil
	}
}

// Ready moves the server to Ready, also from Allocated (reuse).
func (m *Memory) Ready(ctx context.Context) error {
	return m.state(ctx, agoneswire.StateReady)
}

// Allocate moves the server to Allocated.
func (m *Memory) Allocate(ctx context.Context) error {
	return m.state(ctx, agoneswire.StateAllocated)
}

// Shutdown moves the server to Shutdown, for good.
func (m *Memory) Shutdown(ctx context.Context) error {
	return m.state(ctx, agoneswire.StateShutdown)
}

func (m *Memory) state(ctx context.Context, s agoneswire.GameServerState) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.setState(s)
	return nil
}

// Reserve moves the server to Reserved and, if d > 0, back to Ready once d
// has passed on the Memory's clock, unless its state changed meanwhile.
func (m *Memory) Reserve(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d < 0 {
		return newSDKError(ErrInvalidArgument, "invalid argument. Reserve duration %v is negative", d)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.final() {
		return nil
	}
	m.setState(agoneswire.StateReserved)
	if d > 0 {
		gen := m.reserveGen
		m.stopReserve = m.clock.AfterFunc(d, func() {
			m.mu.Lock()
			defer m.mu.Unlock()
			if m.reserveGen == gen && m.gs.Status.State == agoneswire.StateReserved {
				m.setState(agoneswire.StateReady)
			}
		})
	}
	return nil
}

// Health records one health ping.
func (m *Memory) Health(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.lastHealth = m.clock.Now()
	m.healthCount++
	return nil
}

// GameServer returns a copy of the GameServer.
func (m *Memory) GameServer(ctx context.Context) (*GameServer, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	gs := m.Snapshot()
	return &gs, nil
}

// WatchGameServer calls fn with the current GameServer and then after every
// change, on the caller's goroutine, until ctx is done; it returns ctx.Err().
// Mutators never wait for fn: a watcher that falls behind skips to the
// latest state, as Agones' batching may too. Each call gets its own copy.
func (m *Memory) WatchGameServer(ctx context.Context, fn func(*GameServer)) error {
	wake := make(chan struct{}, 1)
	wake <- struct{}{}
	m.mu.Lock()
	m.watchers[wake] = struct{}{}
	m.mu.Unlock()
	defer func() {
		m.mu.Lock()
		delete(m.watchers, wake)
		m.mu.Unlock()
	}()
	last := ""
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-wake:
		}
		gs := m.Snapshot()
		if gs.ObjectMeta.ResourceVersion == last {
			continue
		}
		last = gs.ObjectMeta.ResourceVersion
		fn(&gs)
	}
}

// SetLabel sets the label agones.dev/sdk-<key>.
func (m *Memory) SetLabel(ctx context.Context, key, value string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if msg := qualifiedNameError(key); msg != "" {
		return newSDKError(ErrInvalidArgument, "invalid label key %q: %s", key, msg)
	}
	if msg := labelValueError(value); msg != "" {
		return newSDKError(ErrInvalidArgument, "invalid label value %q for key %q: %s", value, key, msg)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.setMetadata(m.gs.ObjectMeta.Labels, agoneswire.MetadataPrefix+key, value)
	return nil
}

// SetAnnotation sets the annotation agones.dev/sdk-<key>.
func (m *Memory) SetAnnotation(ctx context.Context, key, value string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if msg := qualifiedNameError(key); msg != "" {
		return newSDKError(ErrInvalidArgument, "invalid annotation key %q: %s", key, msg)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.setMetadata(m.gs.ObjectMeta.Annotations, agoneswire.MetadataPrefix+key, value)
	return nil
}

func (m *Memory) setMetadata(into map[string]string, key, value string) {
	if old, ok := into[key]; ok && old == value {
		return
	}
	into[key] = value
	m.changed()
}

// GetList returns a copy of the named list.
func (m *Memory) GetList(ctx context.Context, name string) (*List, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	l, ok := m.gs.Status.Lists[name]
	if !ok {
		return nil, listNotFound(name)
	}
	l = l.DeepCopy()
	l.Name = name
	return &l, nil
}

func listNotFound(name string) error {
	return newSDKError(ErrNotFound, "list not found: %s", name)
}

// AddListValue appends value to the named list. As in Agones, a full list is
// reported before a duplicate.
func (m *Memory) AddListValue(ctx context.Context, name, value string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	l, ok := m.gs.Status.Lists[name]
	if !ok {
		return listNotFound(name)
	}
	if int64(len(l.Values)) >= int64(l.Capacity) {
		return newSDKError(ErrNoCapacity, "out of range. No available capacity. Current Capacity: %d, List Size: %d",
			l.Capacity, len(l.Values))
	}
	if l.Contains(value) {
		return newSDKError(ErrAlreadyExists, "already exists. Value: %s already in List: %s", value, name)
	}
	l.Values = append(l.Values, value)
	m.gs.Status.Lists[name] = l
	m.changed()
	return nil
}

// RemoveListValue removes value from the named list.
func (m *Memory) RemoveListValue(ctx context.Context, name, value string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	l, ok := m.gs.Status.Lists[name]
	if !ok {
		return listNotFound(name)
	}
	i := slices.Index(l.Values, value)
	if i < 0 {
		return newSDKError(ErrNotFound, "not found: value %s not in list %s", value, name)
	}
	l.Values = slices.Delete(l.Values, i, i+1)
	m.gs.Status.Lists[name] = l
	m.changed()
	return nil
}

// SetListCapacity sets the capacity of the named list (0 to 1000), dropping
// the values beyond it as Agones does.
func (m *Memory) SetListCapacity(ctx context.Context, name string, capacity int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if capacity < 0 || capacity > maxListCapacity {
		return newSDKError(ErrOutOfRange, "out of range. Capacity must be within range [0,%d]. Found Capacity: %d",
			maxListCapacity, capacity)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	l, ok := m.gs.Status.Lists[name]
	if !ok {
		return listNotFound(name)
	}
	if int64(l.Capacity) == capacity {
		return nil
	}
	l.Capacity = Int64(capacity)
	if int64(len(l.Values)) > capacity {
		l.Values = l.Values[:capacity]
	}
	m.gs.Status.Lists[name] = l
	m.changed()
	return nil
}

// GetCounter returns the named counter.
func (m *Memory) GetCounter(ctx context.Context, name string) (*Counter, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.gs.Status.Counters[name]
	if !ok {
		return nil, counterNotFound(name)
	}
	c.Name = name
	return &c, nil
}

func counterNotFound(name string) error {
	return newSDKError(ErrNotFound, "counter not found: %s", name)
}

// SetCounterCount sets the count of the named counter, within [0, capacity].
func (m *Memory) SetCounterCount(ctx context.Context, name string, count int64) error {
	return m.updateCounter(ctx, name, func(c *Counter) { c.Count = Int64(count) })
}

// SetCounterCapacity sets the capacity of the named counter (not below 0).
func (m *Memory) SetCounterCapacity(ctx context.Context, name string, capacity int64) error {
	if capacity < 0 {
		return newSDKError(ErrOutOfRange,
			"out of range. Capacity must be greater than or equal to 0. Found Capacity: %d", capacity)
	}
	return m.updateCounter(ctx, name, func(c *Counter) { c.Capacity = Int64(capacity) })
}

// IncrementCounter adds diff to the named counter's count, within [0, capacity].
func (m *Memory) IncrementCounter(ctx context.Context, name string, diff int64) error {
	return m.updateCounter(ctx, name, func(c *Counter) { c.Count += Int64(diff) })
}

func (m *Memory) updateCounter(ctx context.Context, name string, update func(*Counter)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.gs.Status.Counters[name]
	if !ok {
		return counterNotFound(name)
	}
	old := c
	update(&c)
	if c.Count < 0 || c.Count > c.Capacity {
		return newSDKError(ErrOutOfRange,
			"out of range. Count must be within range [0,Capacity]. Found Count: %d, Capacity: %d", c.Count, c.Capacity)
	}
	if c == old {
		return nil
	}
	m.gs.Status.Counters[name] = c
	m.changed()
	return nil
}

// MarkUnhealthy moves the server to Unhealthy, as the Agones controller does
// when health pings stop, unless it is shutting down. It reports whether the
// state changed.
func (m *Memory) MarkUnhealthy() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.final() {
		return false
	}
	m.cancelReserve()
	m.gs.Status.State = agoneswire.StateUnhealthy
	m.changed()
	return true
}

// Snapshot returns a deep copy of the GameServer.
func (m *Memory) Snapshot() GameServer {
	m.mu.Lock()
	defer m.mu.Unlock()
	return *m.gs.DeepCopy()
}

// Peek calls fn with the live GameServer under the Memory's lock, for cheap
// reads on hot paths (a fleet scanning its servers): fn must only read, must
// not keep gs or anything in it, and must not call the Memory.
func (m *Memory) Peek(fn func(gs *GameServer)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	fn(&m.gs)
}

// LastHealth returns the time of the last health ping, or the zero time.
func (m *Memory) LastHealth() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.lastHealth
}

// HealthCount returns the number of health pings received.
func (m *Memory) HealthCount() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.healthCount
}
