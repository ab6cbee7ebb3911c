package rig

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Target is one scrape target as Kubernetes service discovery would give it
// to Prometheus: an address and the __meta_kubernetes_* labels of its pod
// (and Service), which the monitors' relabelling reads.
type Target struct {
	Address string
	Labels  map[string]string
}

// PodTarget is a pod's target: namespace, name, container, labels.
func PodTarget(address, namespace, pod, container string, podLabels map[string]string) Target {
	l := map[string]string{
		"__meta_kubernetes_namespace":          namespace,
		"__meta_kubernetes_pod_name":           pod,
		"__meta_kubernetes_pod_container_name": container,
	}
	for k, v := range podLabels {
		l["__meta_kubernetes_pod_label_"+sanitizeLabel(k)] = v
	}
	return Target{Address: address, Labels: l}
}

// ServiceTarget is a target behind a Service, as endpoints discovery gives it.
func ServiceTarget(address, namespace, service, pod, container string) Target {
	t := PodTarget(address, namespace, pod, container, nil)
	t.Labels["__meta_kubernetes_service_name"] = service
	return t
}

// sanitizeLabel turns a Kubernetes label name into a Prometheus one, as the
// service discovery does (agones.dev/fleet -> agones_dev_fleet).
func sanitizeLabel(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' {
			return r
		}
		return '_'
	}, s)
}

// ScrapeJob is the scrape configuration prometheus-operator generates for
// one ServiceMonitor or PodMonitor endpoint, with file-based discovery in
// place of Kubernetes': the operator's own relabelling (job, namespace,
// pod, container, service, endpoint) then the monitor's relabelings.
type ScrapeJob struct {
	// Name is the job, as the operator names it (kind/namespace/name/index).
	Name string
	// Component is the app.kubernetes.io/component the monitor selects
	// (allocator, edge, race-server).
	Component string
	// File is where the job's targets are written (file_sd JSON).
	File   string
	config map[string]any
}

// ScrapeJobs converts the ServiceMonitors and PodMonitors among objs, which
// the chart rendered for namespace, into scrape jobs whose targets are
// files in dir.
func ScrapeJobs(objs []*unstructured.Unstructured, namespace, dir string) ([]ScrapeJob, error) {
	var jobs []ScrapeJob
	for _, o := range objs {
		var field, prefix string
		switch o.GetKind() {
		case "ServiceMonitor":
			field, prefix = "endpoints", "serviceMonitor"
		case "PodMonitor":
			field, prefix = "podMetricsEndpoints", "podMonitor"
		default:
			continue
		}
		endpoints, _, err := unstructured.NestedSlice(o.Object, "spec", field)
		if err != nil || len(endpoints) == 0 {
			return nil, fmt.Errorf("%s %s: no %s", o.GetKind(), o.GetName(), field)
		}
		for i, e := range endpoints {
			ep, _ := e.(map[string]any)
			name := fmt.Sprintf("%s/%s/%s/%d", prefix, namespace, o.GetName(), i)
			file := filepath.Join(dir, sanitizeLabel(name)+".json")
			relabel := []map[string]any{
				{"source_labels": []string{"__meta_kubernetes_namespace"}, "target_label": "namespace"},
				{"source_labels": []string{"__meta_kubernetes_pod_name"}, "target_label": "pod"},
				{"source_labels": []string{"__meta_kubernetes_pod_container_name"}, "target_label": "container"},
				{"target_label": "endpoint", "replacement": fmt.Sprint(ep["port"])},
			}
			if o.GetKind() == "ServiceMonitor" {
				// The operator's default job label is the Service's name.
				relabel = append(relabel,
					map[string]any{"source_labels": []string{"__meta_kubernetes_service_name"}, "target_label": "service"},
					map[string]any{"source_labels": []string{"__meta_kubernetes_service_name"}, "target_label": "job"})
			} else {
				relabel = append(relabel, map[string]any{"target_label": "job", "replacement": namespace + "/" + o.GetName()})
			}
			own, _ := ep["relabelings"].([]any)
			for _, r := range own {
				rm, _ := r.(map[string]any)
				relabel = append(relabel, snakeKeys(rm))
			}
			cfg := map[string]any{}
			if iv, _ := ep["interval"].(string); iv != "" {
				// The monitor's own interval; a scrape may take all of it.
				cfg["scrape_interval"], cfg["scrape_timeout"] = iv, iv
			}
			for k, v := range map[string]any{
				"job_name":        name,
				"metrics_path":    fmt.Sprint(ep["path"]),
				"file_sd_configs": []map[string]any{{"files": []string{file}, "refresh_interval": "1s"}},
				"relabel_configs": relabel,
			} {
				cfg[k] = v
			}
			component, _, _ := unstructured.NestedString(o.Object, "spec", "selector", "matchLabels", "app.kubernetes.io/component")
			jobs = append(jobs, ScrapeJob{Name: name, Component: component, File: file, config: cfg})
		}
	}
	return jobs, nil
}

