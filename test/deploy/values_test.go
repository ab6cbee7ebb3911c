package deploy

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"

	"github.com/leapfrog-games/leapfrog/test/internal/metricset"
)

// TestValuesAreDocumented checks that every key of values.yaml has a comment. A comment starting with "--"
// documents the whole value (a map such as resources, or a list); keys under it need no comment of their own.
func TestValuesAreDocumented(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(repoRoot(t), chartDir, "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	var undocumented []string
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		if n.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			key, value := n.Content[i], n.Content[i+1]
			keyPath := strings.TrimPrefix(path+"."+key.Value, ".")
			comment := strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(key.HeadComment+key.LineComment), "#"))
			if comment == "" {
				undocumented = append(undocumented, keyPath)
				continue
			}
			if !strings.HasPrefix(comment, "--") {
				walk(value, keyPath)
			}
		}
	}
	walk(doc.Content[0], "")
	if len(undocumented) > 0 {
		t.Errorf("values without a comment: %s", strings.Join(undocumented, ", "))
	}
}

// TestSchemaDescribesEveryValue checks that values.schema.json knows every top-level section and every
// documented key, so that its additionalProperties: false never rejects a value the chart ships.
func TestSchemaDescribesEveryValue(t *testing.T) {
	root := repoRoot(t)
	rawSchema, err := os.ReadFile(filepath.Join(root, chartDir, "values.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	var schema map[string]any
	if err := json.Unmarshal(rawSchema, &schema); err != nil {
		t.Fatalf("values.schema.json: %v", err)
	}
	rawValues, err := os.ReadFile(filepath.Join(root, chartDir, "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var values map[string]any
	if err := yaml.Unmarshal(rawValues, &values); err != nil {
		t.Fatal(err)
	}
	var missing []string
	var walk func(v map[string]any, s map[string]any, path string)
	walk = func(v map[string]any, s map[string]any, path string) {
		props, _ := s["properties"].(map[string]any)
		for key, value := range v {
			keyPath := strings.TrimPrefix(path+"."+key, ".")
			sub, ok := props[key].(map[string]any)
			if !ok {
				if s["additionalProperties"] == false {
					missing = append(missing, keyPath)
				}
				continue
			}
			if m, ok := value.(map[string]any); ok {
				walk(m, sub, keyPath)
			}
		}
	}
	walk(values, schema, "")
	slices.Sort(missing)
	if len(missing) > 0 {
		t.Errorf("values.yaml keys the schema does not describe: %v", missing)
	}
}

// TestDashboard checks the Grafana dashboard: valid JSON, a panel for each metric the services and Agones
// export, and no query on a metric nobody exports.
func TestDashboard(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(repoRoot(t), chartDir, "dashboards", "leapfrog.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		UID    string `json:"uid"`
		Title  string `json:"title"`
		Panels []struct {
			ID      int    `json:"id"`
			Type    string `json:"type"`
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
		Templating struct {
			List []struct {
				Name string `json:"name"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatalf("dashboard JSON: %v", err)
	}
	if dash.UID == "" || dash.Title == "" {
		t.Errorf("dashboard needs a uid and a title")
	}

	// The metrics the components really register (test/internal/metricset), and Agones' own.
	families, err := metricset.All()
	if err != nil {
		t.Fatal(err)
	}
	exported := []string{
		"agones_gameservers_count", "agones_gameservers_total", "agones_fleets_replicas_count",
		"agones_fleet_autoscalers_desired_replicas_count", "agones_fleet_autoscalers_current_replicas_count",
		"agones_fleet_autoscalers_limited",
	}
	for name := range families {
		if strings.HasPrefix(name, "leapfrog_") {
			exported = append(exported, name)
		}
	}
	metricName := regexp.MustCompile(`\b(?:leapfrog|agones)_[a-z0-9_]+`)
	queried := map[string]bool{}
	ids := map[int]bool{}
	variables := map[string]bool{"__rate_interval": true}
	for _, v := range dash.Templating.List {
		variables[v.Name] = true
	}
	for _, p := range dash.Panels {
		if ids[p.ID] {
			t.Errorf("panel id %d used twice", p.ID)
		}
		ids[p.ID] = true
		if p.Type != "row" && len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, target := range p.Targets {
			for _, m := range metricName.FindAllString(target.Expr, -1) {
				base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(m, "_bucket"), "_sum"), "_count")
				if slices.Contains(exported, m) {
					base = m
				}
				if !slices.Contains(exported, base) {
					t.Errorf("panel %q queries %s, which nothing exports", p.Title, m)
				}
				queried[base] = true
			}
			for _, v := range regexp.MustCompile(`\$\{?(\w+)`).FindAllStringSubmatch(target.Expr, -1) {
				if !variables[v[1]] {
					t.Errorf("panel %q uses undefined variable $%s", p.Title, v[1])
				}
			}
		}
	}
	for _, m := range []string{
		"leapfrog_allocator_allocations_total", "leapfrog_allocator_kube_api_up", "leapfrog_host_races_running",
		"leapfrog_host_healthy", "leapfrog_realtime_players_connected", "leapfrog_edge_connections_total",
		"leapfrog_race_hop_broadcast_latency_seconds", "leapfrog_allocator_lease_renewals_total",
	} {
		if !queried[m] {
			t.Errorf("no panel shows %s", m)
		}
	}
}
