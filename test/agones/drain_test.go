package agones

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	leapfrog "github.com/leapfrog-games/leapfrog/client"
	"github.com/leapfrog-games/leapfrog/contract/agoneswire"
	racev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/race/v1"
	realtimev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/realtime/v1"
	"github.com/leapfrog-games/leapfrog/test/agones/rig"
	"github.com/leapfrog-games/leapfrog/test/internal/playtest"
)

// drainPool is the label and taint of the nodes a drain test brings: only
// its release's race servers (which tolerate the taint and select the
// label) run there, so that the node it drains holds nothing else.
const drainPool = "leapfrog.dev/drain-test"

// addNode creates a kwok node of the drain pool (kwok makes it Ready and
// the rig's pod runner runs the pods scheduled on it), cordoned or not, and
// deletes it when the test ends.
func (s *suite) addNode(t *testing.T, name string, cordoned bool) {
	t.Helper()
	ctx := t.Context()
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name:        name,
			Annotations: map[string]string{"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"},
			Labels: map[string]string{"type": "kwok", "kubernetes.io/hostname": name, "kubernetes.io/os": "linux",
				"kubernetes.io/arch": "amd64", drainPool: "pool"},
		},
		Spec: corev1.NodeSpec{
			Unschedulable: cordoned,
			Taints:        []corev1.Taint{{Key: drainPool, Value: "pool", Effect: corev1.TaintEffectNoSchedule}},
		},
	}
	if err := s.admin.Create(ctx, node); err != nil {
		t.Fatalf("create node %s: %v", name, err)
	}
	t.Cleanup(func() {
		if err := s.admin.Delete(context.Background(), node); client.IgnoreNotFound(err) != nil {
			t.Errorf("delete node %s: %v", name, err)
		}
	})
	// As the rig's own node: room for every pod, reached on 127.0.0.1. A
	// patch, since kwok updates the node's status meanwhile.
	room := map[string]string{"cpu": "64", "memory": "256Gi", "pods": "500"}
	status, err := json.Marshal(map[string]any{"status": map[string]any{"allocatable": room, "capacity": room,
		"addresses": []map[string]string{{"type": "InternalIP", "address": "127.0.0.1"}, {"type": "Hostname", "address": name}}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.admin.Status().Patch(ctx, node, client.RawPatch(types.StrategicMergePatchType, status)); err != nil {
		t.Fatalf("node %s status: %v", name, err)
	}
}

// agonesEvictionBudget is the PodDisruptionBudget Agones' Helm chart puts
// in every GameServer namespace (the rig installs Agones without it): it
// refuses the eviction of the pods that eviction.safe Never labels
// agones.dev/safe-to-evict=false.
func agonesEvictionBudget() *unstructured.Unstructured {
	pdb := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
		"metadata": map[string]any{"name": "agones-gameserver-safe-to-evict-false"},
		"spec": map[string]any{
			"maxUnavailable": "0%",
			"selector":       map[string]any{"matchLabels": map[string]any{"agones.dev/safe-to-evict": "false"}},
		},
	}}
	return pdb
}

// cordon marks a node unschedulable (or schedulable again), as kubectl
// cordon and uncordon do.
func (s *suite) cordon(t *testing.T, name string, cordoned bool) {
	t.Helper()
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}}
	patch := fmt.Appendf(nil, `{"spec":{"unschedulable":%t}}`, cordoned)
	if err := s.admin.Patch(t.Context(), node, client.RawPatch(types.MergePatchType, patch)); err != nil {
		t.Fatalf("cordon %s=%t: %v", name, cordoned, err)
	}
}

// podsOn lists the pods of namespace scheduled on node.
func (s *suite) podsOn(t *testing.T, namespace, node string) []corev1.Pod {
	t.Helper()
	var pods corev1.PodList
	if err := s.admin.List(t.Context(), &pods, client.InNamespace(namespace), client.MatchingFields{"spec.nodeName": node}); err != nil {
		t.Fatalf("pods on %s: %v", node, err)
	}
	return pods.Items
}