// snakeKeys renames a monitor's relabeling keys (sourceLabels) to the
// Prometheus configuration's (source_labels).
func snakeKeys(m map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		var b strings.Builder
		for _, r := range k {
			if r >= 'A' && r <= 'Z' {
				b.WriteByte('_')
				r += 'a' - 'A'
			}
			b.WriteRune(r)
		}
		out[b.String()] = v
	}
	return out
}

// WriteTargets writes a job's file_sd targets atomically (Prometheus
// rereads the file when it changes).
func (j ScrapeJob) WriteTargets(targets []Target) error {
	type group struct {
		Targets []string          `json:"targets"`
		Labels  map[string]string `json:"labels"`
	}
	groups := []group{}
	for _, t := range targets {
		groups = append(groups, group{Targets: []string{t.Address}, Labels: t.Labels})
	}
	data, err := json.Marshal(groups)
	if err != nil {
		return err
	}
	tmp := j.File + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, j.File)
}

// PrometheusConfig is a whole configuration: the jobs, static jobs (name ->
// host:port), the rule files, and one interval for scrapes and rules.
func PrometheusConfig(jobs []ScrapeJob, static map[string]string, ruleFiles []string, interval time.Duration) ([]byte, error) {
	var scrape []map[string]any
	for _, j := range jobs {
		scrape = append(scrape, j.config)
	}
	for _, name := range sortedKeys(static) {
		scrape = append(scrape, map[string]any{"job_name": name, "static_configs": []map[string]any{{"targets": []string{static[name]}}}})
	}
	return yaml.Marshal(map[string]any{
		"global": map[string]any{
			"scrape_interval": interval.String(), "evaluation_interval": interval.String(), "scrape_timeout": interval.String(),
		},
		"rule_files":     ruleFiles,
		"scrape_configs": scrape,
	})
}

// Prometheus is a Prometheus server run as a local process.
type Prometheus struct {
	URL string
	PID int
	Log string
}

// StartPrometheus runs bin (Debian's /usr/bin/prometheus) on listen with the
// configuration file config, keeping its data in dir, and waits until it is
// ready.
func StartPrometheus(ctx context.Context, bin, config, dir, listen string) (*Prometheus, error) {
	addr, err := resolvePort(listen)
	if err != nil {
		return nil, err
	}
	p := &Prometheus{URL: "http://" + addr, Log: filepath.Join(dir, "prometheus.log")}
	logFile, err := os.Create(p.Log)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	cmd := exec.Command(bin, "--config.file="+config, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--web.enable-lifecycle",
		// scrape_body_size_bytes: the bytes of each scrape, beside the samples.
		"--enable-feature=extra-scrape-metrics")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start prometheus: %w", err)
	}
	p.PID = cmd.Process.Pid
	go func() { _ = cmd.Wait() }()
	client := &http.Client{Timeout: 2 * time.Second}
	err = Poll(ctx, 30*time.Second, func() (bool, error) {
		resp, err := client.Get(p.URL + "/-/ready")
		if err != nil {
			return false, err
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, fmt.Errorf("/-/ready: %s", resp.Status)
	}, "prometheus %s to be ready (log %s)", p.URL, p.Log)
	if err != nil {
		StopPID(p.PID, 5*time.Second)
		return nil, err
	}
	return p, nil
}

