package metricset

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/leapfrog-games/leapfrog/contract/token"
	"github.com/leapfrog-games/leapfrog/gameserver/agonessdk"
	"github.com/leapfrog-games/leapfrog/gameserver/host"
	"github.com/leapfrog-games/leapfrog/gameserver/race"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime"
	"github.com/leapfrog-games/leapfrog/internal/allocator/agones"
	"github.com/leapfrog-games/leapfrog/internal/allocator/api"
	"github.com/leapfrog-games/leapfrog/internal/allocator/backend"
	"github.com/leapfrog-games/leapfrog/internal/allocator/connlimit"
	"github.com/leapfrog-games/leapfrog/internal/allocator/placement"
	"github.com/leapfrog-games/leapfrog/internal/edge"
	"github.com/leapfrog-games/leapfrog/internal/gameserver/raceserver"
)

// Metric is one metric family a component registers.
type Metric struct {
	Name string
	// Labels are its label names: variable ones, then constant ones.
	Labels []string
	// Component registers it: allocator, edge or race-server.
	Component string
}

// All describes the metrics of the allocator (in Agones mode, one race per
// server and leases both), the edge and the race server.
func All() (map[string]Metric, error) {
	out := map[string]Metric{}
	for _, c := range []struct {
		name  string
		build func(*recorder) error
	}{
		{"allocator", allocator},
		{"edge", edgeMetrics},
		{"race-server", raceServer},
	} {
		rec := &recorder{Registry: prometheus.NewRegistry()}
		rec.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
		if err := c.build(rec); err != nil {
			return nil, fmt.Errorf("%s metrics: %w", c.name, err)
		}
		for _, m := range rec.describe() {
			m.Component = c.name
			if prev, ok := out[m.Name]; ok && prev.Component != m.Component && !strings.HasPrefix(m.Name, "go_") && !strings.HasPrefix(m.Name, "process_") {
				return nil, fmt.Errorf("%s is registered by both %s and %s", m.Name, prev.Component, m.Component)
			}
			if _, ok := out[m.Name]; !ok {
				out[m.Name] = m
			}
		}
	}
	return out, nil
}

// Sample names the series a family exposes: a histogram's name_bucket,
// name_sum and name_count, a summary's name_sum and name_count.
func Sample(families map[string]Metric, series string) (Metric, bool) {
	if m, ok := families[series]; ok {
		return m, true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(series, suffix); ok {
			if m, ok := families[base]; ok {
				if suffix == "_bucket" {
					m.Labels = append(slices.Clone(m.Labels), "le")
				}
				return m, true
			}
		}
	}
	return Metric{}, false
}

// allocator builds what allocator/app registers in Agones mode: the HTTP
// API, the connection limiter, the API probe and, with more than one race
// per server, the Leaser.
func allocator(reg *recorder) error {
	keys, err := token.GenerateKeyset("metricset")
	if err != nil {
		return err
	}
	if _, err := connlimit.New(connlimit.Config{PerIP: 1, Total: 1, Subsystem: "allocator", Registry: reg}); err != nil {
		return err
	}
	if _, err := api.New(api.Config{Backend: noBackend{}, Issuer: token.NewIssuer(keys, nil), Registry: reg, GuestTTL: time.Hour, SessionTTL: time.Minute,
		GuestRate: 1, GuestBurst: 1, MatchRate: 1, MatchBurst: 1}); err != nil {
		return err
	}
	probe, err := agones.NewAPIProbe(func(context.Context) error { return nil }, time.Second, time.Second, nil)
	if err != nil {
		return err
	}
	if err := reg.Register(probe.Collector()); err != nil {
		return err
	}
	engine, err := placement.New(placement.Config{SeatsPerMatch: 2, Pending: time.Second, SeatHold: time.Second, MatchPrefix: "m-"})
	if err != nil {
		return err
	}
	// The Leaser only registers its metrics here: it is never run, so no
	// client call is made.
	_, err = agones.NewLeaser(fake.NewClientBuilder().Build(), engine, agones.LeaseConfig{
		Config: agones.Config{Namespace: "ns", Fleet: "fleet", PortName: "default"}, ReplicaID: "r", MatchesPerServer: 16,
	}, reg, slog.New(slog.DiscardHandler))
	return err
}

