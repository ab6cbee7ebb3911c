package rig

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// projectVolumes does what the kubelet does for the race server's volumes
// that come from the API server (ConfigMaps, such as the chart's script, and
// Secrets, such as its TLS certificate): it reads each object and writes its
// keys (or its items, at their paths) as files into a folder of dir per
// volume, except the objects named in skip. It returns the race-server
// container's mount paths of those volumes with their folders here.
func projectVolumes(ctx context.Context, c client.Client, fleet *unstructured.Unstructured, namespace, dir string, skip map[string]bool) (map[string]string, error) {
	podSpec := []string{"spec", "template", "spec", "template", "spec"}
	volumes, _, err := unstructured.NestedSlice(fleet.Object, append(podSpec, "volumes")...)
	if err != nil {
		return nil, fmt.Errorf("Fleet %s: volumes: %w", fleet.GetName(), err)
	}
	ctr, err := container(fleet, "race-server", podSpec...)
	if err != nil {
		return nil, err
	}
	mounts := map[string]string{} // volume -> mount path
	raw, _ := ctr["volumeMounts"].([]any)
	for _, m := range raw {
		mm, _ := m.(map[string]any)
		name, _ := mm["name"].(string)
		path, _ := mm["mountPath"].(string)
		mounts[name] = path
	}
	out := map[string]string{}
	for _, v := range volumes {
		vm, _ := v.(map[string]any)
		name, _ := vm["name"].(string)
		mountPath, mounted := mounts[name]
		if !mounted {
			continue
		}
		var data map[string][]byte
		var source map[string]any
		switch {
		case vm["configMap"] != nil:
			source, _ = vm["configMap"].(map[string]any)
			objName, _ := source["name"].(string)
			if skip[objName] {
				continue
			}
			data, err = objectData(ctx, c, "ConfigMap", namespace, objName)
		case vm["secret"] != nil:
			source, _ = vm["secret"].(map[string]any)
			objName, _ := source["secretName"].(string)
			if skip[objName] {
				continue
			}
			data, err = objectData(ctx, c, "Secret", namespace, objName)
		default:
			continue
		}
		if err != nil {
			return nil, err
		}
		local := filepath.Join(dir, name)
		if err := writeVolume(local, data, source); err != nil {
			return nil, fmt.Errorf("volume %s: %w", name, err)
		}
		out[mountPath] = local
	}
	return out, nil
}

// objectData reads a ConfigMap's data or a Secret's decoded data.
func objectData(ctx context.Context, c client.Client, kind, namespace, name string) (map[string][]byte, error) {
	var obj unstructured.Unstructured
	obj.SetAPIVersion("v1")
	obj.SetKind(kind)
	if err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, &obj); err != nil {
		return nil, fmt.Errorf("%s %s/%s: %w", kind, namespace, name, err)
	}
	data := map[string][]byte{}
	fields, _, _ := unstructured.NestedStringMap(obj.Object, "data")
	for k, v := range fields {
		if kind == "Secret" {
			b, err := base64.StdEncoding.DecodeString(v)
			if err != nil {
				return nil, fmt.Errorf("%s %s/%s: key %s: %w", kind, namespace, name, k, err)
			}
			data[k] = b
			continue
		}
		data[k] = []byte(v)
	}
	return data, nil
}

// writeVolume writes data's keys (or source's items, at their paths) into dir.
func writeVolume(dir string, data map[string][]byte, source map[string]any) error {
	paths := make(map[string]string, len(data)) // key -> file
	if items, ok := source["items"].([]any); ok && len(items) > 0 {
		for _, it := range items {
			m, _ := it.(map[string]any)
			key, _ := m["key"].(string)
			p, _ := m["path"].(string)
			if _, found := data[key]; !found {
				return fmt.Errorf("no key %q named in items", key)
			}
			paths[key] = p
		}
	} else {
		for key := range data {
			paths[key] = key
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	for key, p := range paths {
		if filepath.IsAbs(p) || strings.HasPrefix(filepath.Clean(p), "..") {
			return fmt.Errorf("item path %q must stay inside the volume", p)
		}
		file := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
			return err
		}
		if err := os.WriteFile(file, data[key], 0o600); err != nil {
			return err
		}
	}
	return nil
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
