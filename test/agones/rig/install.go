package rig

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// GameCmdAnnotation is the pod-template annotation with which the rig's pod
// runner starts a GameServer's game process (bash -c) instead of its image.
const GameCmdAnnotation = "realagones/game-cmd"

// fieldOwner is the field manager the objects are applied with, as Helm
// applies them.
const fieldOwner = "helm"

// Installer installs releases of the chart on the rig's API server.
type Installer struct {
	// Config reaches the API server with the rig's admin credentials.
	Config *rest.Config
	// Chart is rendered for every release.
	Chart Chart
	// Dir holds one folder per release (key file, kubeconfig, logs).
	Dir string
	// Log receives progress lines; nil discards them.
	Log io.Writer
}

// InstallOptions are one release's inputs.
type InstallOptions struct {
	// Release and Namespace name the release, as helm install -n does.
	Release, Namespace string
	Values             Values
	// RaceServer is the binary each GameServer runs, with the arguments of
	// the chart's race-server container.
	RaceServer string
	// Objects are applied before the release, as a user creates them with
	// kubectl before helm install (e.g. the ConfigMap of race.script).
	Objects []*unstructured.Unstructured
}

// Release is an installed release and what its Deployment and helm test pod
// would run, so that they can run here as local processes.
type Release struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
	// Fleet is the name of the release's Fleet.
	Fleet string `json:"fleet"`
	// Dir is the release's folder.
	Dir string `json:"dir"`
	// KeyFile is the token key file of the release's Secret.
	KeyFile string `json:"keyFile"`
	// ServiceAccount is the allocator's ServiceAccount.
	ServiceAccount string `json:"serviceAccount"`
	// AllocatorKubeconfig reaches the API server with a token of that
	// ServiceAccount, and nothing more.
	AllocatorKubeconfig string `json:"allocatorKubeconfig"`
	// AllocatorArgs are the allocator container's arguments with the key file
	// rewritten; --listen is set for each process.
	AllocatorArgs []string `json:"allocatorArgs"`
	// AllocatorEnv are the allocator container's literal environment values.
	AllocatorEnv []string `json:"allocatorEnv,omitempty"`
	// EdgeArgs, EdgeServiceAccount and EdgeKubeconfig are the same for the
	// edge Deployment, when the release has one (edge.enabled).
	EdgeArgs           []string `json:"edgeArgs,omitempty"`
	EdgeServiceAccount string   `json:"edgeServiceAccount,omitempty"`
	EdgeKubeconfig     string   `json:"edgeKubeconfig,omitempty"`
	// TestArgs are the helm test pod's bot arguments, without --allocator.
	TestArgs []string `json:"testArgs,omitempty"`
	// Allocators are the allocator processes started for the release.
	Allocators []Allocator `json:"allocators,omitempty"`
	// FleetReady is how long the Fleet took to be Ready after the apply.
	FleetReady time.Duration `json:"fleetReady"`
}

func (in *Installer) logf(format string, args ...any) {
	if in.Log != nil {
		fmt.Fprintf(in.Log, "==> "+format+"\n", args...)
	}
}

