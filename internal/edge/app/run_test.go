package app

import (
	"context"
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/gorilla/websocket"
	"google.golang.org/protobuf/proto"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	crlog "sigs.k8s.io/controller-runtime/pkg/log"

	realtimev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/realtime/v1"
	"github.com/leapfrog-games/leapfrog/contract/token"
	"github.com/leapfrog-games/leapfrog/internal/selfsigned"
)

// realAPIServer starts kube-apiserver and etcd (hack/tools.sh envtest) with the Agones CRDs, or skips.
func realAPIServer(t *testing.T) *envtest.Environment {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..", "..")
	var crds string
	for _, dir := range []string{filepath.Join(root, ".."), filepath.Join(root, "..", "..")} {
		if p := filepath.Join(dir, "shared", "agones", "crds.yaml"); fileExists(p) {
			crds = p
			break
		}
	}
	if crds == "" {
		t.Skip("skipping: the Agones CRDs (../shared/agones/crds.yaml) are not here")
	}
	cache := os.Getenv("LEAPFROG_CACHE")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, ".cache", "leapfrog")
	}
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		assets = filepath.Join(cache, "k8s-v1.37.2")
	}
	if !fileExists(filepath.Join(assets, "kube-apiserver")) || !fileExists(filepath.Join(assets, "etcd")) {
		t.Skipf("skipping: kube-apiserver and etcd not in %s (hack/tools.sh envtest)", assets)
	}
	crlog.SetLogger(logr.Discard())
	env := &envtest.Environment{
		BinaryAssetsDirectory: assets, CRDDirectoryPaths: []string{crds}, ErrorIfCRDPathMissing: true,
		ControlPlaneStartTimeout: 3 * time.Minute, ControlPlaneStopTimeout: time.Minute,
	}
	if _, err := env.Start(); err != nil {
		t.Fatalf("start kube-apiserver: %v", err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	return env
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// The edge binary's wiring against a real kube-apiserver: it relays to an Allocated GameServer of its
// Fleet, refuses another Fleet's, and lets a player in as soon as the watch shows the allocation.
func TestEdgeOnARealAPIServer(t *testing.T) {
	env := realAPIServer(t)
	c, err := client.New(env.Config, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "games"}}); err != nil {
		t.Fatal(err)
	}
	secret := []byte(token.NewID() + token.NewID())
	keys, err := token.NewKeyset("k1", token.Key{ID: "k1", Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "keys.json")
	raw, _ := token.MarshalKeyFile("k1", token.Key{ID: "k1", Secret: secret})
	if err := os.WriteFile(keyFile, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	issuer := token.NewIssuer(keys, nil)

	// The game server: echoes what it gets.
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		for {
			kind, b, err := ws.ReadMessage()
			if err != nil || ws.WriteMessage(kind, b) != nil {
				return
			}
		}
	}))
	defer up.Close()
	_, portText, _ := net.SplitHostPort(strings.TrimPrefix(up.URL, "http://"))
	var port int64
	fmt.Sscan(portText, &port)
	gameServer := func(name, fleet, state string) *unstructured.Unstructured {
		u := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "agones.dev/v1", "kind": "GameServer",
			"metadata": map[string]any{"name": name, "namespace": "games", "labels": map[string]any{"agones.dev/fleet": fleet}},
			"spec": map[string]any{"template": map[string]any{"spec": map[string]any{
				"containers": []any{map[string]any{"name": "race-server", "image": "leapfrog"}}}}},
			"status": map[string]any{"state": state, "address": "127.0.0.1", "ports": []any{map[string]any{"name": "default", "port": port}}},
		}}
		if err := c.Create(ctx, u); err != nil {
			t.Fatalf("create GameServer %s: %v", name, err)
		}
		return u
	}
	gameServer("race-a", "leapfrog-race", "Allocated")
	gameServer("race-b", "other-fleet", "Allocated")
	later := gameServer("race-c", "leapfrog-race", "Ready")

	// TLS from files, as mounted from a Secret; both certificates are trusted by the player.
	certFile, keyPEMFile := filepath.Join(t.TempDir(), "tls.crt"), filepath.Join(t.TempDir(), "tls.key")
	pool := x509.NewCertPool()
	writeCert := func() *x509.Certificate {
		cert, certPEM, err := selfsigned.Certificate(time.Hour, "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		der, _ := x509.MarshalECPrivateKey(cert.PrivateKey.(*ecdsa.PrivateKey))
		keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der})
		if os.WriteFile(keyPEMFile, keyPEM, 0o600) != nil || os.WriteFile(certFile, certPEM, 0o600) != nil {
			t.Fatal("write TLS files")
		}
		pool.AddCert(cert.Leaf)
		return cert.Leaf
	}
	first := writeCert()
	dialer := &websocket.Dialer{TLSClientConfig: &tls.Config{RootCAs: pool}, HandshakeTimeout: 10 * time.Second}

	cfg := DefaultConfig()
	cfg.Namespace, cfg.KeyFile, cfg.DrainGrace = "games", keyFile, time.Second
	cfg.TLSCertFile, cfg.TLSKeyFile = certFile, keyPEMFile
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	adminLn, _ := net.Listen("tcp", "127.0.0.1:0")
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- Run(runCtx, cfg, Deps{RESTConfig: env.Config, Listener: ln, AdminListener: adminLn}) }()
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	admin := "http://" + adminLn.Addr().String()
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
		resp, err := http.Get(admin + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz never 200: %v", err)
		}
	}

	connect := func(name string) (*websocket.Conn, []byte) {
		tok, _, _ := issuer.MintPlayerSession("p1", name, time.Minute)
		hello, _ := proto.Marshal(&realtimev1.ClientFrame{Payload: &realtimev1.ClientFrame_Hello{Hello: &realtimev1.Hello{PlayerSessionToken: tok}}})
		ws, _, err := dialer.Dial("wss://"+ln.Addr().String()+"/race/"+name, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ws.Close() })
		if err := ws.WriteMessage(websocket.BinaryMessage, hello); err != nil {
			t.Fatal(err)
		}
		_ = ws.SetReadDeadline(time.Now().Add(30 * time.Second))
		return ws, hello
	}
	t.Run("relays to its Fleet", func(t *testing.T) {
		ws, hello := connect("race-a")
		if _, b, err := ws.ReadMessage(); err != nil || string(b) != string(hello) {
			t.Fatalf("echo through the edge: %v", err)
		}
	})
	t.Run("refuses another Fleet", func(t *testing.T) {
		ws, _ := connect("race-b")
		_, _, _ = ws.ReadMessage() // the Error frame
		if _, _, err := ws.ReadMessage(); !websocket.IsCloseError(err, 4009) {
			t.Fatalf("got %v, want close 4009", err)
		}
	})
	t.Run("reloads its certificate", func(t *testing.T) {
		served := func() *x509.Certificate {
			conn, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{RootCAs: pool})
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			return conn.ConnectionState().PeerCertificates[0]
		}
		if !served().Equal(first) {
			t.Fatal("the edge does not serve the certificate from its files")
		}
		second := writeCert()
		for deadline := time.Now().Add(time.Minute); !served().Equal(second); time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("the edge still serves the old certificate a minute after the files changed")
			}
		}
	})
	t.Run("waits for the allocation", func(t *testing.T) {
		ws, hello := connect("race-c")
		later.Object["status"].(map[string]any)["state"] = "Allocated"
		if err := c.Update(ctx, later); err != nil {
			t.Fatal(err)
		}
		if _, b, err := ws.ReadMessage(); err != nil || string(b) != string(hello) {
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				t.Fatalf("refused (%d %s): the watch did not show the allocation in time", ce.Code, ce.Text)
			}
			t.Fatalf("echo through the edge: %v", err)
		}
	})
}
