package deploy

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	crlog "sigs.k8s.io/controller-runtime/pkg/log"
)

// The API server is shared by the tests of this file: started on first use, stopped by TestMain.
var apiServer struct {
	once sync.Once
	env  *envtest.Environment
	cfg  *rest.Config
	skip string // why the tests that need it are skipped
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if apiServer.env != nil {
		if err := apiServer.env.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "stop envtest: %v\n", err)
		}
	}
	os.Exit(code)
}

// envtestAssets finds kube-apiserver and etcd: $KUBEBUILDER_ASSETS, then hack/tools.sh's cache folder.
func envtestAssets() (string, error) {
	dirs := []string{os.Getenv("KUBEBUILDER_ASSETS"), filepath.Join(toolCache(), "k8s-"+k8sVersion)}
	for _, dir := range dirs {
		if dir == "" {
			continue
		}
		ok := true
		for _, bin := range []string{"kube-apiserver", "etcd"} {
			info, err := os.Stat(filepath.Join(dir, bin))
			ok = ok && err == nil && !info.IsDir() && info.Mode()&0o111 != 0
		}
		if ok {
			return dir, nil
		}
	}
	return "", fmt.Errorf("kube-apiserver and etcd not found in $KUBEBUILDER_ASSETS or %s", dirs[1])
}

// kubeAPI returns a client config for the shared envtest API server, starting it the first time. The test is
// skipped when the Agones CRDs (../shared/agones/crds.yaml) or the envtest binaries are missing.
func kubeAPI(t *testing.T) *rest.Config {
	t.Helper()
	apiServer.once.Do(func() {
		crds := filepath.Join(repoRoot(t), "..", "shared", "agones", "crds.yaml")
		if _, err := os.Stat(crds); err != nil {
			apiServer.skip = fmt.Sprintf("skipping: the Agones 1.60 CRDs are not at %s (../shared is absent here)", crds)
			return
		}
		assets, err := envtestAssets()
		if err != nil {
			apiServer.skip = fmt.Sprintf("skipping: envtest binaries not built (%v); run hack/tools.sh envtest", err)
			return
		}
		crlog.SetLogger(logr.Discard())
		env := &envtest.Environment{
			BinaryAssetsDirectory: assets,
			CRDDirectoryPaths:     []string{crds},
			ErrorIfCRDPathMissing: true,
			// Start-up bounds only (the machine is small and shared), not assertions.
			ControlPlaneStartTimeout: 3 * time.Minute,
			ControlPlaneStopTimeout:  time.Minute,
		}
		cfg, err := env.Start()
		if err != nil {
			apiServer.err = fmt.Errorf("start envtest from %s: %w", assets, err)
			return
		}
		apiServer.env, apiServer.cfg = env, cfg
	})
	if apiServer.skip != "" {
		t.Skip(apiServer.skip)
	}
	if apiServer.err != nil {
		t.Fatal(apiServer.err)
	}
	return apiServer.cfg
}

func newClient(t *testing.T, cfg *rest.Config) client.Client {
	t.Helper()
	c, err := client.New(cfg, client.Options{})
	if err != nil {
		t.Fatalf("client: %v", err)
	}
	return c
}

// createNamespace creates a namespace with the "default" ServiceAccount that the controller manager would
// add (envtest runs none, and pods need it), and deletes it when the test ends.
func createNamespace(t *testing.T, c client.Client, name string) {
	t.Helper()
	ctx := t.Context()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if err := c.Create(ctx, ns); err != nil {
		t.Fatalf("create namespace %s: %v", name, err)
	}
	t.Cleanup(func() {
		// envtest has no namespace controller: the namespace stays Terminating, which is harmless.
		_ = c.Delete(context.Background(), ns)
	})
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: name}}
	if err := c.Create(ctx, sa); err != nil {
		t.Fatalf("create default ServiceAccount in %s: %v", name, err)
	}
}

// withoutPrometheusOperator names the kinds whose CRDs (monitoring.coreos.com, and the Gateway API's
// HTTPRoute) envtest does not have. The PrometheusRule's content is checked by promtool instead
// (test/observability: promtool check rules and promtool test rules on the rendered rules).
var withoutPrometheusOperator = map[string]bool{"ServiceMonitor": true, "PodMonitor": true, "PrometheusRule": true, "HTTPRoute": true}

