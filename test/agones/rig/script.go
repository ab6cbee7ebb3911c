package rig

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// projectScriptVolume does what the kubelet does for the chart's script
// volume when it is a ConfigMap: it reads the ConfigMap from the API server
// and writes its keys (or its items, at their paths) as files into dir. It
// returns dir, or "" when the Fleet mounts no ConfigMap script.
func projectScriptVolume(ctx context.Context, c client.Client, fleet *unstructured.Unstructured, namespace, dir string) (string, error) {
	volumes, _, err := unstructured.NestedSlice(fleet.Object, "spec", "template", "spec", "template", "spec", "volumes")
	if err != nil {
		return "", fmt.Errorf("Fleet %s: volumes: %w", fleet.GetName(), err)
	}
	var source map[string]any
	for _, v := range volumes {
		m, _ := v.(map[string]any)
		if m["name"] == "script" {
			source, _ = m["configMap"].(map[string]any)
		}
	}
	if source == nil {
		return "", nil
	}
	name, _ := source["name"].(string)
	var cm unstructured.Unstructured
	cm.SetAPIVersion("v1")
	cm.SetKind("ConfigMap")
	if err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, &cm); err != nil {
		return "", fmt.Errorf("script ConfigMap %s/%s: %w", namespace, name, err)
	}
	data, _, _ := unstructured.NestedStringMap(cm.Object, "data")
	paths := make(map[string]string, len(data)) // key -> file
	if items, ok := source["items"].([]any); ok && len(items) > 0 {
		for _, it := range items {
			m, _ := it.(map[string]any)
			key, _ := m["key"].(string)
			p, _ := m["path"].(string)
			if _, found := data[key]; !found {
				return "", fmt.Errorf("script ConfigMap %s/%s has no key %q named in items", namespace, name, key)
			}
			paths[key] = p
		}
	} else {
		for key := range data {
			paths[key] = key
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		return "", err
	}
	for key, p := range paths {
		if filepath.IsAbs(p) || strings.HasPrefix(filepath.Clean(p), "..") {
			return "", fmt.Errorf("script ConfigMap item path %q must stay inside the volume", p)
		}
		file := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(file, []byte(data[key]), 0o644); err != nil {
			return "", err
		}
	}
	return dir, nil
}

// ScriptConfigMap is the ConfigMap a user makes of a script folder with
// kubectl create configmap --from-file, one key per file; files in
// sub-folders get keys with '/' replaced by '--', and items (for the chart's
// race.script.items) put them back at their paths.
func ScriptConfigMap(name, folder string) (*unstructured.Unstructured, []map[string]string, error) {
	data := map[string]any{}
	var items []map[string]string
	err := filepath.WalkDir(folder, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(folder, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		key := strings.ReplaceAll(rel, "/", "--")
		data[key] = string(b)
		items = append(items, map[string]string{"key": key, "path": rel})
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("script folder %s: %w", folder, err)
	}
	cm := &unstructured.Unstructured{Object: map[string]any{"data": data}}
	cm.SetAPIVersion("v1")
	cm.SetKind("ConfigMap")
	cm.SetName(name)
	return cm, items, nil
}