// nodeOf is the node the pod of a GameServer runs on (Agones names the pod
// after its GameServer).
func (s *suite) nodeOf(t *testing.T, namespace, gameServer string) string {
	t.Helper()
	var pod corev1.Pod
	if err := s.admin.Get(t.Context(), client.ObjectKey{Namespace: namespace, Name: gameServer}, &pod); err != nil {
		t.Fatalf("pod of %s: %v", gameServer, err)
	}
	return pod.Spec.NodeName
}

// drainRace is one race of the drain test: its players, the GameServer
// the allocator placed it on, and whether its players race (or only wait in
// their lobby, a race that cannot end within the drain grace).
type drainRace struct {
	players    []playtest.Player
	guests     []leapfrog.Guest
	gameServer string
	racing     bool
}

// TestNodeDrainFinishesOrMovesItsRaces drains a node of high-density race
// servers the way `kubectl drain` and a cluster autoscaler do: the node is
// cordoned, the Fleet has room on another node, then one server's pod is
// evicted through the Eviction API (kubectl drain; allowed by the chart's
// fleet.evictionSafe OnUpgrade) and the other's GameServer is deleted (a
// scale-down or an operator). Each server closes to new races and lets its
// running ones finish within the drain grace; the players of races that
// cannot finish in time (they wait in their lobby) are told 1001 at its end
// and are placed again at once on the other node, where they race to a
// winner. No match after the drain began names a drained server.
func TestNodeDrainFinishesOrMovesItsRaces(t *testing.T) {
	s := needRig(t)
	const (
		perServer = 16
		races     = 18 // more than one server's: the allocator leases both
		// The rig's pod runner sends SIGKILL at most 10 s after SIGTERM (a
		// kubelet waits terminationGracePeriodSeconds): a grace of 8 s and a
		// margin of 2 keep the pod's whole grace period within it. A race of
		// the suite (1 s countdown, 5 hops of 1 s) fits in the grace.
		grace = 8 * time.Second
	)
	drained, fresh := "lf-drain-a", "lf-drain-b"
	s.addNode(t, drained, false)
	s.addNode(t, fresh, true) // cordoned: every server starts on the drained node

	values, err := json.Marshal(map[string]any{"fleet": map[string]any{
		"nodeSelector": map[string]string{drainPool: "pool"},
		"tolerations":  []map[string]string{{"key": drainPool, "operator": "Exists", "effect": "NoSchedule"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "drain-values.json")
	if err := os.WriteFile(file, values, 0o600); err != nil {
		t.Fatal(err)
	}
	o := rig.InstallOptions{RaceServer: s.state.Binary("race-server"), Objects: []*unstructured.Unstructured{agonesEvictionBudget()}}
	o.Values.Files = []string{file}
	rel, api := s.installWith(t, "drain", o, "autoscaler.enabled=false", "fleet.replicas=2",
		"fleet.racesPerServer="+strconv.Itoa(perServer), "race.rules.max-connections-per-ip=100000",
		"race.drainGraceSeconds="+strconv.Itoa(int(grace.Seconds())), "race.terminationGraceMarginSeconds=2")

	// Players of every race on the node; one race in three waits in its
	// lobby (its players never say their scene is ready).
	all := make([]*drainRace, races)
	servers := map[string]bool{}
	for i := range all {
		ga, gb := s.guest(t, api), s.guest(t, api)
		ma, mb := s.match(t, api, ga), s.match(t, api, gb)
		if ma.GameServer != mb.GameServer {
			t.Fatalf("race %d: paired on %s and %s", i, ma.GameServer, mb.GameServer)
		}
		all[i] = &drainRace{gameServer: ma.GameServer, guests: []leapfrog.Guest{ga, gb}, racing: i%3 != 2,
			players: []playtest.Player{
				playtest.Join(t, ma.WSURL, ga.PlayerID, ma.PlayerSessionToken),
				playtest.Join(t, mb.WSURL, gb.PlayerID, mb.PlayerSessionToken),
			}}
		servers[ma.GameServer] = true
	}
	if len(servers) != 2 {
		t.Fatalf("races on %d servers, want both: %v", len(servers), servers)
	}
	for gs := range servers {
		if n := s.nodeOf(t, rel.Namespace, gs); n != drained {
			t.Fatalf("GameServer %s on node %s, want %s", gs, n, drained)
		}
	}

	// The drain: cordon the node; the Fleet gets room on the other one (as
	// its autoscaler's buffer would give it), then the servers go.
	s.cordon(t, drained, true)
	s.cordon(t, fresh, false)
	fleet := &unstructured.Unstructured{}
	fleet.SetAPIVersion("agones.dev/v1")
	fleet.SetKind("Fleet")
	fleet.SetNamespace(rel.Namespace)
	fleet.SetName(rel.Fleet)
	if err := s.admin.Patch(t.Context(), fleet, client.RawPatch(types.MergePatchType, []byte(`{"spec":{"replicas":4}}`))); err != nil {
		t.Fatalf("scale Fleet %s: %v", rel.Fleet, err)
	}
	s.waitFleetReady(t, rel, 2, 2*time.Minute)

	var (
		mu       sync.Mutex
		outcomes = map[*drainRace][]playtest.Outcome{}
		closedAt = map[*drainRace]time.Time{}
		wg       sync.WaitGroup
	)
	for _, r := range all {
		wg.Go(func() {
			var outs []playtest.Outcome
			if r.racing {
				outs = playtest.RaceUntilClosed(t, r.players...)
			} else {
				for _, p := range r.players {
					lastErr, closed, err := playtest.AwaitClose(t.Context(), p.Conn)
					if err != nil {
						t.Errorf("%s: %v", p.ID, err)
					}
					outs = append(outs, playtest.Outcome{LastErr: lastErr, Closed: &closed})
				}
			}
			mu.Lock()
			defer mu.Unlock()
			outcomes[r], closedAt[r] = outs, time.Now()
		})
	}
	time.Sleep(time.Second) // the racing races are on
	began := time.Now()
	evicted := slices.Sorted(maps.Keys(servers))
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: rel.Namespace, Name: evicted[0]}}
	if err := s.admin.SubResource("eviction").Create(t.Context(), pod, &policyv1.Eviction{
		ObjectMeta: metav1.ObjectMeta{Namespace: rel.Namespace, Name: evicted[0]},
	}); err != nil {
		t.Fatalf("evict the pod of %s: %v", evicted[0], err)
	}
	if err := rig.DeleteGameServer(t.Context(), s.admin, rel.Namespace, evicted[1]); err != nil {
		t.Fatalf("delete GameServer %s: %v", evicted[1], err)
	}

	// Players of the races that could not finish ask again as soon as they
	// are told, and are placed on a live server.
	wg.Wait()
	finished, told, other := 0, 0, 0
	var rematches [][]playtest.Player
	var rematchWait []time.Duration
	for _, r := range all {
		outs := outcomes[r]
		switch {
		case len(outs) == 2 && outs[0].Result.GetReason() == racev1.RaceResult_REASON_FINISH &&
			outs[0].Closed.Code == websocket.CloseNormalClosure && outs[1].Closed.Code == websocket.CloseNormalClosure:
			finished++
			playtest.CheckOneWinner(t, r.players, outs)
		case len(outs) == 2 && outs[0].LastErr.GetCode() == realtimev1.Error_CODE_SHUTTING_DOWN &&
			outs[0].Closed.Code == websocket.CloseGoingAway && outs[1].Closed.Code == websocket.CloseGoingAway:
			told++
			if r.racing {
				t.Logf("a racing race on %s was told to go %.1fs after the drain began", r.gameServer, closedAt[r].Sub(began).Seconds())
			}
			asked := time.Now()
			ma, mb := s.match(t, api, r.guests[0]), s.match(t, api, r.guests[1])
			rematchWait = append(rematchWait, time.Since(asked))
			for _, m := range []leapfrog.Match{ma, mb} {
				if slices.Contains(evicted, m.GameServer) {
					t.Errorf("%s placed on %s after the drain began", m.PlayerID, m.GameServer)
				}
			}
			if ma.GameServer != mb.GameServer {
				t.Errorf("rematch on %s and %s, want one race", ma.GameServer, mb.GameServer)
			}
			if n := s.nodeOf(t, rel.Namespace, ma.GameServer); n != fresh {
				t.Errorf("rematch on %s on node %s, want %s", ma.GameServer, n, fresh)
			}
			rematches = append(rematches, []playtest.Player{
				playtest.Join(t, ma.WSURL, r.guests[0].PlayerID, ma.PlayerSessionToken),
				playtest.Join(t, mb.WSURL, r.guests[1].PlayerID, mb.PlayerSessionToken),
			})
		default:
			other++
			t.Errorf("race on %s (racing %v) ended neither at the finish nor told to go: %+v", r.gameServer, r.racing, outs)
		}
		if !r.racing && closedAt[r].Sub(began) < grace-time.Second {
			t.Errorf("a waiting race on %s was ended %.1fs after the drain began, before the %v grace", r.gameServer, closedAt[r].Sub(began).Seconds(), grace)
		}
	}
	var emptied time.Duration
	err = rig.Poll(t.Context(), time.Minute, func() (bool, error) {
		emptied = time.Since(began)
		return len(s.podsOn(t, rel.Namespace, drained)) == 0, nil
	}, "node %s empty", drained)
	if err != nil {
		t.Fatal(err)
	}
	for _, players := range rematches {
		wg.Go(func() { playtest.CheckOneWinner(t, players, playtest.Race(t, players...)) })
	}
	wg.Wait()
	slices.Sort(rematchWait)
	t.Logf("figure: node drain of 2 high-density servers (%d races: %d racing, %d waiting in their lobby), drain grace %v: "+
		"%d races finished, %d told 1001 and placed again on the other node (match answers %v), %d otherwise; node empty %.1fs after the drain began",
		races, races-races/3, races/3, grace, finished, told, rematchWait, other, emptied.Seconds())
	if told < races/3 {
		t.Errorf("%d races told to go, want at least the %d waiting ones", told, races/3)
	}
	if emptied > grace+5*time.Second {
		t.Errorf("node empty %.1fs after the drain began, want within the drain grace %v and its margin", emptied.Seconds(), grace)
	}
}

// TestEvictionSafeNeverBlocksADrain shows what fleet.evictionSafe Never does
// to a drain: Agones' PodDisruptionBudget refuses the eviction of a race
// server's pod (429), whatever it runs, so `kubectl drain` waits until the
// server ends by itself; the chart's default, OnUpgrade, lets it drain
// (TestNodeDrainFinishesOrMovesItsRaces).
func TestEvictionSafeNeverBlocksADrain(t *testing.T) {
	s := needRig(t)
	rel, _ := s.installWith(t, "never", rig.InstallOptions{RaceServer: s.state.Binary("race-server"),
		Objects: []*unstructured.Unstructured{agonesEvictionBudget()}},
		"autoscaler.enabled=false", "fleet.replicas=1", "fleet.racesPerServer=16", "fleet.evictionSafe=Never")
	gss, err := rig.GameServers(t.Context(), s.admin, rel.Namespace, rel.Fleet)
	if err != nil || len(gss) != 1 {
		t.Fatalf("GameServers %v: %v", gss, err)
	}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: rel.Namespace, Name: gss[0].Name}}
	eviction := &policyv1.Eviction{ObjectMeta: metav1.ObjectMeta{Namespace: rel.Namespace, Name: gss[0].Name}}
	// The budget's status is the disruption controller's: until it has
	// counted the pod an eviction is refused anyway, so ask a few times.
	var refusals int
	for range 5 {
		err := s.admin.SubResource("eviction").Create(t.Context(), pod, eviction)
		if err == nil {
			t.Fatalf("the pod of %s was evicted with eviction.safe Never", gss[0].Name)
		}
		if !apierrors.IsTooManyRequests(err) {
			t.Fatalf("eviction: %v, want 429 from the PodDisruptionBudget", err)
		}
		refusals++
		time.Sleep(time.Second)
	}
	gs, err := rig.GetGameServer(t.Context(), s.admin, rel.Namespace, gss[0].Name)
	if err != nil || gs.Deleting {
		t.Fatalf("GameServer after the refused evictions: %+v, %v", gs, err)
	}
	t.Logf("figure: eviction.safe Never: %d evictions of a Ready high-density server's pod refused (429) over %d s; the GameServer is %s", refusals, refusals, gs.State)
}