// Install renders the chart and applies the release the way helm install
// would, except for the objects that need a kubelet or a registry (the
// allocator Deployment, hook pods): their arguments go into the Release. It
// waits for the Fleet to be Ready.
func (in *Installer) Install(ctx context.Context, o InstallOptions) (*Release, error) {
	if o.RaceServer == "" {
		return nil, errors.New("install: no race server binary")
	}
	c, err := client.New(in.Config, client.Options{})
	if err != nil {
		return nil, fmt.Errorf("install %s: client: %w", o.Release, err)
	}
	objs, err := in.render(ctx, o)
	if err != nil {
		return nil, err
	}
	rel := &Release{Name: o.Release, Namespace: o.Namespace, Dir: filepath.Join(in.Dir, o.Namespace+"-"+o.Release)}
	if err := os.MkdirAll(rel.Dir, 0o700); err != nil {
		return nil, err
	}
	rel.KeyFile = filepath.Join(rel.Dir, "keys.json")
	if err := in.prepareNamespace(ctx, c, o.Namespace); err != nil {
		return nil, err
	}
	for _, obj := range o.Objects {
		obj.SetNamespace(o.Namespace)
		if err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(obj), client.FieldOwner("kubectl"), client.ForceOwnership); err != nil {
			return nil, fmt.Errorf("install %s: apply %s %s: %w", o.Release, obj.GetKind(), obj.GetName(), err)
		}
		in.logf("applied %s %s/%s", obj.GetKind(), o.Namespace, obj.GetName())
	}

	started := time.Now()
	if err := in.apply(ctx, c, o, rel, objs, false); err != nil {
		return nil, err
	}
	if _, err := os.Stat(rel.KeyFile); err != nil {
		// keys.existingSecret: the key file comes from the cluster.
		if err := in.readKeySecret(ctx, c, rel); err != nil {
			return nil, err
		}
	}
	if rel.AllocatorKubeconfig, err = in.writeTokenKubeconfig(ctx, rel, rel.ServiceAccount); err != nil {
		return nil, err
	}
	if rel.EdgeServiceAccount != "" {
		if rel.EdgeKubeconfig, err = in.writeTokenKubeconfig(ctx, rel, rel.EdgeServiceAccount); err != nil {
			return nil, err
		}
	}
	in.logf("waiting for Fleet %s/%s to be Ready", rel.Namespace, rel.Fleet)
	if err := WaitFleetReady(ctx, c, rel.Namespace, rel.Fleet, 3*time.Minute); err != nil {
		return nil, err
	}
	rel.FleetReady = time.Since(started)
	in.logf("Fleet %s/%s Ready %.1fs after the apply", rel.Namespace, rel.Fleet, rel.FleetReady.Seconds())
	return rel, nil
}

// apply applies a rendered release as helm install (upgrade false) or helm
// upgrade does, keeping in rel what the Deployments and the test pod run.
func (in *Installer) apply(ctx context.Context, c client.Client, o InstallOptions, rel *Release, objs []*unstructured.Unstructured, upgrade bool) error {
	// The release's own Secrets and ConfigMaps are applied below; the rig
	// reads what the race server needs of them (the key file) from the
	// rendered objects, and projects only volumes of objects made before.
	own := map[string]bool{}
	for _, obj := range objs {
		if k := obj.GetKind(); k == "Secret" || k == "ConfigMap" {
			own[obj.GetName()] = true
		}
	}
	var apply []*unstructured.Unstructured
	for _, obj := range objs {
		switch {
		case IsHook(obj):
			if obj.GetKind() == "Pod" {
				args, err := testArgs(obj)
				if err != nil {
					return err
				}
				rel.TestArgs = args
			}
			continue
		case obj.GetKind() == "Deployment":
			if err := rel.takeDeployment(obj); err != nil {
				return err
			}
			continue
		case obj.GetKind() == "Fleet":
			rel.Fleet = obj.GetName()
			volumes, err := projectVolumes(ctx, c, obj, o.Namespace, filepath.Join(rel.Dir, "volumes"), own)
			if err != nil {
				return err
			}
			if err := setGameCommand(obj, o.RaceServer, rel.KeyFile, volumes); err != nil {
				return err
			}
		case obj.GetKind() == "Secret" && upgrade:
			// helm upgrade keeps the key Secret (its template looks the
			// previous one up, which helm template cannot): tokens in
			// flight stay valid.
			continue
		case obj.GetKind() == "Secret":
			if err := writeKeyFile(obj, rel.KeyFile); err != nil {
				return err
			}
		}
		apply = append(apply, obj)
	}
	if rel.Fleet == "" || rel.AllocatorArgs == nil {
		return fmt.Errorf("install %s: the chart rendered no Fleet or no allocator Deployment", o.Release)
	}

	for _, obj := range apply {
		namespaced, err := c.IsObjectNamespaced(obj)
		if err != nil {
			return fmt.Errorf("install %s: %s %s: %w", o.Release, obj.GetKind(), obj.GetName(), err)
		}
		if namespaced && obj.GetNamespace() == "" {
			obj.SetNamespace(o.Namespace)
		}
		if err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(obj), client.FieldOwner(fieldOwner), client.ForceOwnership); err != nil {
			return fmt.Errorf("install %s: apply %s %s: %w", o.Release, obj.GetKind(), obj.GetName(), err)
		}
		in.logf("applied %s %s/%s", obj.GetKind(), obj.GetNamespace(), obj.GetName())
	}
	return nil
}

