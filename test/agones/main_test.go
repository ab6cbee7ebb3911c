package agones

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	crlog "sigs.k8s.io/controller-runtime/pkg/log"

	leapfrog "github.com/leapfrog-games/leapfrog/client"
	"github.com/leapfrog-games/leapfrog/test/agones/rig"
	"github.com/leapfrog-games/leapfrog/test/internal/playtest"
)

// optIn is the variable that turns the suite on.
const optIn = "LEAPFROG_REALAGONES"

const howToRun = "the real-Agones suite is opt-in: build the Agones v1.60.0 binaries (README: Real Agones), then " +
	"`AGONES_BIN=... make agones-e2e`, or `AGONES_BIN=... hack/agones-up.sh` and `LEAPFROG_REALAGONES=1 go test ./test/agones/`"

// suite is the rig as hack/agones-up.sh left it.
type suite struct {
	state *rig.State
	admin client.Client
	// main is the release installed by agones-up.sh, with its allocator.
	main *rig.Release
	api  *leapfrog.Client
}

// loopback talks to processes on this machine only, never through a proxy.
var loopback = &http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: 30 * time.Second}

func init() {
	// The suite's Kubernetes clients log nothing worth reading.
	crlog.SetLogger(logr.Discard())
}

// needRig skips the test unless the suite is turned on and the rig is up.
func needRig(t *testing.T) *suite {
	t.Helper()
	if os.Getenv(optIn) != "1" {
		t.Skip(howToRun)
	}
	state, err := rig.LoadState(rig.DefaultDir())
	if errors.Is(err, rig.ErrNotUp) {
		t.Skipf("%v (%s)", err, howToRun)
	}
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := state.RESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	admin, err := client.New(cfg, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	main := state.Releases[0]
	if _, err := rig.GetFleet(t.Context(), admin, main.Namespace, main.Fleet); err != nil {
		t.Skipf("the rig's API server does not answer (%v): run hack/agones-up.sh", err)
	}
	api, err := leapfrog.New(main.Allocators[0].URL, loopback)
	if err != nil {
		t.Fatal(err)
	}
	// Races are far longer here than on the local stack: real sidecars, real
	// controllers, one machine.
	playtest.WaitFor = 90 * time.Second
	return &suite{state: state, admin: admin, main: main, api: api}
}

func (s *suite) guest(t *testing.T, api *leapfrog.Client) leapfrog.Guest {
	t.Helper()
	g, err := api.Guest(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func (s *suite) match(t *testing.T, api *leapfrog.Client, g leapfrog.Guest) leapfrog.Match {
	t.Helper()
	m, err := api.Match(t.Context(), g.GuestToken, 1)
	if err != nil {
		t.Fatalf("match %s: %v", g.PlayerID, err)
	}
	return m
}

// gameServer reads a GameServer of a release.
func (s *suite) gameServer(t *testing.T, rel *rig.Release, name string) rig.GameServer {
	t.Helper()
	gs, err := rig.GetGameServer(t.Context(), s.admin, rel.Namespace, name)
	if err != nil {
		t.Fatal(err)
	}
	return gs
}

// waitGameServer polls a GameServer until ok says true.
func (s *suite) waitGameServer(t *testing.T, rel *rig.Release, name string, timeout time.Duration, what string, ok func(rig.GameServer) bool) rig.GameServer {
	t.Helper()
	var gs rig.GameServer
	err := rig.Poll(t.Context(), timeout, func() (bool, error) {
		var err error
		gs, err = rig.GetGameServer(t.Context(), s.admin, rel.Namespace, name)
		return err == nil && ok(gs), err
	}, "GameServer %s/%s: %s", rel.Namespace, name, what)
	if err != nil {
		t.Fatalf("%v; last seen %+v", err, gs)
	}
	return gs
}

// waitFleetReady waits until the Fleet has every wanted replica Ready or
// Allocated and at least min Ready, and returns how long that took.
func (s *suite) waitFleetReady(t *testing.T, rel *rig.Release, min int64, timeout time.Duration) time.Duration {
	t.Helper()
	return s.watchFleet(t, rel, timeout, fmt.Sprintf("%d Ready", min), func(f rig.Fleet) bool {
		return f.ReadyReplicas >= min && f.ReadyReplicas+f.AllocatedReplicas >= f.Replicas
	})
}

// install installs a further release for one test and removes it when the
// test ends, with an allocator process of its own.
func (s *suite) install(t *testing.T, name string, raceServer string, set ...string) (*rig.Release, *leapfrog.Client) {
	t.Helper()
	return s.installWith(t, name, rig.InstallOptions{RaceServer: raceServer}, set...)
}

// installWith is install with more of the release's inputs: values files
// after the suite's own, and objects created before it.
func (s *suite) installWith(t *testing.T, name string, o rig.InstallOptions, set ...string) (*rig.Release, *leapfrog.Client) {
	t.Helper()
	in, err := s.state.Installer()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.WithoutCancel(t.Context())
	valuesFile, err := filepath.Abs("values.yaml")
	if err != nil {
		t.Fatal(err)
	}
	o.Release, o.Namespace = name, "leapfrog-"+name
	o.Values = rig.Values{Files: append([]string{valuesFile}, o.Values.Files...), Set: set}
	rel, err := in.Install(t.Context(), o)
	if rel != nil || err != nil {
		t.Cleanup(func() {
			if rel == nil {
				rel = &rig.Release{Name: name, Namespace: "leapfrog-" + name}
			}
			if err := in.Uninstall(ctx, rel); err != nil {
				t.Errorf("uninstall %s: %v", name, err)
			}
		})
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("release %s: Fleet %s/%s Ready %.1fs after the apply", name, rel.Namespace, rel.Fleet, rel.FleetReady.Seconds())
	a := s.startAllocator(t, rel)
	api, err := leapfrog.New(a.URL, loopback)
	if err != nil {
		t.Fatal(err)
	}
	return rel, api
}

// startAllocator runs one more allocator process of rel, stopped when the
// test ends.
func (s *suite) startAllocator(t *testing.T, rel *rig.Release) *rig.Allocator {
	t.Helper()
	a, err := rel.StartAllocator(t.Context(), s.state.Binary("allocator"), "127.0.0.1:0", false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Stop(15 * time.Second) })
	return a
}

// pod is what the rig's pod runner runs for a GameServer.
func (s *suite) pod(t *testing.T, rel *rig.Release, gameServer string) rig.Pod {
	t.Helper()
	var p rig.Pod
	err := rig.Poll(t.Context(), 30*time.Second, func() (bool, error) {
		pods, err := rig.Pods(s.state.PodLogs)
		if err != nil {
			return false, err
		}
		p = pods[rel.Namespace+"/"+gameServer]
		return p.GamePID > 0 && p.SDKPID > 0, nil
	}, "the pod runner to list %s/%s", rel.Namespace, gameServer)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// percentile of sorted durations, nearest rank.
func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(p*float64(len(s))+0.5) - 1
	return s[min(max(i, 0), len(s)-1)]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// apiFor is a client of another allocator process.
func (s *suite) apiFor(t *testing.T, url string) *leapfrog.Client {
	t.Helper()
	api, err := leapfrog.New(url, loopback)
	if err != nil {
		t.Fatal(err)
	}
	return api
}
