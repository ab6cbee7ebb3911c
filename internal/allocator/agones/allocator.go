package agones

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"syscall"
	"time"

	"go.opentelemetry.io/otel/trace"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/leapfrog-games/leapfrog/contract/agonesv1"
	"github.com/leapfrog-games/leapfrog/contract/agoneswire"
	"github.com/leapfrog-games/leapfrog/internal/allocator/backend"
	"github.com/leapfrog-games/leapfrog/internal/tracing"
)

// ErrContention means Agones kept reporting contention for the game servers
// the allocation wanted, after every retry. It is reported wrapped together
// with backend.ErrNoCapacity: the client should come back later.
var ErrContention = errors.New("allocation contention")

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

// APIBackoff paces the retries of a GameServerAllocation create that failed
// with a transient API error (about 1.5 s in all, within the allocate
// timeout): a restarting API server or extensions pod is often back by then.
var APIBackoff = wait.Backoff{
	Duration: 100 * time.Millisecond,
	Factor:   2,
	Jitter:   0.5,
	Steps:    4,
	Cap:      time.Second,
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
	// APIBackoff paces retries on transient API errors; the zero value
	// means APIBackoff.
	APIBackoff wait.Backoff
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
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Allocator{client: c, cfg: cfg, logger: logger}, nil
}

// withDefaults checks the required fields and fills in the backoffs.
func (cfg Config) withDefaults() (Config, error) {
	if cfg.Namespace == "" || cfg.Fleet == "" || cfg.PortName == "" {
		return cfg, fmt.Errorf("agones: namespace %q, fleet %q and port name %q are all required", cfg.Namespace, cfg.Fleet, cfg.PortName)
	}
	if cfg.Backoff.Steps == 0 {
		cfg.Backoff = ContentionBackoff
	}
	if cfg.APIBackoff.Steps == 0 {
		cfg.APIBackoff = APIBackoff
	}
	return cfg, nil
}

// Allocate reserves one slot per player on one game server of the Fleet, in
// one atomic GameServerAllocation: the player's own earlier reservation
// first, then an allocated game server with enough free slots, then a Ready
// one; servers whose match is over (agoneswire.ClosedLabel) are never chosen.
// Contention is retried on Backoff and transient API errors on APIBackoff;
// an API that stays unreachable is backend.ErrUnavailable.
func (a *Allocator) Allocate(ctx context.Context, req backend.AllocationRequest) (backend.Assignment, error) {
	if len(req.PlayerIDs) == 0 || slices.Contains(req.PlayerIDs, "") {
		return backend.Assignment{}, fmt.Errorf("agones: allocation needs non-empty player ids, got %q", req.PlayerIDs)
	}
	tracing.SetMode(ctx, tracing.ModeOneMatch)
	gsa, err := a.cfg.allocate(ctx, a.client, a.logger, fmt.Sprintf("%d players", len(req.PlayerIDs)), func() *agonesv1.GameServerAllocation {
		return a.allocation(req.PlayerIDs)
	})
	if err != nil {
		return backend.Assignment{}, err
	}
	return a.assignment(gsa, req.PlayerIDs)
}

// allocate creates the GameServerAllocation that build returns until Agones
// answers Allocated, and returns it. Contention is retried on cfg.Backoff and
// transient API errors on cfg.APIBackoff. UnAllocated, and contention that
// outlasts its retries, wrap backend.ErrNoCapacity; an API that stays
// unreachable wraps backend.ErrUnavailable. what names the allocation in
// errors and logs ("2 players", "a lease").
func (cfg Config) allocate(ctx context.Context, c Creator, logger *slog.Logger, what string, build func() *agonesv1.GameServerAllocation) (gsa *agonesv1.GameServerAllocation, err error) {
	ctx, span := tracing.Start(ctx, "create GameServerAllocation", trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attrNamespace.String(cfg.Namespace), attrFleet.String(cfg.Fleet)))
	defer func() { endAllocation(span, gsa, err) }()
	contention, api := cfg.Backoff, cfg.APIBackoff
	for attempt := 1; ; attempt++ {
		gsa := build()
		err := c.Create(ctx, gsa)
		var wait time.Duration
		switch {
		case err != nil && ctx.Err() != nil:
			return nil, fmt.Errorf("allocate from fleet %s/%s: %w: %w", cfg.Namespace, cfg.Fleet, backend.ErrUnavailable, ctx.Err())
		case err != nil && !Transient(err):
			return nil, fmt.Errorf("create GameServerAllocation in %s: %w", cfg.Namespace, err)
		case err != nil:
			if api.Steps <= 1 {
				return nil, fmt.Errorf("create GameServerAllocation in %s: %w after %d attempts: %w", cfg.Namespace, backend.ErrUnavailable, attempt, err)
			}
			logger.DebugContext(ctx, "transient API error, retrying", "attempt", attempt, "for", what, "err", err)
			retried(span, attempt, "transient API error")
			wait = api.Step()
		case gsa.Status.State == agonesv1.GameServerAllocationAllocated:
			return gsa, nil
		case gsa.Status.State == agonesv1.GameServerAllocationUnAllocated:
			return nil, fmt.Errorf("fleet %s/%s: %w for %s", cfg.Namespace, cfg.Fleet, backend.ErrNoCapacity, what)
		case gsa.Status.State == agonesv1.GameServerAllocationContention:
			if contention.Steps <= 1 {
				return nil, fmt.Errorf("fleet %s/%s: %w: %w after %d attempts", cfg.Namespace, cfg.Fleet, backend.ErrNoCapacity, ErrContention, attempt)
			}
			logger.DebugContext(ctx, "allocation contention, retrying", "attempt", attempt, "for", what)
			retried(span, attempt, string(agonesv1.GameServerAllocationContention))
			wait = contention.Step()
		default:
			return nil, fmt.Errorf("GameServerAllocation in %s: unknown state %q", cfg.Namespace, gsa.Status.State)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("allocate from fleet %s/%s: %w: %w", cfg.Namespace, cfg.Fleet, backend.ErrUnavailable, ctx.Err())
		case <-t.C:
		}
	}
}

