package agones

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	"github.com/leapfrog-games/leapfrog/contract/agonesv1"
	"github.com/leapfrog-games/leapfrog/contract/agoneswire"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime/realtimetest"
)

// fakeCluster is a namespace of a Kubernetes API with a high-density
// Fleet's GameServers in a controller-runtime fake client, the Agones
// allocation API on top (fakeAgones in cluster mode), and the game servers'
// side played by the test (startMatch, setLabel...).
type fakeCluster struct {
	t      testing.TB
	fa     *fakeAgones
	client client.WithWatch
	ns     string

	mu sync.Mutex
	// patchErr fails every PATCH; patches counts them by game server.
	patchErr error
	patches  map[string]int
}

func newFakeCluster(t testing.TB, fleet string, servers, capacity int) *fakeCluster {
	t.Helper()
	fc := &fakeCluster{t: t, fa: &fakeAgones{cluster: true}, ns: "games", patches: make(map[string]int)}
	var objs []client.Object
	for _, gs := range fc.gameServers(fleet, servers, capacity) {
		objs = append(objs, gs)
	}
	fc.client = fake.NewClientBuilder().WithScheme(testScheme(t)).WithObjects(objs...).
		WithInterceptorFuncs(fc.interceptors()).Build()
	return fc
}

// interceptors put the allocation API and the PATCH bookkeeping in front
// of a client.
func (fc *fakeCluster) interceptors() interceptor.Funcs {
	return interceptor.Funcs{Create: fc.fa.create, Patch: fc.patch}
}

// gameServers are a Fleet's Ready GameServers with an empty matches list.
func (fc *fakeCluster) gameServers(fleet string, n, capacity int) []*agonesv1.GameServer {
	var out []*agonesv1.GameServer
	for i := range n {
		out = append(out, &agonesv1.GameServer{
			TypeMeta:   metav1.TypeMeta{APIVersion: agonesv1.GroupVersion.String(), Kind: "GameServer"},
			ObjectMeta: metav1.ObjectMeta{Namespace: fc.ns, Name: fmt.Sprintf("%s-%d", fleet, i), Labels: map[string]string{agoneswire.FleetLabel: fleet}},
			Status: agonesv1.GameServerStatus{
				State: agoneswire.StateReady, Address: fmt.Sprintf("10.0.0.%d", i+1),
				Ports: []agonesv1.GameServerPort{{Name: "default", Port: int32(7000 + i)}},
				Lists: map[string]agonesv1.ListStatus{agoneswire.MatchesList: {Capacity: int64(capacity), Values: []string{}}},
			},
		})
	}
	return out
}

// allocateInCluster applies a GameServerAllocation to the GameServers of c,
// as Agones does: choose (fakeAgones' rules) among them by their matches
// list, mark the chosen one Allocated and set the request's metadata.
func allocateInCluster(ctx context.Context, c client.WithWatch, gsa *agonesv1.GameServerAllocation, req agonesv1.GameServerAllocation) error {
	var list agonesv1.GameServerList
	if err := c.List(ctx, &list, client.InNamespace(gsa.Namespace)); err != nil {
		return err
	}
	var views []*fakeGameServer
	for _, gs := range list.Items {
		views = append(views, &fakeGameServer{
			name: gs.Name, fleet: gs.Labels[agoneswire.FleetLabel], state: gs.Status.State, labels: gs.Labels, list: agoneswire.MatchesList,
			capacity: int(gs.Status.Lists[agoneswire.MatchesList].Capacity), players: gs.Status.Lists[agoneswire.MatchesList].Values,
		})
	}
	chosen := choose(req, views)
	if chosen == nil {
		gsa.Status = agonesv1.GameServerAllocationStatus{State: agonesv1.GameServerAllocationUnAllocated}
		return nil
	}
	gs := &list.Items[slices.IndexFunc(list.Items, func(g agonesv1.GameServer) bool { return g.Name == chosen.name })]
	orig := gs.DeepCopy()
	gs.Status.State = agoneswire.StateAllocated
	if md := req.Spec.Metadata; md != nil {
		if gs.Labels == nil {
			gs.Labels = map[string]string{}
		}
		if gs.Annotations == nil {
			gs.Annotations = map[string]string{}
		}
		maps.Copy(gs.Labels, md.Labels)
		maps.Copy(gs.Annotations, md.Annotations)
	}
	// A merge patch of what changed: the GameServer type here has no spec.
	if err := c.Patch(ctx, gs, client.MergeFrom(orig)); err != nil {
		return err
	}
	gsa.Status = agonesv1.GameServerAllocationStatus{
		State: agonesv1.GameServerAllocationAllocated, GameServerName: gs.Name, Address: gs.Status.Address, Ports: gs.Status.Ports, Source: "local",
		Metadata: &agonesv1.GameServerMetadata{Labels: gs.Labels, Annotations: gs.Annotations}, Lists: gs.Status.Lists,
	}
	return nil
}

