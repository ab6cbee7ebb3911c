package observability

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/leapfrog-games/leapfrog/test/agones/rig"
)

// helmVersion is the pinned Helm that hack/tools.sh builds.
const helmVersion = "v3.22.0"

// alertValues are the --set values rules.yaml is rendered with for
// testdata/alerts_test.yaml: every alert on.
var alertValues = []string{
	"metrics.alerts.enabled=true", "edge.enabled=true", "edge.host=play.example.com",
	"race.script.enabled=true", "race.script.configMap=script",
}

func repoRoot(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot locate the test source")
	}
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// helm finds the pinned Helm ($HELM, then the tool cache) or skips.
func helm(t testing.TB) string {
	t.Helper()
	candidates := []string{os.Getenv("HELM")}
	if dir := os.Getenv("LEAPFROG_CACHE"); dir != "" {
		candidates = append(candidates, filepath.Join(dir, "helm-"+helmVersion, "helm"))
	} else if home, err := os.UserHomeDir(); err == nil {
		candidates = append(candidates, filepath.Join(home, ".cache", "leapfrog", "helm-"+helmVersion, "helm"))
	}
	for _, c := range candidates {
		if info, err := os.Stat(c); c != "" && err == nil && !info.IsDir() {
			return c
		}
	}
	t.Skipf("skipping: Helm %s not found ($HELM or the tool cache); run hack/tools.sh helm", helmVersion)
	return ""
}

// promtool finds Prometheus' promtool (Debian's prometheus package) or skips.
func promtool(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("skipping: no promtool on PATH; hack/apt-install.sh prometheus (hack/install-test-deps.sh does)")
	}
	return p
}

// renderRules renders the chart for release "lf" in namespace "lf" with set
// and returns its PrometheusRule's groups as a Prometheus rule file.
func renderRules(t testing.TB, valuesFile string, set ...string) []byte {
	t.Helper()
	chart := rig.Chart{Helm: helm(t), Dir: filepath.Join(repoRoot(t), "charts", "leapfrog"), KubeVersion: "1.36.0"}
	v := rig.Values{Set: set}
	if valuesFile != "" {
		v.Files = []string{valuesFile}
	}
	objs, err := chart.Render(t.Context(), "lf", "lf", v)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		if o.GetKind() != "PrometheusRule" {
			continue
		}
		spec, ok := o.Object["spec"].(map[string]any)
		if !ok {
			t.Fatalf("PrometheusRule %s has no spec", o.GetName())
		}
		out, err := yaml.Marshal(map[string]any{"groups": spec["groups"]})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	return nil
}
