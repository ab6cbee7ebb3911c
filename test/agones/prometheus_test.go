package agones

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/discovery"

	"github.com/leapfrog-games/leapfrog/client/bot"
	"github.com/leapfrog-games/leapfrog/test/agones/rig"
	"github.com/leapfrog-games/leapfrog/test/internal/dashboard"
	"github.com/leapfrog-games/leapfrog/test/internal/playtest"
	"github.com/leapfrog-games/leapfrog/test/internal/plot"
)

const (
	// promInterval is the scrape and rule evaluation interval of the test's
	// Prometheus; promWindow the rules' rate window, four scrapes and more.
	promInterval = time.Second
	promWindow   = "15s"
	// rateInterval stands for Grafana's $__rate_interval in the panels.
	rateInterval = "15s"
	// agonesMetrics is the Agones controller's /metrics (it always serves
	// http on :8080 in v1.60).
	agonesMetrics = "127.0.0.1:8080"
)

// observed is a release scraped by the test's Prometheus, with the
// monitors the chart rendered for it.
type observed struct {
	rel  *rig.Release
	jobs []rig.ScrapeJob
	// allocators and edge are the processes standing in for its pods.
	allocators []*rig.Allocator
	edge       *rig.Allocator
}

// TestPrometheusOnRealAgones runs Debian's Prometheus against two releases
// on the rig, scraping the allocators, the edge, every race server and the
// Agones controller the way the chart's ServiceMonitor and PodMonitors say
// (the operator's relabelling, then the monitors' own), with the chart's
// alerting rules at short windows. A bot run shows every dashboard panel's
// query returning data (each panel drawn as a PNG); a wedged race server
// (LeapfrogRaceServerWedged, and Agones' LeapfrogRaceServersUnhealthy) and
// a burst past capacity (LeapfrogPlayersRefusedNoCapacity) and the
// kube-apiserver stopped (LeapfrogKubernetesAPIUnreachable) each bring their
// alerts to firing, then back to inactive.
func TestPrometheusOnRealAgones(t *testing.T) {
	s := needRig(t)
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		t.Skip("no prometheus on PATH: hack/apt-install.sh prometheus")
	}
	out := filepath.Join(s.state.Dir, "observability", time.Now().UTC().Format("20060102-150405"))
	if err := os.MkdirAll(out, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Logf("output (Prometheus config, rules, log, panel PNGs): %s", out)

	// One race per server through the edge, with the fault switch, and a
	// small autoscaler to burst past; and a high-density release with its
	// leases.
	single := []string{"edge.enabled=true", "edge.host=play.example.com", "fleet.replicas=2",
		"autoscaler.buffer.bufferSize=1", "autoscaler.buffer.minReplicas=2", "autoscaler.buffer.maxReplicas=3"}
	dense := []string{"autoscaler.enabled=false", "fleet.racesPerServer=8", "fleet.replicas=1",
		"race.rules.max-connections-per-ip=100000"}
	obs := s.observe(t, out, "obs", s.state.Binary("race-server-faults"), single)
	obsDense := s.observe(t, out, "obsdense", s.state.Binary("race-server"), dense)
	edge, err := obs.rel.StartEdge(t.Context(), s.state.Binary("edge"), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { edge.Stop(25 * time.Second) })
	obs.edge = edge
	a, err := obs.rel.StartAllocator(t.Context(), s.state.Binary("allocator"), "127.0.0.1:0", false, "edge-url="+edge.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Stop(15 * time.Second) })
	obs.allocators = append(obs.allocators, a)
	api := s.apiFor(t, a.URL)

	// The test's copy of the chart's rules: the release's values, alerts on,
	// short windows and durations.
	rules := renderRules(t, s, "obs", append(slices.Clone(single),
		"metrics.alerts.enabled=true", "metrics.alerts.window="+promWindow,
		"metrics.alerts.noCapacity.for=2s", "metrics.alerts.kubeAPIUnreachable.for=2s",
		"metrics.alerts.matchSlow.for=2s", "metrics.alerts.autoscalerAtMaximum.for=2s"))
	rulesFile := filepath.Join(out, "rules.yaml")
	if err := os.WriteFile(rulesFile, rules, 0o600); err != nil {
		t.Fatal(err)
	}
	jobs := slices.Concat(obs.jobs, obsDense.jobs)
	config, err := rig.PrometheusConfig(jobs, map[string]string{"agones-controller": agonesMetrics}, []string{rulesFile}, promInterval)
	if err != nil {
		t.Fatal(err)
	}
	configFile := filepath.Join(out, "prometheus.yaml")
	if err := os.WriteFile(configFile, config, 0o600); err != nil {
		t.Fatal(err)
	}
	// Targets before Prometheus starts, then kept current as pods come and go.
	targets := &targetWriter{s: s, releases: []*observed{obs, obsDense}}
	if err := targets.write(); err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.WithoutCancel(t.Context()))
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		targets.loop(ctx)
	}()
	t.Cleanup(func() { stop(); wg.Wait() })
	prom, err := rig.StartPrometheus(t.Context(), bin, configFile, out, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(prom.Stop)

	// The healthy run: the bot through the edge, and on the leases.
	started := time.Now()
	var bots sync.WaitGroup
	for _, b := range []struct {
		name, allocator string
		races           int
	}{{"edge", a.URL, 3}, {"dense", obsDense.rel.Allocators[0].URL, 4}} {
		bots.Add(1)
		go func() {
			defer bots.Done()
			sum, err := bot.Run(t.Context(), bot.Config{
				Allocator: b.allocator, Races: b.races, Concurrency: 1,
				HopDelay: 50 * time.Millisecond, HopJitter: 20 * time.Millisecond,
				RaceTimeout: 2 * time.Minute, HTTPClient: loopback, Dial: playtest.DialOptions, Seed: 20,
			})
			if err != nil || !sum.OK() {
				t.Errorf("bots (%s): %v %s", b.name, err, sum)
				return
			}
			t.Logf("bots (%s): %s", b.name, sum)
		}()
	}
	bots.Wait()
	time.Sleep(4 * promInterval) // the last scrapes of the run
	healthy := time.Now()
	up, err := prom.TargetsUp(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("targets up: %d, down: %d %v", len(up["up"]), len(up["down"]), up["down"])
	if len(up["up"]) < 6 {
		t.Errorf("%d targets up, want the allocators, the edge, the race servers and Agones: %v", len(up["up"]), up)
	}
	s.checkPanels(t, prom, out, started, healthy, obs, obsDense)
	logScrapeCost(t, prom)

	for _, name := range []string{"LeapfrogRaceServerWedged", "LeapfrogPlayersRefusedNoCapacity"} {
		if state, err := prom.AlertState(t.Context(), name); err != nil || state != "inactive" {
			t.Errorf("%s is %s (%v) after the healthy run, want inactive", name, state, err)
		}
	}

	// Fault 1: a race server's loop wedged mid-race.
	r := s.startRace(t, obs.rel, api)
	admin := adminPort(t, r.pod)
	resp, err := loopback.Post(fmt.Sprintf("http://127.0.0.1:%d/debug/fault/wedge", admin), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	wedged := time.Now()
	for _, p := range r.players {
		_, _, _ = playtest.AwaitClose(t.Context(), p.Conn)
	}
	awaitAlert(t, prom, "LeapfrogRaceServerWedged", "firing", wedged, 30*time.Second)
	s.waitGameServer(t, obs.rel, r.gameServer, healthDeadline, "Unhealthy or gone", gone)
	// Agones' own count of Unhealthy servers, which also sees crashes.
	awaitAlert(t, prom, "LeapfrogRaceServersUnhealthy", "firing", wedged, time.Minute)
	awaitAlert(t, prom, "LeapfrogRaceServerWedged", "inactive", wedged, 2*time.Minute)
	awaitAlert(t, prom, "LeapfrogRaceServersUnhealthy", "inactive", wedged, 2*time.Minute)
	s.waitFleetReady(t, obs.rel, 2, 2*time.Minute)

	// Fault 2: a burst of players past the Fleet's maximum (3 servers, 6 seats).
	burst := time.Now()
	res := s.burst(t, api, 16)
	t.Logf("on a Fleet of at most 3 servers (6 seats): %s", res)
	if res.failures["HTTP 503 no_capacity"] == 0 || res.unclean() > 0 {
		t.Fatal("the burst did not go past capacity cleanly (503 no_capacity only)")
	}
	awaitAlert(t, prom, "LeapfrogPlayersRefusedNoCapacity", "firing", burst, 30*time.Second)
	s.logAlert(t, prom, "LeapfrogAutoscalerAtMaximum")
	awaitAlert(t, prom, "LeapfrogPlayersRefusedNoCapacity", "inactive", burst, 2*time.Minute)

	// Fault 3: the kube-apiserver stopped (SIGSTOP) until the alert fires.
	resume := stopAPIServer(t)
	stopped := time.Now()
	awaitAlert(t, prom, "LeapfrogKubernetesAPIUnreachable", "firing", stopped, 30*time.Second)
	resume()
	awaitAlert(t, prom, "LeapfrogKubernetesAPIUnreachable", "inactive", stopped, time.Minute)
}

// observe installs a release whose monitors the test's Prometheus scrapes.
func (s *suite) observe(t *testing.T, out, name, raceServer string, set []string) *observed {
	t.Helper()
	rel, _ := s.install(t, name, raceServer, set...)
	// The allocator's scrape checks the Kubernetes API (at most 2 s): its
	// interval, the scrape's timeout, leaves room for that.
	objs := renderObjects(t, s, name, append(slices.Clone(set), "metrics.serviceMonitor.enabled=true", "metrics.podMonitor.enabled=true",
		"metrics.serviceMonitor.interval=3s", "metrics.podMonitor.interval="+promInterval.String()))
	jobs, err := rig.ScrapeJobs(objs, rel.Namespace, out)
	if err != nil {
		t.Fatal(err)
	}
	o := &observed{rel: rel, jobs: jobs}
	for i := range rel.Allocators {
		o.allocators = append(o.allocators, &rel.Allocators[i])
	}
	return o
}

// renderObjects renders a release of the suite as install does.
func renderObjects(t *testing.T, s *suite, name string, set []string) []*unstructured.Unstructured {
	t.Helper()
	in, err := s.state.Installer()
	if err != nil {
		t.Fatal(err)
	}
	valuesFile, err := filepath.Abs("values.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// helm install renders for the API server it installs on.
	dc, err := discovery.NewDiscoveryClientForConfig(in.Config)
	if err != nil {
		t.Fatal(err)
	}
	v, err := dc.ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	chart := in.Chart
	chart.KubeVersion = v.GitVersion
	objs, err := chart.Render(t.Context(), name, "leapfrog-"+name, rig.Values{Files: []string{valuesFile}, Set: set})
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

// renderRules renders the release's PrometheusRule as a rule file.
func renderRules(t *testing.T, s *suite, name string, set []string) []byte {
	t.Helper()
	for _, o := range renderObjects(t, s, name, set) {
		if o.GetKind() == "PrometheusRule" {
			data, err := yaml.Marshal(map[string]any{"groups": o.Object["spec"].(map[string]any)["groups"]})
			if err != nil {
				t.Fatal(err)
			}
			return data
		}
	}
	t.Fatal("no PrometheusRule rendered")
	return nil
}

// targetWriter writes each job's targets from the rig's processes: the
// release's allocators and edge, and the race servers the pod runner runs.
type targetWriter struct {
	s        *suite
	releases []*observed
}

func (w *targetWriter) loop(ctx context.Context) {
	tick := time.NewTicker(promInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			_ = w.write() // a pod that went away between reads: the next tick has it right
		}
	}
}

func (w *targetWriter) write() error {
	pods, err := rig.Pods(w.s.state.PodLogs)
	if err != nil {
		return err
	}
	for _, o := range w.releases {
		for _, j := range o.jobs {
			var targets []rig.Target
			switch j.Component {
			case "allocator":
				for _, a := range o.allocators {
					host := strings.TrimPrefix(a.URL, "http://")
					targets = append(targets, rig.ServiceTarget(host, o.rel.Namespace, o.rel.Name+"-leapfrog-allocator",
						o.rel.Name+"-allocator-"+strings.ReplaceAll(host, ":", "-"), "allocator"))
				}
			case "edge":
				if o.edge != nil {
					u, _ := url.Parse(o.edge.AdminURL)
					targets = append(targets, rig.PodTarget(u.Host, o.rel.Namespace, o.rel.Name+"-edge-0", "edge",
						map[string]string{"app.kubernetes.io/component": "edge"}))
				}
			case "race-server":
				for key, p := range pods {
					ns, name, _ := strings.Cut(key, "/")
					if ns != o.rel.Namespace || p.GamePID <= 0 || !rig.Alive(p.GamePID) {
						continue
					}
					ports, err := rig.ListeningPorts(p.GamePID)
					if err != nil {
						continue
					}
					ports = slices.DeleteFunc(ports, func(port int) bool { return port == p.Port })
					if len(ports) != 1 {
						continue // not listening yet
					}
					targets = append(targets, rig.PodTarget(fmt.Sprintf("127.0.0.1:%d", ports[0]), ns, name, "race-server",
						map[string]string{"agones.dev/fleet": o.rel.Fleet, "app.kubernetes.io/component": "race-server"}))
				}
			}
			if err := j.WriteTargets(targets); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkPanels evaluates every query of the dashboard over the healthy run,
// fails a query that returns no data, and draws each panel as a PNG.
func (s *suite) checkPanels(t *testing.T, prom *rig.Prometheus, out string, from, to time.Time, releases ...*observed) {
	t.Helper()
	var namespaces, fleets []string
	for _, o := range releases {
		namespaces, fleets = append(namespaces, o.rel.Namespace), append(fleets, o.rel.Fleet)
	}
	d, err := dashboard.Chart()
	if err != nil {
		t.Fatal(err)
	}
	vars := strings.NewReplacer("$namespace", strings.Join(namespaces, "|"), "$fleet", strings.Join(fleets, "|"),
		"$__rate_interval", rateInterval)
	legend := regexp.MustCompile(`\{\{\s*(\w+)\s*\}\}`)
	n := 0
	for _, p := range d.Panels {
		if p.Type == "row" {
			continue
		}
		chart := plot.Chart{Title: p.Title, Unit: p.FieldConfig.Defaults.Unit}
		for _, q := range p.Targets {
			expr := vars.Replace(q.Expr)
			series, err := prom.QueryRange(t.Context(), expr, from, to, 2*time.Second)
			if err != nil {
				t.Errorf("panel %q: %v", p.Title, err)
				continue
			}
			points := 0
			for _, sr := range series {
				ps := plot.Series{Legend: legend.ReplaceAllStringFunc(q.LegendFormat, func(m string) string {
					return sr.Labels[legend.FindStringSubmatch(m)[1]]
				})}
				for _, pt := range sr.Points {
					ps.T, ps.V = append(ps.T, pt.T), append(ps.V, pt.V)
				}
				points += len(ps.V)
				chart.Series = append(chart.Series, ps)
			}
			if points == 0 {
				t.Errorf("panel %q: no data for %s", p.Title, expr)
			}
			t.Logf("panel %q: %d series, %d points: %s", p.Title, len(series), points, expr)
		}
		file := filepath.Join(out, fmt.Sprintf("panel-%02d-%s.png", p.ID, strings.Trim(regexp.MustCompile(`[^a-z0-9]+`).ReplaceAllString(strings.ToLower(p.Title), "-"), "-")))
		f, err := os.Create(file)
		if err != nil {
			t.Fatal(err)
		}
		if err := chart.WritePNG(f); err != nil {
			t.Errorf("panel %q: %v", p.Title, err)
		}
		f.Close()
		n++
	}
	t.Logf("%d panels evaluated over %.0fs of healthy run, drawn in %s", n, to.Sub(from).Seconds(), out)
}

// adminPort is the race server's admin port: the one it listens on besides
// its game port.
func adminPort(t *testing.T, p rig.Pod) int {
	t.Helper()
	ports, err := rig.ListeningPorts(p.GamePID)
	if err != nil {
		t.Fatal(err)
	}
	ports = slices.DeleteFunc(ports, func(port int) bool { return port == p.Port })
	if len(ports) != 1 {
		t.Fatalf("race server %d listens on %v besides its game port %d, want one admin port", p.GamePID, ports, p.Port)
	}
	return ports[0]
}

// awaitAlert polls /api/v1/alerts until the alert is in state, and logs how
// long after since that took.
func awaitAlert(t *testing.T, prom *rig.Prometheus, name, state string, since time.Time, timeout time.Duration) {
	t.Helper()
	var last string
	err := rig.Poll(t.Context(), timeout, func() (bool, error) {
		var err error
		last, err = prom.AlertState(t.Context(), name)
		return last == state, err
	}, "alert %s to be %s", name, state)
	if err != nil {
		t.Fatalf("%v (last %s)", err, last)
	}
	t.Logf("alert %s %s %.1fs after the fault", name, state, time.Since(since).Seconds())
}

// logAlert logs an alert's state: one the fault may or may not bring.
func (s *suite) logAlert(t *testing.T, prom *rig.Prometheus, name string) {
	t.Helper()
	state, err := prom.AlertState(t.Context(), name)
	t.Logf("alert %s: %s (%v)", name, state, err)
}

// logScrapeCost logs, per target, the samples and bytes of its last scrape.
func logScrapeCost(t *testing.T, prom *rig.Prometheus) {
	t.Helper()
	samples, err := prom.Query(t.Context(), "scrape_samples_scraped")
	if err != nil {
		t.Fatal(err)
	}
	bytes, err := prom.Query(t.Context(), "scrape_body_size_bytes")
	if err != nil {
		t.Fatal(err)
	}
	size := map[string]float64{}
	for _, b := range bytes {
		if len(b.Points) > 0 {
			size[b.Labels["instance"]] = b.Points[0].V
		}
	}
	for _, sm := range samples {
		if len(sm.Points) == 0 {
			continue
		}
		t.Logf("figure: scrape of %s %s (%s): %.0f samples, %.0f bytes", sm.Labels["job"], sm.Labels["pod"], sm.Labels["instance"],
			sm.Points[0].V, size[sm.Labels["instance"]])
	}
}
