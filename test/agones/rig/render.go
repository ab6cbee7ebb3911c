package rig

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"

	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	sigsyaml "sigs.k8s.io/yaml"
)

// Chart is a chart to render with Helm.
type Chart struct {
	// Helm is the helm binary (hack/tools.sh helm builds the pinned one).
	Helm string
	// Dir is the chart's folder, e.g. charts/leapfrog.
	Dir string
	// KubeVersion is the Kubernetes version to render for, as helm install
	// learns it from the API server (e.g. v1.37.2); empty leaves Helm's default.
	KubeVersion string
}

// Values are the inputs of one release, as `helm install` takes them.
type Values struct {
	// Files are passed as --values, in order.
	Files []string
	// Set are passed as --set, in order (key=value).
	Set []string
}

// Render runs `helm template` for release in namespace and returns the
// objects in Helm's install order, hooks included (a caller tells them apart
// with IsHook).
func (c Chart) Render(ctx context.Context, release, namespace string, v Values) ([]*unstructured.Unstructured, error) {
	args := []string{"template", release, c.Dir, "--namespace", namespace}
	if c.KubeVersion != "" {
		args = append(args, "--kube-version", c.KubeVersion)
	}
	for _, f := range v.Files {
		args = append(args, "--values", f)
	}
	for _, s := range v.Set {
		args = append(args, "--set", s)
	}
	cmd := exec.CommandContext(ctx, c.Helm, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("helm template %s: %w: %s", release, err, strings.TrimSpace(stderr.String()))
	}
	return decodeManifests(out)
}

// decodeManifests splits a multi-document YAML stream into objects, skipping
// empty documents.
func decodeManifests(data []byte) ([]*unstructured.Unstructured, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var objs []*unstructured.Unstructured
	for {
		var doc map[string]any
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return objs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("decode manifest %d: %w", len(objs)+1, err)
		}
		if len(doc) == 0 {
			continue
		}
		// Round-trip through JSON so numbers and maps have the types the
		// Kubernetes machinery expects.
		js, err := sigsyaml.Marshal(doc)
		if err != nil {
			return nil, err
		}
		u := &unstructured.Unstructured{}
		if err := sigsyaml.Unmarshal(js, &u.Object); err != nil {
			return nil, fmt.Errorf("decode manifest %d: %w", len(objs)+1, err)
		}
		if u.GetKind() == "" {
			return nil, fmt.Errorf("manifest %d has no kind", len(objs)+1)
		}
		objs = append(objs, u)
	}
}

// IsHook says whether Helm runs obj as a hook (helm test, pre-install...)
// rather than as part of the release.
func IsHook(obj *unstructured.Unstructured) bool {
	_, ok := obj.GetAnnotations()["helm.sh/hook"]
	return ok
}

// container returns the container called name of a pod spec found at path
// in obj (e.g. "spec", "template", "spec" for a Deployment).
func container(obj *unstructured.Unstructured, name string, path ...string) (map[string]any, error) {
	containers, found, err := unstructured.NestedSlice(obj.Object, append(path, "containers")...)
	if err != nil || !found {
		return nil, fmt.Errorf("%s %s: no containers at %s", obj.GetKind(), obj.GetName(), strings.Join(path, "."))
	}
	for _, c := range containers {
		m, ok := c.(map[string]any)
		if ok && m["name"] == name {
			return m, nil
		}
	}
	return nil, fmt.Errorf("%s %s: no container %q", obj.GetKind(), obj.GetName(), name)
}

// stringSlice reads a list of strings (a container's command or args).
func stringSlice(m map[string]any, key string) []string {
	raw, _ := m[key].([]any)
	out := make([]string, 0, len(raw))
	for _, v := range raw {
		out = append(out, fmt.Sprint(v))
	}
	return out
}

// podNameEnv stands for the downward API's metadata.name in a rendered
// environment: each local process gets a pod name of its own.
const podNameEnv = "$(rig:pod-name)"

// literalEnv reads a container's env entries that have a plain value, and
// those taken from the pod's name (the downward API), as podNameEnv.
func literalEnv(m map[string]any) []string {
	raw, _ := m["env"].([]any)
	var out []string
	for _, e := range raw {
		em, _ := e.(map[string]any)
		name, _ := em["name"].(string)
		value, hasValue := em["value"].(string)
		from, _ := em["valueFrom"].(map[string]any)
		field, _ := from["fieldRef"].(map[string]any)
		switch {
		case name == "":
		case hasValue:
			out = append(out, name+"="+value)
		case field["fieldPath"] == "metadata.name":
			out = append(out, name+"="+podNameEnv)
		}
	}
	return out
}

// withPodName gives the entries of env that stand for the pod's name the
// value pod.
func withPodName(env []string, pod string) []string {
	out := make([]string, len(env))
	for i, e := range env {
		out[i] = strings.Replace(e, podNameEnv, pod, 1)
	}
	return out
}

// rewriteFlags replaces the value of each --flag=value in args whose flag
// is a key of with, and appends the flags of with that args lacked.
func rewriteFlags(args []string, with map[string]string) []string {
	seen := map[string]bool{}
	out := make([]string, 0, len(args)+len(with))
	for _, a := range args {
		name, _, ok := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if v, replace := with[name]; ok && replace && strings.HasPrefix(a, "-") {
			out = append(out, "--"+name+"="+v)
			seen[name] = true
			continue
		}
		out = append(out, a)
	}
	for _, name := range sortedKeys(with) {
		if !seen[name] {
			out = append(out, "--"+name+"="+with[name])
		}
	}
	return out
}
