package deploy

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	sigsyaml "sigs.k8s.io/yaml"
)

const (
	helmVersion = "v3.22.0"
	k8sVersion  = "v1.37.2"
	// kubeVersion is what Helm renders for: the newest Kubernetes that Agones 1.60 supports.
	kubeVersion = "1.36.0"
	releaseName = "leapfrog"
	chartDir    = "charts/leapfrog"
)

// repoRoot is the root of the repository, found from this file's location.
func repoRoot(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot locate the test source")
	}
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// toolCache is the folder hack/tools.sh installs into.
func toolCache() string {
	if dir := os.Getenv("LEAPFROG_CACHE"); dir != "" {
		return dir
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(home, ".cache", "leapfrog")
}

// helmCandidates are the places the pinned Helm is looked for: $HELM, then the tool cache.
func helmCandidates() []string {
	return []string{os.Getenv("HELM"), filepath.Join(toolCache(), "helm-"+helmVersion, "helm")}
}

// helmInstalled reports whether the pinned Helm is there.
func helmInstalled() bool {
	for _, c := range helmCandidates() {
		if info, err := os.Stat(c); c != "" && err == nil && !info.IsDir() {
			return true
		}
	}
	return false
}

// helmBinary finds the pinned Helm: $HELM, then the tool cache. It skips the test when there is none.
func helmBinary(t testing.TB) string {
	t.Helper()
	candidates := helmCandidates()
	for _, c := range candidates {
		if c == "" {
			continue
		}
		if info, err := os.Stat(c); err == nil && !info.IsDir() {
			return c
		}
	}
	t.Skipf("skipping: Helm %s not found ($HELM or %s); run hack/tools.sh helm or hack/deploy-check.sh",
		helmVersion, candidates[1])
	return ""
}

// valueSet is one set of chart values the chart is tested with.
type valueSet struct {
	name string // short name, also a valid namespace suffix
	file string // relative to the repository root; empty for the defaults
}

// valueSets lists the defaults, every charts/leapfrog/ci/*-values.yaml and the kind values.
func valueSets(t testing.TB) []valueSet {
	t.Helper()
	root := repoRoot(t)
	files, err := filepath.Glob(filepath.Join(root, chartDir, "ci", "*-values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no %s/ci/*-values.yaml", chartDir)
	}
	sets := []valueSet{{name: "default"}}
	for _, f := range files {
		rel, err := filepath.Rel(root, f)
		if err != nil {
			t.Fatal(err)
		}
		sets = append(sets, valueSet{name: strings.TrimSuffix(filepath.Base(f), "-values.yaml"), file: rel})
	}
	return append(sets, valueSet{name: "kind", file: "deploy/kind/leapfrog-values.yaml"})
}

// helm runs the pinned Helm in the repository root and returns its standard output.
func helm(t testing.TB, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(helmBinary(t), args...)
	cmd.Dir = repoRoot(t)
	// Keep Helm away from the user's kubeconfig, repositories and caches.
	home := t.TempDir()
	cmd.Env = append(os.Environ(), "HELM_CACHE_HOME="+home, "HELM_CONFIG_HOME="+home, "HELM_DATA_HOME="+home,
		"KUBECONFIG="+filepath.Join(home, "no-kubeconfig"))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), errors.New(strings.TrimSpace(stderr.String()) + ": " + err.Error())
	}
	return stdout.String(), nil
}

// templateArgs are the arguments of `helm template` for one value set plus extra flags (--set ...).
func templateArgs(namespace string, vs valueSet, extra ...string) []string {
	args := []string{"template", releaseName, chartDir, "--namespace", namespace, "--kube-version", kubeVersion}
	if vs.file != "" {
		args = append(args, "-f", vs.file)
	}
	return append(args, extra...)
}

// render runs `helm template` and decodes every rendered object.
func render(t testing.TB, namespace string, vs valueSet, extra ...string) []*unstructured.Unstructured {
	t.Helper()
	out, err := helm(t, templateArgs(namespace, vs, extra...)...)
	if err != nil {
		t.Fatalf("helm template (%s): %v", vs.name, err)
	}
	return decodeObjects(t, out)
}

// decodeObjects splits a multi-document YAML stream into objects, dropping empty documents. Integers
// decode as int64, as they do from the API server.
func decodeObjects(t testing.TB, stream string) []*unstructured.Unstructured {
	t.Helper()
	reader := utilyaml.NewYAMLReader(bufio.NewReader(strings.NewReader(stream)))
	var objs []*unstructured.Unstructured
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return objs
		}
		if err != nil {
			t.Fatalf("read rendered YAML: %v", err)
		}
		js, err := sigsyaml.YAMLToJSON(doc)
		if err != nil {
			t.Fatalf("rendered YAML: %v\n%s", err, doc)
		}
		if trimmed := bytes.TrimSpace(js); len(trimmed) == 0 || string(trimmed) == "null" {
			continue
		}
		obj := &unstructured.Unstructured{}
		if err := obj.UnmarshalJSON(js); err != nil {
			t.Fatalf("rendered object: %v\n%s", err, doc)
		}
		objs = append(objs, obj)
	}
}

// toInt reads a decoded number.
func toInt(t testing.TB, v any) int64 {
	t.Helper()
	switch n := v.(type) {
	case int64:
		return n
	case float64:
		return int64(n)
	case int:
		return int64(n)
	}
	t.Fatalf("not a number: %#v", v)
	return 0
}

// find returns the single object of a kind, failing the test unless there is exactly one.
func find(t testing.TB, objs []*unstructured.Unstructured, kind string) *unstructured.Unstructured {
	t.Helper()
	var found []*unstructured.Unstructured
	for _, o := range objs {
		// The edge's objects (edge_test.go) are not the allocator's or the Fleet's.
		if o.GetKind() == kind && o.GetLabels()["app.kubernetes.io/component"] != "edge" {
			found = append(found, o)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want exactly one %s, rendered %d", kind, len(found))
	}
	return found[0]
}

// kinds counts the rendered objects by kind.
func kinds(objs []*unstructured.Unstructured) map[string]int {
	m := map[string]int{}
	for _, o := range objs {
		m[o.GetKind()]++
	}
	return m
}

// nested reads a nested field of any type, failing the test when it is missing.
func nested(t testing.TB, obj map[string]any, fields ...string) any {
	t.Helper()
	v, ok, err := unstructured.NestedFieldNoCopy(obj, fields...)
	if err != nil || !ok {
		t.Fatalf("field %s missing (%v)", strings.Join(fields, "."), err)
	}
	return v
}

// containerOf returns the named container of a pod spec.
func containerOf(t testing.TB, podSpec map[string]any, name string) map[string]any {
	t.Helper()
	list, _ := podSpec["containers"].([]any)
	for _, c := range list {
		if m, ok := c.(map[string]any); ok && m["name"] == name {
			return m
		}
	}
	t.Fatalf("no container %q", name)
	return nil
}

// stringList converts a decoded YAML list of strings.
func stringList(t testing.TB, v any) []string {
	t.Helper()
	list, ok := v.([]any)
	if !ok {
		t.Fatalf("not a list: %#v", v)
	}
	out := make([]string, 0, len(list))
	for _, e := range list {
		s, ok := e.(string)
		if !ok {
			t.Fatalf("not a string: %#v", e)
		}
		out = append(out, s)
	}
	return out
}

// flagValues maps --name=value arguments to their values.
func flagValues(args []string) map[string]string {
	m := map[string]string{}
	for _, a := range args {
		name, value, _ := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		m[name] = value
	}
	return m
}