// Upgrade applies the chart again to an installed release with o's values,
// as helm upgrade does: the Fleet rolls to a new GameServerSet if its
// template changed (Agones keeps Allocated servers), and rel's allocator
// arguments become the new Deployment's, for the allocator processes
// started from now on. It does not wait for the Fleet.
func (in *Installer) Upgrade(ctx context.Context, rel *Release, o InstallOptions) error {
	if o.RaceServer == "" {
		return errors.New("upgrade: no race server binary")
	}
	c, err := client.New(in.Config, client.Options{})
	if err != nil {
		return fmt.Errorf("upgrade %s: client: %w", rel.Name, err)
	}
	o.Release, o.Namespace = rel.Name, rel.Namespace
	objs, err := in.render(ctx, o)
	if err != nil {
		return err
	}
	return in.apply(ctx, c, o, rel, objs, true)
}

// render renders the chart for o, for the API server it installs on, as
// helm install does.
func (in *Installer) render(ctx context.Context, o InstallOptions) ([]*unstructured.Unstructured, error) {
	chart := in.Chart
	if chart.KubeVersion == "" {
		dc, err := discovery.NewDiscoveryClientForConfig(in.Config)
		if err != nil {
			return nil, err
		}
		v, err := dc.ServerVersion()
		if err != nil {
			return nil, fmt.Errorf("install %s: server version: %w", o.Release, err)
		}
		chart.KubeVersion = v.GitVersion
	}
	return chart.Render(ctx, o.Release, o.Namespace, o.Values)
}

// prepareNamespace creates the namespace and the ServiceAccount that Agones
// gives GameServer pods, as Agones' own chart does for the namespaces it is
// told to watch (gameservers.namespaces).
func (in *Installer) prepareNamespace(ctx context.Context, c client.Client, ns string) error {
	for _, obj := range []*unstructured.Unstructured{
		{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": ns}}},
		{Object: map[string]any{"apiVersion": "v1", "kind": "ServiceAccount",
			"metadata": map[string]any{"name": "agones-sdk", "namespace": ns}}},
	} {
		if err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(obj), client.FieldOwner("leapfrog-rig"), client.ForceOwnership); err != nil {
			return fmt.Errorf("namespace %s: apply %s: %w", ns, obj.GetKind(), err)
		}
	}
	return nil
}

// takeDeployment keeps what the allocator or the edge Deployment would run.
func (rel *Release) takeDeployment(obj *unstructured.Unstructured) error {
	sa, _, _ := unstructured.NestedString(obj.Object, "spec", "template", "spec", "serviceAccountName")
	if sa == "" {
		return fmt.Errorf("deployment %s runs without a ServiceAccount", obj.GetName())
	}
	if ctr, err := container(obj, "allocator", "spec", "template", "spec"); err == nil {
		rel.AllocatorArgs = rewriteFlags(stringSlice(ctr, "args"), map[string]string{"key-file": rel.KeyFile})
		rel.AllocatorEnv = literalEnv(ctr)
		rel.ServiceAccount = sa
		return nil
	}
	ctr, err := container(obj, "edge", "spec", "template", "spec")
	if err != nil {
		return fmt.Errorf("deployment %s runs neither the allocator nor the edge", obj.GetName())
	}
	rel.EdgeArgs = rewriteFlags(stringSlice(ctr, "args"), map[string]string{"key-file": rel.KeyFile})
	rel.EdgeServiceAccount = sa
	return nil
}

// testArgs reads the helm test pod's bot arguments, leaving out the
// in-cluster allocator address.
func testArgs(pod *unstructured.Unstructured) ([]string, error) {
	ctr, err := container(pod, "bot", "spec")
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(stringSlice(ctr, "args"), func(a string) bool {
		return strings.HasPrefix(a, "--allocator=")
	}), nil
}