// edgeMetrics builds what edge/app registers: the relay handler's metrics.
func edgeMetrics(reg *recorder) error {
	keys, err := token.GenerateKeyset("metricset")
	if err != nil {
		return err
	}
	_, err = edge.NewHandler(edge.Config{Tokens: token.NewIssuer(keys, nil), Resolver: noResolver{}, Registry: reg})
	return err
}

// raceServer builds what raceserver.Run registers: the framework's, the
// race's and the host's metrics, and the host's health.
func raceServer(reg *recorder) error {
	keys, err := token.GenerateKeyset("metricset")
	if err != nil {
		return err
	}
	hc := raceserver.DefaultOptions().Game.HostConfig(token.NewIssuer(keys, nil), realtime.NewMetrics(reg), race.NewMetrics(reg), slog.New(slog.DiscardHandler))
	hc.Metrics = host.NewMetrics(reg)
	h, err := host.New(hc, agonessdk.NewMemory(agonessdk.MemoryConfig{Name: "metricset"}))
	if err != nil {
		return err
	}
	return reg.Register(host.HealthCollector(h))
}

// recorder registers on a registry and remembers every collector, whose
// descriptions name each metric even before it has a series (a vector with
// no label values yet gathers nothing).
type recorder struct {
	*prometheus.Registry
	collectors []prometheus.Collector
}

func (r *recorder) Register(c prometheus.Collector) error {
	if err := r.Registry.Register(c); err != nil {
		return err
	}
	r.collectors = append(r.collectors, c)
	return nil
}

func (r *recorder) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		if err := r.Register(c); err != nil {
			panic(err)
		}
	}
}

func (r *recorder) describe() []Metric {
	ch := make(chan *prometheus.Desc)
	go func() {
		for _, c := range r.collectors {
			c.Describe(ch)
		}
		close(ch)
	}()
	var out []Metric
	for d := range ch {
		if m, ok := parseDesc(d.String()); ok {
			out = append(out, m)
		}
	}
	return out
}

// parseDesc reads a Desc's name and labels from its String, the only way
// client_golang shows them:
// Desc{fqName: "x", help: "...", constLabels: {k="v"}, variableLabels: {a,b}}.
func parseDesc(s string) (Metric, bool) {
	rest, ok := strings.CutPrefix(s, "Desc{fqName: ")
	if !ok {
		return Metric{}, false
	}
	name, err := strconv.QuotedPrefix(rest)
	if err != nil {
		return Metric{}, false
	}
	m := Metric{}
	m.Name, _ = strconv.Unquote(name)
	i := strings.LastIndex(s, ", constLabels: {")
	j := strings.LastIndex(s, "}, variableLabels: {")
	if i < 0 || j < i {
		return m, true
	}
	for _, kv := range strings.Split(s[i+len(", constLabels: {"):j], ",") {
		if k, _, ok := strings.Cut(kv, "="); ok {
			m.Labels = append(m.Labels, k)
		}
	}
	vars := strings.TrimSuffix(s[j+len("}, variableLabels: {"):], "}}")
	for _, v := range strings.Split(vars, ",") {
		if v = strings.TrimSuffix(strings.TrimPrefix(v, "c("), ")"); v != "" {
			m.Labels = append(m.Labels, v)
		}
	}
	slices.Sort(m.Labels)
	return m, true
}

type noBackend struct{}

func (noBackend) Allocate(context.Context, backend.AllocationRequest) (backend.Assignment, error) {
	return backend.Assignment{}, backend.ErrNoCapacity
}

type noResolver struct{}

func (noResolver) Resolve(context.Context, string) (string, error) {
	return "", edge.ErrUnknownGameServer
}
