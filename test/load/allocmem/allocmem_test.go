// Package allocmem measures the production allocator's size and resident
// memory on a real kube-apiserver (with the Agones CRDs): idle once it
// serves, and after 500 guest requests. Opt-in, for docs/measurements.md:
//
//	go build -o /tmp/a ./allocator/cmd/allocator
//	ALLOCATOR_BINS=/tmp/a[,/tmp/b...] go test -count=1 -v -run TestAllocatorMemory ./test/load/allocmem
package allocmem

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/leapfrog-games/leapfrog/contract/token"
	"github.com/leapfrog-games/leapfrog/internal/kubetest"
)

// rss is the process's VmRSS line from /proc.
func rss(pid int) string {
	f, _ := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "VmRSS") {
			return strings.TrimSpace(strings.TrimPrefix(sc.Text(), "VmRSS:"))
		}
	}
	return "?"
}

func TestAllocatorMemory(t *testing.T) {
	bins := os.Getenv("ALLOCATOR_BINS")
	if bins == "" {
		t.Skip("skipping: a measurement; set ALLOCATOR_BINS to the allocator binaries to measure")
	}
	cfg := kubetest.Start(t)
	dir := t.TempDir()
	kc := clientcmdapi.NewConfig()
	kc.Clusters["c"] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: cfg.CAData}
	kc.AuthInfos["u"] = &clientcmdapi.AuthInfo{ClientCertificateData: cfg.CertData, ClientKeyData: cfg.KeyData, Token: cfg.BearerToken}
	kc.Contexts["x"] = &clientcmdapi.Context{Cluster: "c", AuthInfo: "u"}
	kc.CurrentContext = "x"
	kcPath := filepath.Join(dir, "kubeconfig")
	if err := clientcmd.WriteToFile(*kc, kcPath); err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(dir, "keys.json")
	data, err := token.MarshalKeyFile("k1", token.Key{ID: "k1", Secret: []byte(strings.Repeat("s", token.MinSecretBytes))})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, data, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, bin := range strings.Split(bins, ",") {
		for run := 0; run < 3; run++ {
			ln, _ := net.Listen("tcp", "127.0.0.1:0")
			addr := ln.Addr().String()
			ln.Close()
			cmd := exec.Command(bin, "--backend=agones", "--namespace=default", "--key-file="+keyFile, "--listen="+addr, "--log-level=error")
			cmd.Env = append(os.Environ(), "KUBECONFIG="+kcPath)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			served := false
			for deadline := time.Now().Add(30 * time.Second); !served && time.Now().Before(deadline); {
				if r, err := http.Get("http://" + addr + "/healthz"); err == nil {
					r.Body.Close()
					served = r.StatusCode == http.StatusOK
				}
				time.Sleep(50 * time.Millisecond)
			}
			if !served {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("%s did not serve /healthz within 30 s", bin)
			}
			time.Sleep(3 * time.Second)
			idle := rss(cmd.Process.Pid)
			for i := 0; i < 500; i++ {
				r, err := http.Post("http://"+addr+"/v1/guest", "application/json", strings.NewReader("{}"))
				if err == nil {
					r.Body.Close()
				}
			}
			after := rss(cmd.Process.Pid)
			st, _ := os.Stat(bin)
			t.Logf("%s size %d idle RSS %s after 500 guests %s", filepath.Base(bin), st.Size(), idle, after)
			cmd.Process.Kill()
			cmd.Wait()
		}
	}
}
