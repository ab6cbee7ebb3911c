package agones

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/leapfrog-games/leapfrog/allocator/backend"
)

// ErrContention means Agones kept reporting contention for the game servers
// the allocation wanted, after every retry. It is reported wrapped together
// with backend.ErrNoCapacity: the client should come back later.
var ErrContention = errors.New("allocation contention")

const (
	// PlayersList is the Fleet's list of player ids, one per reserved slot.
	PlayersList = "players"
	// FleetLabel is the label Agones puts on a Fleet's game servers.
	FleetLabel = "agones.dev/fleet"
)

// ContentionBackoff paces the retries of an allocation that Agones answered
// with Contention: the colliding allocation is usually done within
// milliseconds.
var ContentionBackoff = wait.Backoff{
	Duration: 10 * time.Millisecond,
	Factor:   2,
	Jitter:   0.5,
	Steps:    5,
	Cap:      200 * time.Millisecond,
}

// Creator creates Kubernetes objects; a controller-runtime client.Client is one.
type Creator interface {
	Create(ctx context.Context, obj client.Object, opts ...client.CreateOption) error
}

// Config says which Fleet to allocate from and what to hand out.
type Config struct {
	Namespace string
	Fleet     string
	// PortName is the GameServer port clients connect to.
	PortName string
	// PublicAddress, if set, is handed out instead of the GameServer's
	// address (for example when node addresses are not reachable by clients).
	PublicAddress string
	// Backoff paces retries on contention; the zero value means ContentionBackoff.
	Backoff wait.Backoff
}

// Allocator is the Agones backend.
type Allocator struct {
	client Creator
	cfg    Config
	logger *slog.Logger
}

var _ backend.Backend = (*Allocator)(nil)

