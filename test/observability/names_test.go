package observability

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/leapfrog-games/leapfrog/test/internal/dashboard"
	"github.com/leapfrog-games/leapfrog/test/internal/metricset"
)

// agonesMetrics are the Agones v1.60 controller's metrics the rules and the
// dashboard use, with their labels (Agones' pkg/metrics/controller_metrics.go;
// the Prometheus exporter prefixes agones_). The real-Agones test scrapes
// them from the controller itself.
var agonesMetrics = map[string][]string{
	"agones_fleet_autoscalers_limited":                {"fleet_name", "name", "namespace"},
	"agones_fleet_autoscalers_desired_replicas_count": {"fleet_name", "name", "namespace"},
	"agones_fleet_autoscalers_current_replicas_count": {"fleet_name", "name", "namespace"},
	"agones_gameservers_count":                        {"fleet_name", "namespace", "type"},
	"agones_gameservers_total":                        {"fleet_name", "namespace", "type"},
	"agones_fleets_replicas_count":                    {"name", "namespace", "type"},
}

// targetLabels are what the scrape adds to every series (prometheus-operator's
// job, namespace, pod, container, endpoint, service, instance, and the
// chart's PodMonitor relabelling: fleet, gameserver).
var targetLabels = []string{"job", "instance", "namespace", "pod", "container", "endpoint", "service", "fleet", "gameserver", "exported_namespace"}

var (
	selector = regexp.MustCompile(`\b((?:leapfrog|agones)_[a-z0-9_]+)(\{[^}]*\})?`)
	matcher  = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)`)
)

// checkExpr reports each metric or label in expr that no component (or
// Agones) exports.
func checkExpr(t *testing.T, families map[string]metricset.Metric, where, expr string) (used []string) {
	t.Helper()
	for _, m := range selector.FindAllStringSubmatch(expr, -1) {
		name, matchers := m[1], m[2]
		var labels []string
		if strings.HasPrefix(name, "agones_") {
			var ok bool
			if labels, ok = agonesMetrics[name]; !ok {
				t.Errorf("%s: %s is not among the Agones metrics this chart knows", where, name)
				continue
			}
		} else {
			fam, ok := metricset.Sample(families, name)
			if !ok {
				t.Errorf("%s: %s is registered by no component", where, name)
				continue
			}
			labels = fam.Labels
		}
		for _, l := range matcher.FindAllStringSubmatch(matchers, -1) {
			if !slices.Contains(labels, l[1]) && !slices.Contains(targetLabels, l[1]) {
				t.Errorf("%s: %s has no label %q (it has %v)", where, name, l[1], labels)
			}
		}
		used = append(used, name)
	}
	return used
}

// TestRulesUseRegisteredMetrics checks every metric and label matcher of
// every alert against the metrics the components register.
func TestRulesUseRegisteredMetrics(t *testing.T) {
	families, err := metricset.All()
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Groups []struct {
			Rules []struct {
				Alert string `yaml:"alert"`
				Expr  string `yaml:"expr"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(renderRules(t, "", alertValues...), &file); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, g := range file.Groups {
		for _, r := range g.Rules {
			if len(checkExpr(t, families, r.Alert, r.Expr)) == 0 {
				t.Errorf("%s queries no metric: %s", r.Alert, r.Expr)
			}
			n++
		}
	}
	if n == 0 {
		t.Fatal("no rules rendered")
	}
}

// TestDashboardUsesRegisteredMetrics checks that every panel has a unit, and
// a legend and a registered metric in each query.
func TestDashboardUsesRegisteredMetrics(t *testing.T) {
	families, err := metricset.All()
	if err != nil {
		t.Fatal(err)
	}
	d, err := dashboard.Chart()
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range d.Templating.List {
		if v.Definition != "" && len(checkExpr(t, families, "variable $"+v.Name, v.Definition)) == 0 {
			t.Errorf("variable $%s queries no metric: %s", v.Name, v.Definition)
		}
	}
	for _, p := range d.Panels {
		if p.Type == "row" {
			continue
		}
		t.Run(p.Title, func(t *testing.T) {
			if len(p.Targets) == 0 {
				t.Fatal("no query")
			}
			if p.FieldConfig.Defaults.Unit == "" {
				t.Error("no unit")
			}
			for _, q := range p.Targets {
				if q.LegendFormat == "" {
					t.Errorf("query %q has no legend", q.Expr)
				}
				if len(checkExpr(t, families, p.Title, q.Expr)) == 0 {
					t.Errorf("query %q uses no Leapfrog or Agones metric", q.Expr)
				}
			}
		})
	}
}
