package agones

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/leapfrog-games/leapfrog/contract/agonesv1"
	"github.com/leapfrog-games/leapfrog/contract/agoneswire"
)

// fakeAgones plays the Agones allocation API for a fake client's Create: it
// keeps a Fleet's game servers and applies each GameServerAllocation as
// Agones documents it (ordered selectors, List priority, list additions that
// skip duplicates and values beyond capacity).
type fakeAgones struct {
	mu      sync.Mutex
	servers []*fakeGameServer
	// contention answers this many allocations with Contention first.
	contention int
	// err fails every create; failures fail the next creates, one each.
	err      error
	failures []error
	// sent records each request as decoded from the JSON sent.
	sent []agonesv1.GameServerAllocation
	// cluster: the game servers are the GameServers of the fake client
	// (see fakeCluster), not servers.
	cluster bool
}

type fakeGameServer struct {
	name    string
	fleet   string
	state   agoneswire.GameServerState
	address string
	ports   []agonesv1.GameServerPort
	// list names the list that capacity and players are of: agoneswire.PlayersList
	// when empty.
	list     string
	capacity int
	players  []string
	labels   map[string]string
}

func newFakeAgones(fleet string, n int) *fakeAgones {
	f := &fakeAgones{}
	for i := range n {
		f.servers = append(f.servers, &fakeGameServer{
			name:    fmt.Sprintf("%s-%d", fleet, i),
			fleet:   fleet,
			state:   agoneswire.StateReady,
			address: fmt.Sprintf("10.0.0.%d", i+1),
			// The game port as Agones shows a TCPUDP port: split in two halves of one number.
			ports:    []agonesv1.GameServerPort{{Name: "metrics", Port: 9000}, {Name: "default-udp", Port: int32(7000 + i)}, {Name: "default-tcp", Port: int32(7000 + i)}},
			capacity: 2,
		})
	}
	return f
}

func (f *fakeAgones) create(ctx context.Context, c client.WithWatch, obj client.Object, _ ...client.CreateOption) error {
	gsa, ok := obj.(*agonesv1.GameServerAllocation)
	if !ok {
		return fmt.Errorf("fake Agones: unexpected %T", obj)
	}
	// Read the request as the API server would: from its JSON.
	raw, err := json.Marshal(gsa)
	if err != nil {
		return err
	}
	var req agonesv1.GameServerAllocation
	if err := json.Unmarshal(raw, &req); err != nil {
		return err
	}

	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent = append(f.sent, req)
	if f.err != nil {
		return f.err
	}
	if len(f.failures) > 0 {
		err := f.failures[0]
		f.failures = f.failures[1:]
		return err
	}
	if f.contention > 0 {
		f.contention--
		gsa.Status = agonesv1.GameServerAllocationStatus{State: agonesv1.GameServerAllocationContention}
		return nil
	}
	if f.cluster {
		return allocateInCluster(ctx, c, gsa, req)
	}
	gs := choose(req, f.servers)
	if gs == nil {
		gsa.Status = agonesv1.GameServerAllocationStatus{State: agonesv1.GameServerAllocationUnAllocated}
		return nil
	}
	gs.state = agoneswire.StateAllocated
	for _, v := range req.Spec.Lists[agoneswire.PlayersList].AddValues {
		if !slices.Contains(gs.players, v) && len(gs.players) < gs.capacity {
			gs.players = append(gs.players, v)
		}
	}
	gsa.Status = agonesv1.GameServerAllocationStatus{
		State:          agonesv1.GameServerAllocationAllocated,
		GameServerName: gs.name,
		Ports:          slices.Clone(gs.ports),
		Address:        gs.address,
		Source:         "local",
		Lists:          map[string]agonesv1.ListStatus{agoneswire.PlayersList: {Capacity: int64(gs.capacity), Values: slices.Clone(gs.players)}},
	}
	return nil
}

// choose picks the game server an allocation gets, as Agones does: the
// first selector that matches any, and among its matches the one with the
// least room in its list (List priority Ascending, Packed). nil: UnAllocated.
func choose(req agonesv1.GameServerAllocation, servers []*fakeGameServer) *fakeGameServer {
	for _, sel := range req.Spec.Selectors {
		var candidates []*fakeGameServer
		for _, gs := range servers {
			if gs.matches(sel) {
				candidates = append(candidates, gs)
			}
		}
		if len(candidates) == 0 {
			continue
		}
		slices.SortStableFunc(candidates, func(a, b *fakeGameServer) int {
			return (a.capacity - len(a.players)) - (b.capacity - len(b.players))
		})
		return candidates[0]
	}
	return nil
}

func (gs *fakeGameServer) matches(sel agonesv1.GameServerSelector) bool {
	for k, v := range sel.MatchLabels {
		if k == agoneswire.FleetLabel {
			if v != gs.fleet {
				return false
			}
			continue
		}
		if gs.labels[k] != v {
			return false
		}
	}
	if sel.GameServerState != "" && sel.GameServerState != gs.state {
		return false
	}
	for _, e := range sel.MatchExpressions {
		v, has := gs.labels[e.Key]
		switch e.Operator {
		case metav1.LabelSelectorOpIn:
			if !has || !slices.Contains(e.Values, v) {
				return false
			}
		case metav1.LabelSelectorOpNotIn:
			if has && slices.Contains(e.Values, v) {
				return false
			}
		case metav1.LabelSelectorOpExists:
			if !has {
				return false
			}
		case metav1.LabelSelectorOpDoesNotExist:
			if has {
				return false
			}
		default:
			return false
		}
	}
	for name, ls := range sel.Lists {
		if name != cmp.Or(gs.list, agoneswire.PlayersList) {
			return false
		}
		if ls.ContainsValue != "" && !slices.Contains(gs.players, ls.ContainsValue) {
			return false
		}
		available := int64(gs.capacity - len(gs.players))
		if available < ls.MinAvailable || (ls.MaxAvailable > 0 && available > ls.MaxAvailable) {
			return false
		}
	}
	return true
}

func (f *fakeAgones) requests() []agonesv1.GameServerAllocation {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.sent)
}