// dryRunCreate asks the API server to validate and admit an object without storing it. Strict field
// validation turns a misspelt field into an error instead of a silent drop.
func dryRunCreate(ctx context.Context, c client.Client, obj *unstructured.Unstructured) error {
	return c.Create(ctx, obj, &client.CreateOptions{DryRun: []string{metav1.DryRunAll}, FieldValidation: "Strict"})
}

// TestRenderedObjectsPassServerDryRun renders every value set and has a real kube-apiserver, with the
// Agones CRDs installed, validate each object (Fleets and FleetAutoscalers included).
func TestRenderedObjectsPassServerDryRun(t *testing.T) {
	cfg := kubeAPI(t)
	c := newClient(t, cfg)
	for _, vs := range valueSets(t) {
		t.Run(vs.name, func(t *testing.T) {
			ns := "dry-" + vs.name
			createNamespace(t, c, ns)
			objs := render(t, ns, vs)
			checked := 0
			for _, obj := range objs {
				if withoutPrometheusOperator[obj.GetKind()] {
					t.Logf("skipping %s %s: its CRD is not installed in envtest", obj.GetKind(), obj.GetName())
					continue
				}
				if obj.GetNamespace() == "" {
					obj.SetNamespace(ns)
				}
				if err := dryRunCreate(t.Context(), c, obj); err != nil {
					t.Errorf("%s %s: %v", obj.GetKind(), obj.GetName(), err)
					continue
				}
				if obj.GetKind() == "Fleet" {
					// As admitted, not only as rendered: Agones adds its health
					// probe only to a container without one.
					checkNoLivenessProbe(t, obj)
				}
				checked++
			}
			t.Logf("%d of %d objects accepted by the API server", checked, len(objs))
		})
	}
}