// setGameCommand makes each GameServer of the Fleet run raceServer with the
// race-server container's arguments, listening where the pod runner says
// and reading the key file, and the files of the projected volumes (mount
// path -> folder here), from disk instead of the volumes.
func setGameCommand(fleet *unstructured.Unstructured, raceServer, keyFile string, volumes map[string]string) error {
	ctr, err := container(fleet, "race-server", "spec", "template", "spec", "template", "spec")
	if err != nil {
		return err
	}
	args := rewriteFlags(stringSlice(ctr, "args"), map[string]string{
		"listen":       "127.0.0.1:${PORT}",
		"admin-listen": "127.0.0.1:0",
		"key-file":     keyFile,
	})
	for i, a := range args {
		name, value, ok := strings.Cut(a, "=")
		if !ok {
			continue
		}
		for mount, local := range volumes {
			if value == mount || strings.HasPrefix(value, mount+"/") {
				args[i] = name + "=" + local + strings.TrimPrefix(value, mount)
			}
		}
	}
	cmd := "exec " + shellQuote(raceServer)
	for _, a := range args {
		if strings.Contains(a, "${PORT}") {
			cmd += ` "` + a + `"`
		} else {
			cmd += " " + shellQuote(a)
		}
	}
	return unstructured.SetNestedField(fleet.Object, cmd,
		"spec", "template", "spec", "template", "metadata", "annotations", GameCmdAnnotation)
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// writeKeyFile writes the Secret's keys.json, the file the chart mounts.
func writeKeyFile(secret *unstructured.Unstructured, path string) error {
	data, _, _ := unstructured.NestedString(secret.Object, "data", "keys.json")
	if data == "" {
		return nil
	}
	raw, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		return fmt.Errorf("key Secret %s: keys.json: %w", secret.GetName(), err)
	}
	return os.WriteFile(path, raw, 0o600)
}

func (in *Installer) readKeySecret(ctx context.Context, c client.Client, rel *Release) error {
	var secrets unstructured.UnstructuredList
	secrets.SetAPIVersion("v1")
	secrets.SetKind("SecretList")
	if err := c.List(ctx, &secrets, client.InNamespace(rel.Namespace)); err != nil {
		return fmt.Errorf("list Secrets in %s: %w", rel.Namespace, err)
	}
	for i := range secrets.Items {
		if err := writeKeyFile(&secrets.Items[i], rel.KeyFile); err != nil {
			return err
		}
		if _, err := os.Stat(rel.KeyFile); err == nil {
			return nil
		}
	}
	return fmt.Errorf("no Secret with keys.json in %s", rel.Namespace)
}

// writeTokenKubeconfig mints a token of a ServiceAccount of the release
// (what the kubelet mounts into its pods) and writes a kubeconfig that uses
// only that token.
func (in *Installer) writeTokenKubeconfig(ctx context.Context, rel *Release, sa string) (string, error) {
	cs, err := kubernetes.NewForConfig(in.Config)
	if err != nil {
		return "", err
	}
	expiry := int64((24 * time.Hour).Seconds())
	tr, err := cs.CoreV1().ServiceAccounts(rel.Namespace).CreateToken(ctx, sa,
		&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &expiry}}, metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("token of ServiceAccount %s/%s: %w", rel.Namespace, sa, err)
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["rig"] = &clientcmdapi.Cluster{
		Server:                   in.Config.Host,
		CertificateAuthority:     in.Config.CAFile,
		CertificateAuthorityData: in.Config.CAData,
	}
	cfg.AuthInfos[sa] = &clientcmdapi.AuthInfo{Token: tr.Status.Token}
	cfg.Contexts[sa] = &clientcmdapi.Context{Cluster: "rig", AuthInfo: sa, Namespace: rel.Namespace}
	cfg.CurrentContext = sa
	path := filepath.Join(rel.Dir, sa+".kubeconfig")
	return path, clientcmd.WriteToFile(*cfg, path)
}

// Uninstall deletes the release's namespace and waits until it is gone (the
// Agones controller removes its GameServers' finalizers), and stops the
// release's allocator processes.
func (in *Installer) Uninstall(ctx context.Context, rel *Release) error {
	for _, a := range rel.Allocators {
		a.Stop(10 * time.Second)
	}
	c, err := client.New(in.Config, client.Options{})
	if err != nil {
		return err
	}
	ns := &unstructured.Unstructured{}
	ns.SetAPIVersion("v1")
	ns.SetKind("Namespace")
	ns.SetName(rel.Namespace)
	if err := c.Delete(ctx, ns); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete namespace %s: %w", rel.Namespace, err)
	}
	return Poll(ctx, 3*time.Minute, func() (bool, error) {
		err := c.Get(ctx, client.ObjectKeyFromObject(ns), ns)
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		return false, err
	}, "namespace %s to be deleted", rel.Namespace)
}
