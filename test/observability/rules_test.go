package observability

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestAlertRules renders the chart's PrometheusRule, has promtool check it,
// and runs testdata/alerts_test.yaml on it: each alert fires on synthetic
// series of its fault, with its labels and annotations, and stays silent on
// a healthy fleet.
func TestAlertRules(t *testing.T) {
	promtool := promtool(t)
	rules := renderRules(t, "", alertValues...)
	if rules == nil {
		t.Fatal("metrics.alerts.enabled rendered no PrometheusRule")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "rules.yaml"), rules, 0o600); err != nil {
		t.Fatal(err)
	}
	tests, err := os.ReadFile(filepath.Join("testdata", "alerts_test.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "alerts_test.yaml"), tests, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"check", "rules", "rules.yaml"}, {"test", "rules", "alerts_test.yaml"}} {
		cmd := exec.Command(promtool, args...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		t.Logf("promtool %s: %s", strings.Join(args, " "), strings.TrimSpace(string(out)))
	}
}

// TestEveryAlertIsTestedAndHasARunbook checks that testdata/alerts_test.yaml
// makes each rendered alert fire at least once, and that docs/operations.md
// has a section for it.
func TestEveryAlertIsTestedAndHasARunbook(t *testing.T) {
	alerts := alertNames(t, renderRules(t, "", alertValues...))
	if len(alerts) < 10 {
		t.Fatalf("rendered %d alerts: %v", len(alerts), alerts)
	}
	tests, err := os.ReadFile(filepath.Join("testdata", "alerts_test.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	runbooks, err := os.ReadFile(filepath.Join(repoRoot(t), "docs", "operations.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range alerts {
		t.Run(a, func(t *testing.T) {
			if !firesInTests(string(tests), a) {
				t.Errorf("no test case of testdata/alerts_test.yaml expects %s to fire", a)
			}
			if !strings.Contains(string(runbooks), "\n### "+a+"\n") {
				t.Errorf("docs/operations.md has no section \"### %s\"", a)
			}
		})
	}
}

// TestRulesOfEveryValueSetPassPromtool checks the rules rendered with each
// values file the chart is tested with, alerts on.
func TestRulesOfEveryValueSetPassPromtool(t *testing.T) {
	promtool := promtool(t)
	files, err := filepath.Glob(filepath.Join(repoRoot(t), "charts", "leapfrog", "ci", "*-values.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no values files (%v)", err)
	}
	for _, f := range append([]string{""}, files...) {
		t.Run(strings.TrimSuffix(filepath.Base(f), "-values.yaml"), func(t *testing.T) {
			rules := renderRules(t, f, "metrics.alerts.enabled=true")
			path := filepath.Join(t.TempDir(), "rules.yaml")
			if err := os.WriteFile(path, rules, 0o600); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command(promtool, "check", "rules", path).CombinedOutput(); err != nil {
				t.Fatalf("promtool check rules: %v\n%s", err, out)
			}
		})
	}
}