// TestMaxAgeRecyclesAServerOnRealAgones: a high-density server that reaches
// race.maxAgeSeconds labels itself closed through the real sdk-server while
// a race waits on it; the race still plays to its end, then the server shuts
// down and the Fleet replaces it; the next players are placed on the new one.
func TestMaxAgeRecyclesAServerOnRealAgones(t *testing.T) {
	s := needRig(t)
	const maxAge = 20 * time.Second // the chart's least: above race.leaseTTLSeconds (15 s)
	rel, api := s.install(t, "recycle", s.state.Binary("race-server"), "autoscaler.enabled=false", "fleet.replicas=1",
		"fleet.racesPerServer=16", "race.maxAgeSeconds="+strconv.Itoa(int(maxAge.Seconds())),
		"race.rules.max-connections-per-ip=100000")
	ready := time.Now() // just after the server's own Ready: its age counts from there

	// A race that waits in its lobby past the server's max age.
	ga, gb := s.guest(t, api), s.guest(t, api)
	ma, mb := s.match(t, api, ga), s.match(t, api, gb)
	old := ma.GameServer
	players := []playtest.Player{
		playtest.Join(t, ma.WSURL, ga.PlayerID, ma.PlayerSessionToken),
		playtest.Join(t, mb.WSURL, gb.PlayerID, mb.PlayerSessionToken),
	}
	s.waitGameServer(t, rel, old, maxAge+maxAge/10+15*time.Second, "labelled closed", func(gs rig.GameServer) bool {
		return gs.Labels[agoneswire.ClosedLabel] == agoneswire.ClosedValue
	})
	closedAfter := time.Since(ready)
	if closedAfter < maxAge-3*time.Second {
		t.Errorf("closed %.1fs after Ready, before its max age %v", closedAfter.Seconds(), maxAge)
	}
	if gs := s.gameServer(t, rel, old); gs.State != "Allocated" || len(gs.Races) != 1 {
		t.Errorf("closed server: state %s, races %v; want still Allocated with the waiting race", gs.State, gs.Races)
	}
	playtest.CheckOneWinner(t, players, playtest.Race(t, players...))
	raced := time.Now()
	s.waitGameServer(t, rel, old, time.Minute, "shut down", gone)
	down := time.Since(raced)

	// The next players: on the Fleet's new server, never on the old one.
	var mc, md leapfrog.Match
	err := rig.Poll(t.Context(), time.Minute, func() (bool, error) {
		gc, gd := s.guest(t, api), s.guest(t, api)
		var err error
		if mc, err = api.Match(t.Context(), gc.GuestToken, 1); err != nil {
			return false, nil // 503 until the new server is Ready
		}
		if md, err = api.Match(t.Context(), gd.GuestToken, 1); err != nil {
			return false, err
		}
		return true, nil
	}, "players placed after the recycling")
	if err != nil {
		t.Fatal(err)
	}
	replaced := time.Since(raced)
	if mc.GameServer == old || md.GameServer != mc.GameServer {
		t.Fatalf("placed on %s and %s after %s was recycled", mc.GameServer, md.GameServer, old)
	}
	t.Logf("figure: max age %v on real Agones: labelled closed %.1fs after Ready with a race waiting; that race played to its winner; "+
		"the server gone %.1fs after it, the next players placed on the Fleet's new server %s %.1fs after it",
		maxAge, closedAfter.Seconds(), down.Seconds(), mc.GameServer, replaced.Seconds())
}