// Transient reports whether a Kubernetes API error may go away by itself:
// the API server or the Agones extensions behind it overloaded, restarting or
// unreachable. Anything else (forbidden, invalid, not found) will not.
func Transient(err error) bool {
	switch {
	case apierrors.IsServerTimeout(err), apierrors.IsTimeout(err), apierrors.IsTooManyRequests(err),
		apierrors.IsServiceUnavailable(err), apierrors.IsInternalError(err), apierrors.IsUnexpectedServerError(err):
		return true
	}
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		code := status.Status().Code
		return code == http.StatusBadGateway || code == http.StatusServiceUnavailable || code == http.StatusGatewayTimeout || code == http.StatusInternalServerError
	}
	var netErr net.Error
	return errors.As(err, &netErr) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}

// allocation builds the request: the selectors of docs/contracts.md, in order.
func (a *Allocator) allocation(playerIDs []string) *agonesv1.GameServerAllocation {
	fleet := map[string]string{agoneswire.FleetLabel: a.cfg.Fleet}
	// A match that is over takes nobody, not even its own players again.
	open := []metav1.LabelSelectorRequirement{{Key: agoneswire.ClosedLabel, Operator: metav1.LabelSelectorOpNotIn, Values: []string{agoneswire.ClosedValue}}}
	seats := int64(len(playerIDs))
	return &agonesv1.GameServerAllocation{
		ObjectMeta: metav1.ObjectMeta{Namespace: a.cfg.Namespace},
		Spec: agonesv1.GameServerAllocationSpec{
			Selectors: []agonesv1.GameServerSelector{
				{
					// The same player asking again gets its own slot back.
					MatchLabels:      fleet,
					MatchExpressions: open,
					GameServerState:  agoneswire.StateAllocated,
					Lists:            map[string]agonesv1.ListSelector{agoneswire.PlayersList: {ContainsValue: playerIDs[0]}},
				},
				{
					// A match waiting for players.
					MatchLabels:      fleet,
					MatchExpressions: open,
					GameServerState:  agoneswire.StateAllocated,
					Lists:            map[string]agonesv1.ListSelector{agoneswire.PlayersList: {MinAvailable: seats}},
				},
				{
					// A new match.
					MatchLabels:      fleet,
					MatchExpressions: open,
					GameServerState:  agoneswire.StateReady,
					Lists:            map[string]agonesv1.ListSelector{agoneswire.PlayersList: {MinAvailable: seats}},
				},
			},
			Priorities: []agonesv1.Priority{{Type: agonesv1.PriorityList, Key: agoneswire.PlayersList, Order: agonesv1.Ascending}},
			Lists:      map[string]agonesv1.ListAction{agoneswire.PlayersList: {AddValues: slices.Clone(playerIDs)}},
		},
	}
}

// assignment reads where to send the players from an Allocated status.
func (a *Allocator) assignment(gsa *agonesv1.GameServerAllocation, playerIDs []string) (backend.Assignment, error) {
	st := gsa.Status
	if st.GameServerName == "" {
		return backend.Assignment{}, fmt.Errorf("GameServerAllocation in %s: allocated without a game server name", a.cfg.Namespace)
	}
	port, err := a.cfg.port(st.GameServerName, st.Ports)
	if err != nil {
		return backend.Assignment{}, err
	}
	// Agones drops list additions beyond capacity without failing the
	// allocation: a token for a player not in the list would be refused by
	// the game server.
	values := st.Lists[agoneswire.PlayersList].Values
	if absent := slices.DeleteFunc(slices.Clone(playerIDs), func(id string) bool { return slices.Contains(values, id) }); len(absent) > 0 {
		if slices.Contains(values, playerIDs[0]) {
			return backend.Assignment{}, fmt.Errorf("game server %s/%s has no room for %q: %w", a.cfg.Namespace, st.GameServerName, absent, backend.ErrSeatsTaken)
		}
		return backend.Assignment{}, fmt.Errorf("game server %s/%s: %q not in its players list %q after allocation: %w", a.cfg.Namespace, st.GameServerName, absent, values, backend.ErrNoCapacity)
	}
	address, err := a.cfg.address(st.GameServerName, st.Address)
	if err != nil {
		return backend.Assignment{}, err
	}
	return backend.Assignment{
		GameServer: st.GameServerName,
		Address:    address,
		Port:       port,
		Joined:     hasOthers(st.Lists[agoneswire.PlayersList].Values, playerIDs),
	}, nil
}

// port finds the game port among a game server's ports.
func (cfg Config) port(server string, ports []agonesv1.GameServerPort) (int32, error) {
	i := slices.IndexFunc(ports, func(p agonesv1.GameServerPort) bool { return agoneswire.IsGamePort(p.Name, cfg.PortName) })
	if i < 0 {
		return 0, fmt.Errorf("game server %s/%s has no port named %q (ports %v)", cfg.Namespace, server, cfg.PortName, ports)
	}
	return ports[i].Port, nil
}

// address is where clients reach a game server: PublicAddress if set, else
// the game server's own.
func (cfg Config) address(server, own string) (string, error) {
	if cfg.PublicAddress != "" {
		return cfg.PublicAddress, nil
	}
	if own == "" {
		return "", fmt.Errorf("game server %s/%s has no address", cfg.Namespace, server)
	}
	return own, nil
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
