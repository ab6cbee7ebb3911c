package deploy

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// edgeObjects are the rendered objects of the edge, by kind.
func edgeObjects(objs []*unstructured.Unstructured) map[string][]*unstructured.Unstructured {
	out := map[string][]*unstructured.Unstructured{}
	for _, o := range objs {
		if o.GetLabels()["app.kubernetes.io/component"] == "edge" {
			out[o.GetKind()] = append(out[o.GetKind()], o)
		}
	}
	return out
}

// TestEdgeChart checks the edge in every value set that enables it: it relays only to this release's Fleet,
// checks tokens with the same keys, may only read GameServers, and the allocator hands out its URL.
func TestEdgeChart(t *testing.T) {
	if objs := edgeObjects(render(t, "racing", valueSet{name: "default"})); len(objs) != 0 {
		t.Errorf("the edge is rendered by default: %v", objs)
	}
	tested := 0
	for _, vs := range valueSets(t) {
		if !strings.HasPrefix(vs.name, "edge") {
			continue
		}
		tested++
		t.Run(vs.name, func(t *testing.T) {
			const ns = "racing"
			objs := render(t, ns, vs)
			edge := edgeObjects(objs)
			for _, kind := range []string{"Deployment", "Service", "ServiceAccount", "Role", "RoleBinding", "PodDisruptionBudget"} {
				if len(edge[kind]) != 1 {
					t.Fatalf("%d edge %s objects, want 1", len(edge[kind]), kind)
				}
			}
			fleet := find(t, objs, "Fleet")
			spec := nested(t, edge["Deployment"][0].Object, "spec", "template", "spec").(map[string]any)
			c := containerOf(t, spec, "edge")
			args := flagValues(stringList(t, c["args"]))
			for flag, want := range map[string]string{
				"namespace": ns, "fleet": fleet.GetName(), "port-name": "default", "key-file": keysDir + "/keys.json",
			} {
				if args[flag] != want {
					t.Errorf("edge --%s=%q, want %q", flag, args[flag], want)
				}
			}
			if got := stringList(t, c["command"]); !slices.Equal(got, []string{"/edge"}) {
				t.Errorf("edge command %v", got)
			}
			if !mountsKeys(c) || keysSecretOf(t, spec) != keysSecretOf(t, nested(t, find(t, objs, "Deployment").Object, "spec", "template", "spec").(map[string]any)) {
				t.Errorf("the edge does not mount the allocator's key Secret read-only")
			}
			drain, err := time.ParseDuration(args["drain-grace"])
			if err != nil {
				t.Fatal(err)
			}
			if grace := time.Duration(toInt(t, spec["terminationGracePeriodSeconds"])) * time.Second; grace <= drain {
				t.Errorf("terminationGracePeriodSeconds %v does not outlast --drain-grace %v", grace, drain)
			}
			if nested(t, spec, "securityContext", "runAsNonRoot") != true || nested(t, c, "securityContext", "readOnlyRootFilesystem") != true {
				t.Errorf("the edge pod is not locked down")
			}
			if _, tls := args["tls-cert-file"]; tls != strings.Contains(vs.name, "tls") {
				t.Errorf("edge TLS flags %v in value set %s", args, vs.name)
			}

			// The edge may read GameServers and nothing else.
			rules := nested(t, edge["Role"][0].Object, "rules").([]any)
			if len(rules) != 1 || fmt.Sprint(rules[0]) != "map[apiGroups:[agones.dev] resources:[gameservers] verbs:[get list watch]]" {
				t.Errorf("edge Role rules %v, want get/list/watch on gameservers only", rules)
			}
			subjects := nested(t, edge["RoleBinding"][0].Object, "subjects").([]any)
			if sa := subjects[0].(map[string]any)["name"]; sa != spec["serviceAccountName"] || sa != edge["ServiceAccount"][0].GetName() {
				t.Errorf("edge RoleBinding binds %v; the pod runs as %v", sa, spec["serviceAccountName"])
			}

			// The Service reaches the edge pods.
			podLabels := nested(t, edge["Deployment"][0].Object, "spec", "template", "metadata", "labels").(map[string]any)
			for k, v := range nested(t, edge["Service"][0].Object, "spec", "selector").(map[string]any) {
				if podLabels[k] != v {
					t.Errorf("edge Service selector %s=%v misses the edge pods", k, v)
				}
			}

			// The allocator hands out the edge's public URL.
			alloc := containerOf(t, nested(t, find(t, objs, "Deployment").Object, "spec", "template", "spec").(map[string]any), "allocator")
			if got := flagValues(stringList(t, alloc["args"]))["edge-url"]; got != "wss://play.example.com" {
				t.Errorf("allocator --edge-url=%q, want wss://play.example.com", got)
			}

			if ing := edge["Ingress"]; strings.Contains(vs.name, "ingress") {
				if len(ing) != 1 {
					t.Fatalf("%d Ingresses, want 1", len(ing))
				}
				paths := nested(t, ing[0].Object, "spec", "rules").([]any)[0].(map[string]any)["http"].(map[string]any)["paths"].([]any)
				race := paths[0].(map[string]any)
				if race["path"] != "/race/" || nested(t, race, "backend", "service", "name") != edge["Service"][0].GetName() {
					t.Errorf("Ingress does not route /race/ to the edge: %v", race)
				}
				if args["client-ip-header"] != "X-Forwarded-For" {
					t.Errorf("behind an Ingress the edge must count clients by X-Forwarded-For")
				}
			}
		})
	}
	if tested == 0 {
		t.Fatal("no ci/edge*-values.yaml")
	}
}

func TestEdgeChartRejectsInvalidValues(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  []string
		want string
	}{
		{"no host", []string{"edge.enabled=true"}, "edge.host (or edge.publicURL) is required"},
		{"ingress and gateway", []string{"edge.enabled=true", "edge.host=a.example", "edge.ingress.enabled=true", "edge.gateway.enabled=true", "edge.gateway.parentRefs[0].name=gw"}, "enable one"},
		{"TLS twice", []string{"edge.enabled=true", "edge.host=a.example", "edge.ingress.enabled=true", "edge.tls.secretName=s"}, "leave it empty"},
		{"gateway without parent", []string{"edge.enabled=true", "edge.host=a.example", "edge.gateway.enabled=true"}, "parentRefs is required"},
		{"managed flag", []string{"edge.enabled=true", "edge.host=a.example", "edge.extraArgs.fleet=other"}, "edge.extraArgs.fleet: the chart sets --fleet"},
		{"allocator edge-url", []string{"allocator.extraArgs.edge-url=wss://x"}, "allocator.extraArgs.edge-url"},
		{"bad public URL", []string{"edge.publicURL=http://x"}, "/edge/publicURL"},
	} {
		t.Run(tc.name, func(t *testing.T) { checkRejected(t, tc.set, tc.want) })
	}
}

// checkRejected fails unless helm template refuses the --set values with an error that mentions want.
func checkRejected(t *testing.T, set []string, want string) {
	t.Helper()
	var extra []string
	for _, s := range set {
		extra = append(extra, "--set", s)
	}
	_, err := helm(t, templateArgs("leapfrog", valueSet{name: "default"}, extra...)...)
	if err == nil {
		t.Fatalf("helm template accepted %v", set)
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not mention %q", err, want)
	}
}