// Stop ends the process.
func (p *Prometheus) Stop() { StopPID(p.PID, 10*time.Second) }

// Series is one evaluated series: its labels and its points.
type Series struct {
	Labels map[string]string
	Points []Point
}

// Point is a sample: time and value.
type Point struct {
	T time.Time
	V float64
}

// QueryRange evaluates expr over [start, end] at step.
func (p *Prometheus) QueryRange(ctx context.Context, expr string, start, end time.Time, step time.Duration) ([]Series, error) {
	q := url.Values{"query": {expr}, "start": {fmt.Sprint(start.Unix())}, "end": {fmt.Sprint(end.Unix())}, "step": {step.String()}}
	var out struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []struct {
				Metric map[string]string `json:"metric"`
				Values [][2]any          `json:"values"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := p.get(ctx, "/api/v1/query_range?"+q.Encode(), &out); err != nil {
		return nil, fmt.Errorf("query %s: %w", expr, err)
	}
	if out.Status != "success" {
		return nil, fmt.Errorf("query %s: %s", expr, out.Error)
	}
	var series []Series
	for _, r := range out.Data.Result {
		s := Series{Labels: r.Metric}
		for _, v := range r.Values {
			ts, _ := v[0].(float64)
			str, _ := v[1].(string)
			f, err := strconv.ParseFloat(str, 64)
			if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
				continue // a quantile of no observations: no point
			}
			s.Points = append(s.Points, Point{T: time.Unix(0, int64(ts*1e9)), V: f})
		}
		series = append(series, s)
	}
	return series, nil
}

// Query evaluates expr now.
func (p *Prometheus) Query(ctx context.Context, expr string) ([]Series, error) {
	now := time.Now()
	return p.QueryRange(ctx, expr, now, now, time.Second)
}

// Alert is one entry of /api/v1/alerts.
type Alert struct {
	Labels map[string]string `json:"labels"`
	State  string            `json:"state"`
}

// Alerts lists the pending and firing alerts.
func (p *Prometheus) Alerts(ctx context.Context) ([]Alert, error) {
	var out struct {
		Data struct {
			Alerts []Alert `json:"alerts"`
		} `json:"data"`
	}
	return out.Data.Alerts, p.get(ctx, "/api/v1/alerts", &out)
}

// AlertState is the state of the named alert: firing, pending, or inactive
// when it is not listed.
func (p *Prometheus) AlertState(ctx context.Context, name string) (string, error) {
	alerts, err := p.Alerts(ctx)
	if err != nil {
		return "", err
	}
	state := "inactive"
	for _, a := range alerts {
		if a.Labels["alertname"] == name && (state == "inactive" || a.State == "firing") {
			state = a.State
		}
	}
	return state, nil
}

// TargetsUp lists the active targets' scrape URLs by health (up, down,
// unknown).
func (p *Prometheus) TargetsUp(ctx context.Context) (map[string][]string, error) {
	var out struct {
		Data struct {
			ActiveTargets []struct {
				ScrapeURL string `json:"scrapeUrl"`
				Health    string `json:"health"`
			} `json:"activeTargets"`
		} `json:"data"`
	}
	if err := p.get(ctx, "/api/v1/targets", &out); err != nil {
		return nil, err
	}
	by := map[string][]string{}
	for _, t := range out.Data.ActiveTargets {
		by[t.Health] = append(by[t.Health], t.ScrapeURL)
	}
	for _, v := range by {
		slices.Sort(v)
	}
	return by, nil
}

func (p *Prometheus) get(ctx context.Context, path string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.URL+path, nil)
	if err != nil {
		return err
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return json.NewDecoder(resp.Body).Decode(v)
}