// patch counts JSON PATCHes (renewals) and answers a failed JSON patch test as
// kube-apiserver does: 422 Invalid.
func (fc *fakeCluster) patch(ctx context.Context, c client.WithWatch, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
	if patch.Type() != types.JSONPatchType { // the test's own edits
		return c.Patch(ctx, obj, patch, opts...)
	}
	fc.mu.Lock()
	fc.patches[obj.GetName()]++
	err := fc.patchErr
	fc.mu.Unlock()
	if err != nil {
		return err
	}
	err = c.Patch(ctx, obj, patch, opts...)
	var status apierrors.APIStatus
	if err != nil && !errors.As(err, &status) {
		return apierrors.NewGenericServerResponse(422, "patch", agonesv1.GroupVersion.WithResource("gameservers").GroupResource(), obj.GetName(), err.Error(), 0, false)
	}
	return err
}

func (fc *fakeCluster) failPatches(err error) {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	fc.patchErr = err
}

func (fc *fakeCluster) patchCount(name string) int {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	return fc.patches[name]
}

func (fc *fakeCluster) get(name string) *agonesv1.GameServer {
	fc.t.Helper()
	var gs agonesv1.GameServer
	if err := fc.client.Get(context.Background(), client.ObjectKey{Namespace: fc.ns, Name: name}, &gs); err != nil {
		fc.t.Fatalf("get GameServer %s: %v", name, err)
	}
	return &gs
}

// edit changes a GameServer as a game server or Agones would.
func (fc *fakeCluster) edit(name string, change func(*agonesv1.GameServer)) {
	fc.t.Helper()
	// A merge patch of the change, which leaves the spec (not in this
	// GameServer type) alone on a real API server.
	gs := fc.get(name)
	orig := gs.DeepCopy()
	change(gs)
	if err := fc.client.Patch(context.Background(), gs, client.MergeFrom(orig)); err != nil {
		fc.t.Fatalf("edit GameServer %s: %v", name, err)
	}
}

// startMatch and endMatch are the game server's addValue and removeValue.
func (fc *fakeCluster) startMatch(name, match string) {
	fc.edit(name, func(gs *agonesv1.GameServer) {
		l := gs.Status.Lists[agoneswire.MatchesList]
		l.Values = append(l.Values, match)
		gs.Status.Lists[agoneswire.MatchesList] = l
	})
}

func (fc *fakeCluster) endMatch(name, match string) {
	fc.edit(name, func(gs *agonesv1.GameServer) {
		l := gs.Status.Lists[agoneswire.MatchesList]
		l.Values = slices.DeleteFunc(l.Values, func(v string) bool { return v == match })
		gs.Status.Lists[agoneswire.MatchesList] = l
	})
}

// informer is a running informer on the cluster's GameServers, as the
// manager's cache gives the allocator.
func (fc *fakeCluster) informer(ctx context.Context) toolscache.SharedIndexInformer {
	fc.t.Helper()
	lw := &toolscache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, _ metav1.ListOptions) (runtime.Object, error) {
			var list agonesv1.GameServerList
			err := fc.client.List(ctx, &list, client.InNamespace(fc.ns))
			return &list, err
		},
		WatchFuncWithContext: func(ctx context.Context, _ metav1.ListOptions) (watch.Interface, error) {
			return fc.client.Watch(ctx, &agonesv1.GameServerList{}, client.InNamespace(fc.ns))
		},
	}
	inf := toolscache.NewSharedIndexInformer(listOnlyWatcher{lw}, &agonesv1.GameServer{}, 0, toolscache.Indexers{})
	go inf.RunWithContext(ctx)
	if !toolscache.WaitForCacheSync(ctx.Done(), inf.HasSynced) {
		fc.t.Fatal("GameServer informer never synced")
	}
	return inf
}

// listOnlyWatcher tells the reflector that the fake client cannot stream
// the initial list through the watch (it would wait for that forever).
type listOnlyWatcher struct{ *toolscache.ListWatch }

func (listOnlyWatcher) IsWatchListSemanticsUnSupported() bool { return true }

// newFakeClock is a clock the test moves (Add).
func newFakeClock() *realtimetest.FakeClock {
	return realtimetest.NewFakeClock(time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC))
}
