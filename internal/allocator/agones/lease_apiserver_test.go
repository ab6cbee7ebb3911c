package agones

import (
	"context"
	"encoding/json"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	"github.com/leapfrog-games/leapfrog/contract/agonesv1"
	"github.com/leapfrog-games/leapfrog/contract/agoneswire"
	"github.com/leapfrog-games/leapfrog/internal/kubetest"
	"github.com/leapfrog-games/leapfrog/internal/testwait"
)

// TestLeaseOnARealAPIServer runs the lease against a real kube-apiserver with
// the Agones GameServer CRD: the renewal's JSON patch and its tests, and the
// watch through controller-runtime's cache as the allocator wires it. Only
// the allocation API (served by the Agones extensions, not a CRD) is the
// fake's.
func TestLeaseOnARealAPIServer(t *testing.T) {
	cfg := kubetest.Start(t)
	scheme := testScheme(t)
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	real, err := client.NewWithWatch(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	fc := &fakeCluster{t: t, fa: &fakeAgones{cluster: true}, ns: "games", patches: make(map[string]int)}
	if err := real.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: fc.ns}}); err != nil {
		t.Fatal(err)
	}
	for _, gs := range append(fc.gameServers("race", 1, 2), fc.gameServers("other", 1, 2)...) {
		// Created with the spec the CRD requires, which the allocator's type leaves out.
		raw, _ := json.Marshal(gs)
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(raw); err != nil {
			t.Fatal(err)
		}
		u.Object["spec"] = map[string]any{"template": map[string]any{"spec": map[string]any{
			"containers": []any{map[string]any{"name": "race-server", "image": "leapfrog"}}}}}
		if err := real.Create(ctx, u); err != nil {
			t.Fatalf("create GameServer %s: %v", gs.Name, err)
		}
	}
	fc.client = interceptor.NewClient(real, fc.interceptors())

	// The allocator's cache: the Fleet's GameServers of its namespace only.
	informers, err := cache.New(cfg, cache.Options{
		Scheme:            scheme,
		DefaultNamespaces: map[string]cache.Config{fc.ns: {}},
		ByObject:          map[client.Object]cache.ByObject{&agonesv1.GameServer{}: {Label: labels.SelectorFromSet(labels.Set{agoneswire.FleetLabel: "race"})}},
	})
	if err != nil {
		t.Fatal(err)
	}
	clk := newFakeClock()
	l := newTestLeaser(t, fc, "alloc-a", 2, clk, func(c *LeaseConfig) { c.LowWater = 1 })
	informer, err := informers.GetInformer(ctx, &agonesv1.GameServer{})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Watch(ctx, informer); err != nil {
		t.Fatal(err)
	}
	go func() { _ = informers.Start(ctx) }()
	if !informers.WaitForCacheSync(ctx) {
		t.Fatal("cache never synced")
	}

	a := place(t, l, "p1", "p2")
	if a.GameServer != "race-0" || a.Address != "10.0.0.1" || a.Port != 7000 {
		t.Fatalf("placed %+v", a)
	}
	gs := fc.get("race-0")
	if gs.Status.State != agoneswire.StateAllocated || gs.Labels[agoneswire.LesseeLabel] != "alloc-a" {
		t.Fatalf("leased GameServer %+v", gs)
	}

	clk.Add(testRenew)
	l.renew(ctx)
	if got := fc.get("race-0").Annotations[agoneswire.LeaseRenewedAnnotation]; got != stamp(clk.Now()) {
		t.Errorf("renewed annotation %q, want %q", got, stamp(clk.Now()))
	}

	// The game server reports the match; then it ends: its room is back.
	fc.startMatch("race-0", a.Match)
	testwait.Eventually(t, "the match reported running", func() bool {
		l.mu.Lock()
		defer l.mu.Unlock()
		return l.leases["race-0"] != nil && l.leases["race-0"].confirmed && l.engine.Stats().Started == 1
	})
	fc.endMatch("race-0", a.Match)
	testwait.Eventually(t, "the ended match's room back", func() bool { return l.engine.FreeMatches() == 2 })

	// Another replica took the server: the renewal's test fails, 422 from
	// the real API server, and the lease is dropped.
	fc.edit("race-0", func(gs *agonesv1.GameServer) { gs.Labels[agoneswire.LesseeLabel] = "alloc-b" })
	testwait.Eventually(t, "the lease dropped", func() bool { return !containsName(l.held(), "race-0") })
	before := fc.get("race-0").Annotations[agoneswire.LeaseRenewedAnnotation]
	l.mu.Lock()
	l.leases["race-0"] = &lease{leasedAt: clk.Now(), renewedAt: clk.Now()} // as if the watch had lagged
	l.mu.Unlock()
	clk.Add(testRenew)
	l.renew(ctx)
	if containsName(l.held(), "race-0") || fc.get("race-0").Annotations[agoneswire.LeaseRenewedAnnotation] != before {
		t.Error("a renewal of a server another replica leased went through")
	}
	var other agonesv1.GameServer
	if err := informers.Get(context.Background(), client.ObjectKey{Namespace: fc.ns, Name: "other-0"}, &other); err == nil {
		t.Error("the cache holds another Fleet's GameServer")
	}
}
