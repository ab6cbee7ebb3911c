package dashboard

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

// Dashboard is the part of a Grafana dashboard the tests read.
type Dashboard struct {
	UID        string  `json:"uid"`
	Title      string  `json:"title"`
	Panels     []Panel `json:"panels"`
	Templating struct {
		List []struct {
			Name string `json:"name"`
			// Definition is a query variable's query (label_values(...)).
			Definition string `json:"definition"`
		} `json:"list"`
	} `json:"templating"`
}

// Panel is one panel: a row, or a chart with its queries.
type Panel struct {
	ID          int    `json:"id"`
	Type        string `json:"type"`
	Title       string `json:"title"`
	Description string `json:"description"`
	FieldConfig struct {
		Defaults struct {
			Unit string `json:"unit"`
		} `json:"defaults"`
	} `json:"fieldConfig"`
	Targets []Target `json:"targets"`
}

// Target is one query of a panel.
type Target struct {
	Expr         string `json:"expr"`
	LegendFormat string `json:"legendFormat"`
}

// Load reads a dashboard file.
func Load(path string) (Dashboard, error) {
	var d Dashboard
	raw, err := os.ReadFile(path)
	if err != nil {
		return d, err
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		return d, fmt.Errorf("dashboard %s: %w", path, err)
	}
	return d, nil
}

// Chart reads the chart's own dashboard, charts/leapfrog/dashboards/leapfrog.json.
func Chart() (Dashboard, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return Dashboard{}, fmt.Errorf("cannot locate the repository")
	}
	return Load(filepath.Join(filepath.Dir(file), "..", "..", "..", "charts", "leapfrog", "dashboards", "leapfrog.json"))
}
