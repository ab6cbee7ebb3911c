package kubetest

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	crlog "sigs.k8s.io/controller-runtime/pkg/log"
)

// k8sVersion is the kube-apiserver hack/tools.sh envtest installs.
const k8sVersion = "v1.37.2"

// Start runs kube-apiserver and etcd with the Agones v1.60 CRDs
// (../shared/agones/crds.yaml beside the repository) until the test ends,
// and returns an admin client config. The test is skipped when the CRDs or
// the binaries ($KUBEBUILDER_ASSETS, else hack/tools.sh envtest's cache) are
// missing.
func Start(t testing.TB) *rest.Config {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	crds := filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "agones", "crds.yaml")
	if _, err := os.Stat(crds); err != nil {
		t.Skipf("skipping: the Agones CRDs are not at %s (../shared is absent here)", crds)
	}
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		cache := os.Getenv("LEAPFROG_CACHE")
		if cache == "" {
			home, _ := os.UserHomeDir()
			cache = filepath.Join(home, ".cache", "leapfrog")
		}
		assets = filepath.Join(cache, "k8s-"+k8sVersion)
	}
	for _, bin := range []string{"kube-apiserver", "etcd"} {
		if _, err := os.Stat(filepath.Join(assets, bin)); err != nil {
			t.Skipf("skipping: %s not in %s (hack/tools.sh envtest)", bin, assets)
		}
	}
	crlog.SetLogger(logr.Discard())
	env := &envtest.Environment{
		BinaryAssetsDirectory: assets, CRDDirectoryPaths: []string{crds}, ErrorIfCRDPathMissing: true,
		// Start-up bounds on a small shared machine, not assertions.
		ControlPlaneStartTimeout: 3 * time.Minute, ControlPlaneStopTimeout: time.Minute,
	}
	cfg, err := env.Start()
	if err != nil {
		t.Fatalf("start kube-apiserver from %s: %v", assets, err)
	}
	t.Cleanup(func() {
		if err := env.Stop(); err != nil {
			t.Logf("stop kube-apiserver: %v", err)
		}
	})
	return cfg
}