// TestAPIServerRejectsBrokenFleet shows that the dry run above has teeth: the Agones CRD schemas reject
// a Fleet or FleetAutoscaler the chart must never render.
func TestAPIServerRejectsBrokenFleet(t *testing.T) {
	cfg := kubeAPI(t)
	c := newClient(t, cfg)
	const ns = "broken"
	createNamespace(t, c, ns)
	objs := render(t, ns, valueSet{name: "default"})

	tests := []struct {
		kind   string
		mutate func(t *testing.T, obj *unstructured.Unstructured)
	}{
		{"Fleet", func(t *testing.T, obj *unstructured.Unstructured) {
			ports := nested(t, obj.Object, "spec", "template", "spec", "ports").([]any)
			ports[0].(map[string]any)["portPolicy"] = "Sometimes"
		}},
		{"Fleet", func(t *testing.T, obj *unstructured.Unstructured) {
			// Agones caps a list at 1000 values.
			if err := unstructured.SetNestedField(obj.Object, int64(5000), "spec", "template", "spec", "lists", "races", "capacity"); err != nil {
				t.Fatal(err)
			}
		}},
		{"Fleet", func(t *testing.T, obj *unstructured.Unstructured) {
			if err := unstructured.SetNestedField(obj.Object, "Loud", "spec", "template", "spec", "sdkServer", "logLevel"); err != nil {
				t.Fatal(err)
			}
		}},
		{"FleetAutoscaler", func(t *testing.T, obj *unstructured.Unstructured) {
			unstructured.RemoveNestedField(obj.Object, "spec", "policy", "list", "maxCapacity")
		}},
		{"FleetAutoscaler", func(t *testing.T, obj *unstructured.Unstructured) {
			if err := unstructured.SetNestedField(obj.Object, int64(1), "spec", "policy", "list", "bufferSizes"); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for i, tc := range tests {
		t.Run(fmt.Sprintf("%s-%d", tc.kind, i), func(t *testing.T) {
			obj := find(t, objs, tc.kind).DeepCopy()
			obj.SetNamespace(ns)
			tc.mutate(t, obj)
			err := dryRunCreate(t.Context(), c, obj)
			if err == nil {
				t.Fatalf("the API server accepted a broken %s", tc.kind)
			}
			if !apierrors.IsInvalid(err) && !apierrors.IsBadRequest(err) {
				t.Errorf("want a validation error, got %v", err)
			}
		})
	}
}

// TestAllocatorRBAC installs the allocator's ServiceAccount, Role and RoleBinding and asks the API server
// what that ServiceAccount may do.
func TestAllocatorRBAC(t *testing.T) {
	cfg := kubeAPI(t)
	c := newClient(t, cfg)
	// One race per server: nothing written but allocations. High density (the default): the lease renewals
	// patch GameServers too.
	for _, vs := range []struct {
		set   valueSet
		patch bool
	}{
		{valueSet{name: "one-race", file: chartDir + "/ci/one-race-values.yaml"}, false},
		{valueSet{name: "default"}, true},
	} {
		t.Run(vs.set.name, func(t *testing.T) { checkAllocatorRBAC(t, c, "rbac-"+vs.set.name, vs.set, vs.patch) })
	}
}

func checkAllocatorRBAC(t *testing.T, c client.Client, ns string, vs valueSet, patch bool) {
	createNamespace(t, c, ns)
	objs := render(t, ns, vs)
	for _, kind := range []string{"ServiceAccount", "Role", "RoleBinding"} {
		obj := find(t, objs, kind)
		obj.SetNamespace(ns)
		if err := c.Create(t.Context(), obj); err != nil {
			t.Fatalf("create %s: %v", kind, err)
		}
	}
	sa := find(t, objs, "ServiceAccount").GetName()

	can := func(ctx context.Context, namespace, verb, group, resource string) (bool, error) {
		review := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
			User:   fmt.Sprintf("system:serviceaccount:%s:%s", ns, sa),
			Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"},
			ResourceAttributes: &authorizationv1.ResourceAttributes{
				Namespace: namespace, Verb: verb, Group: group, Resource: resource,
			},
		}}
		if err := c.Create(ctx, review); err != nil {
			return false, err
		}
		return review.Status.Allowed, nil
	}

	// The RBAC authorizer reads roles through an informer: wait until it has seen the new binding. This is
	// a bound on start-up, not an assertion on time.
	err := wait.PollUntilContextTimeout(t.Context(), 100*time.Millisecond, 2*time.Minute, true,
		func(ctx context.Context) (bool, error) {
			return can(ctx, ns, "create", "allocation.agones.dev", "gameserverallocations")
		})
	if err != nil {
		t.Fatalf("the allocator never became able to create gameserverallocations: %v", err)
	}

	tests := []struct {
		verb, group, resource string
		namespace             string
		allowed               bool
	}{
		{"create", "allocation.agones.dev", "gameserverallocations", ns, true},
		{"get", "agones.dev", "gameservers", ns, true},
		{"list", "agones.dev", "gameservers", ns, true},
		{"watch", "agones.dev", "gameservers", ns, true},
		{"delete", "agones.dev", "gameservers", ns, patch}, // high density: idle servers given up
		{"update", "agones.dev", "gameservers", ns, false},
		{"patch", "agones.dev", "gameservers", ns, patch},
		{"list", "agones.dev", "gameserversets", ns, patch}, // high density: the Fleet's generations
		{"watch", "agones.dev", "gameserversets", ns, patch},
		{"update", "agones.dev", "gameserversets", ns, false},
		{"create", "agones.dev", "gameservers", ns, false},
		{"create", "agones.dev", "fleets", ns, false},
		{"patch", "agones.dev", "fleets", ns, false},
		{"get", "agones.dev", "fleets", ns, false},
		{"update", "autoscaling.agones.dev", "fleetautoscalers", ns, false},
		{"get", "", "secrets", ns, false},
		{"list", "", "pods", ns, false},
		{"delete", "", "pods", ns, false},
		{"create", "allocation.agones.dev", "gameserverallocations", "default", false},
		{"list", "agones.dev", "gameservers", "default", false},
		{"list", "agones.dev", "gameservers", "", false},
	}
	for _, tc := range tests {
		name := fmt.Sprintf("%s %s.%s in %q", tc.verb, tc.resource, tc.group, tc.namespace)
		t.Run(name, func(t *testing.T) {
			allowed, err := can(t.Context(), tc.namespace, tc.verb, tc.group, tc.resource)
			if err != nil {
				t.Fatal(err)
			}
			if allowed != tc.allowed {
				t.Errorf("allowed=%v, want %v", allowed, tc.allowed)
			}
		})
	}
}

// TestHelmInstallAndUpgradeKeepTheKey installs the chart for real with Helm, upgrades it, and checks that
// the token signing key survives the upgrade (the chart's lookup) while the upgrade itself lands.
func TestHelmInstallAndUpgradeKeepTheKey(t *testing.T) {
	cfg := kubeAPI(t)
	c := newClient(t, cfg)
	user, err := apiServer.env.AddUser(envtest.User{Name: "helm", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		t.Fatalf("add user: %v", err)
	}
	kubeconfig, err := user.KubeConfig()
	if err != nil {
		t.Fatal(err)
	}
	kubeconfigPath := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kubeconfigPath, kubeconfig, 0o600); err != nil {
		t.Fatal(err)
	}
	const ns = "helm"
	createNamespace(t, c, ns)
	helmIn := func(args ...string) string {
		t.Helper()
		out, err := helm(t, append(args, "--namespace", ns, "--kubeconfig", kubeconfigPath)...)
		if err != nil {
			t.Fatalf("helm %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	keysJSON := func() string {
		t.Helper()
		var secret corev1.Secret
		if err := c.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: "leapfrog-keys"}, &secret); err != nil {
			t.Fatalf("get key Secret: %v", err)
		}
		decodeKeyFile(t, secret.Data["keys.json"])
		return string(secret.Data["keys.json"])
	}
	fleetReplicas := func() int64 {
		t.Helper()
		fleet := &unstructured.Unstructured{}
		fleet.SetAPIVersion("agones.dev/v1")
		fleet.SetKind("Fleet")
		if err := c.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: "leapfrog-race"}, fleet); err != nil {
			t.Fatalf("get Fleet: %v", err)
		}
		return toInt(t, nested(t, fleet.Object, "spec", "replicas"))
	}

	notes := helmIn("install", releaseName, chartDir)
	t.Cleanup(func() {
		if _, err := helm(t, "uninstall", releaseName, "--namespace", ns, "--kubeconfig", kubeconfigPath); err != nil {
			t.Logf("helm uninstall: %v", err)
		}
	})
	for _, want := range []string{
		"kubectl -n helm get fleet leapfrog-race",
		"kubectl -n helm port-forward svc/leapfrog-allocator 8080:8080",
		"helm test leapfrog -n helm",
	} {
		if !strings.Contains(notes, want) {
			t.Errorf("NOTES do not tell the user %q:\n%s", want, notes)
		}
	}
	before := keysJSON()
	if got := fleetReplicas(); got != 3 {
		t.Errorf("installed Fleet replicas %d, want 3", got)
	}

	helmIn("upgrade", releaseName, chartDir, "--set", "fleet.replicas=4")
	if got := fleetReplicas(); got != 4 {
		t.Errorf("upgraded Fleet replicas %d, want 4", got)
	}
	if after := keysJSON(); after != before {
		t.Errorf("the upgrade replaced the signing key:\nbefore %s\nafter  %s", before, after)
	}

	// A user-managed Secret is used as it is, and the chart's own is not rendered any more.
	helmIn("upgrade", releaseName, chartDir, "--set", "keys.existingSecret=leapfrog-keys-managed")
	var deploy unstructured.Unstructured
	deploy.SetAPIVersion("apps/v1")
	deploy.SetKind("Deployment")
	if err := c.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: "leapfrog-allocator"}, &deploy); err != nil {
		t.Fatal(err)
	}
	if got := keysSecretOf(t, nested(t, deploy.Object, "spec", "template", "spec").(map[string]any)); got != "leapfrog-keys-managed" {
		t.Errorf("allocator mounts %s after switching to an existing Secret", got)
	}
	var gone corev1.Secret
	err = c.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: "leapfrog-keys"}, &gone)
	if !apierrors.IsNotFound(err) {
		t.Errorf("the chart's key Secret is still there after switching to an existing one (err %v)", err)
	}
	var status struct {
		Info struct {
			Status string `json:"status"`
		} `json:"info"`
		Version int `json:"version"`
	}
	if err := json.Unmarshal([]byte(helmIn("status", releaseName, "-o", "json")), &status); err != nil {
		t.Fatal(err)
	}
	if status.Info.Status != "deployed" || status.Version != 3 {
		t.Errorf("release status %q revision %d, want deployed revision 3", status.Info.Status, status.Version)
	}
}