// New returns an Allocator that creates GameServerAllocations through c.
func New(c Creator, cfg Config, logger *slog.Logger) (*Allocator, error) {
	if c == nil {
		return nil, errors.New("agones: a Kubernetes client is required")
	}
	if cfg.Namespace == "" || cfg.Fleet == "" || cfg.PortName == "" {
		return nil, fmt.Errorf("agones: namespace %q, fleet %q and port name %q are all required", cfg.Namespace, cfg.Fleet, cfg.PortName)
	}
	if cfg.Backoff.Steps == 0 {
		cfg.Backoff = ContentionBackoff
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Allocator{client: c, cfg: cfg, logger: logger}, nil
}

// Allocate reserves one slot per player on one game server of the Fleet, in
// one atomic GameServerAllocation: the player's own earlier reservation
// first, then an allocated game server with enough free slots, then a Ready
// one.
func (a *Allocator) Allocate(ctx context.Context, req backend.AllocationRequest) (backend.Assignment, error) {
	if len(req.PlayerIDs) == 0 || slices.Contains(req.PlayerIDs, "") {
		return backend.Assignment{}, fmt.Errorf("agones: allocation needs non-empty player ids, got %q", req.PlayerIDs)
	}
	var (
		gsa       *GameServerAllocation
		attempts  int
		createErr error
	)
	err := wait.ExponentialBackoffWithContext(ctx, a.cfg.Backoff, func(ctx context.Context) (bool, error) {
		attempts++
		gsa = a.allocation(req.PlayerIDs)
		if err := a.client.Create(ctx, gsa); err != nil {
			createErr = fmt.Errorf("create GameServerAllocation in %s: %w", a.cfg.Namespace, err)
			return false, createErr
		}
		switch gsa.Status.State {
		case StateAllocated:
			return true, nil
		case StateContention:
			a.logger.DebugContext(ctx, "allocation contention, retrying", "attempt", attempts, "player", req.PlayerIDs[0])
			return false, nil
		case StateUnAllocated:
			createErr = fmt.Errorf("fleet %s/%s: %w for %d players", a.cfg.Namespace, a.cfg.Fleet, backend.ErrNoCapacity, len(req.PlayerIDs))
			return false, createErr
		default:
			createErr = fmt.Errorf("GameServerAllocation in %s: unknown state %q", a.cfg.Namespace, gsa.Status.State)
			return false, createErr
		}
	})
	switch {
	case err == nil:
	case createErr != nil && errors.Is(err, createErr):
		return backend.Assignment{}, err
	case ctx.Err() != nil:
		return backend.Assignment{}, fmt.Errorf("allocate from fleet %s/%s: %w", a.cfg.Namespace, a.cfg.Fleet, ctx.Err())
	default:
		return backend.Assignment{}, fmt.Errorf("fleet %s/%s: %w: %w after %d attempts", a.cfg.Namespace, a.cfg.Fleet, backend.ErrNoCapacity, ErrContention, attempts)
	}
	return a.assignment(gsa, req.PlayerIDs)
}

// allocation builds the request: the selectors of docs/contracts.md, in order.
func (a *Allocator) allocation(playerIDs []string) *GameServerAllocation {
	fleet := map[string]string{FleetLabel: a.cfg.Fleet}
	seats := int64(len(playerIDs))
	return &GameServerAllocation{
		ObjectMeta: metav1.ObjectMeta{Namespace: a.cfg.Namespace},
		Spec: GameServerAllocationSpec{
			Selectors: []GameServerSelector{
				{
					// The same player asking again gets its own slot back.
					MatchLabels:     fleet,
					GameServerState: GameServerStateAllocated,
					Lists:           map[string]ListSelector{PlayersList: {ContainsValue: playerIDs[0]}},
				},
				{
					// A race waiting for players.
					MatchLabels:     fleet,
					GameServerState: GameServerStateAllocated,
					Lists:           map[string]ListSelector{PlayersList: {MinAvailable: seats}},
				},
				{
					// A new race.
					MatchLabels:     fleet,
					GameServerState: GameServerStateReady,
					Lists:           map[string]ListSelector{PlayersList: {MinAvailable: seats}},
				},
			},
			Priorities: []Priority{{Type: "List", Key: PlayersList, Order: "Ascending"}},
			Lists:      map[string]ListAction{PlayersList: {AddValues: slices.Clone(playerIDs)}},
		},
	}
}

// assignment reads where to send the players from an Allocated status.
func (a *Allocator) assignment(gsa *GameServerAllocation, playerIDs []string) (backend.Assignment, error) {
	st := gsa.Status
	if st.GameServerName == "" {
		return backend.Assignment{}, fmt.Errorf("GameServerAllocation in %s: allocated without a game server name", a.cfg.Namespace)
	}
	i := slices.IndexFunc(st.Ports, func(p GameServerPort) bool { return p.Name == a.cfg.PortName })
	if i < 0 {
		return backend.Assignment{}, fmt.Errorf("game server %s/%s has no port named %q (ports %v)", a.cfg.Namespace, st.GameServerName, a.cfg.PortName, st.Ports)
	}
	address := st.Address
	if a.cfg.PublicAddress != "" {
		address = a.cfg.PublicAddress
	}
	if address == "" {
		return backend.Assignment{}, fmt.Errorf("game server %s/%s has no address", a.cfg.Namespace, st.GameServerName)
	}
	return backend.Assignment{
		GameServer: st.GameServerName,
		Address:    address,
		Port:       st.Ports[i].Port,
		Joined:     hasOthers(st.Lists[PlayersList].Values, playerIDs),
	}, nil
}

// hasOthers reports whether a players list holds anyone but playerIDs.
// Agones does not say which selector matched; a list with other players in
// it means the game server was already in use (a Ready one has an empty
// list). A player re-requesting its own slot alone on a server reads as a
// new allocation, which only skews the joined/created metric.
func hasOthers(values, playerIDs []string) bool {
	for _, v := range values {
		if !slices.Contains(playerIDs, v) {
			return true
		}
	}
	return false
}
