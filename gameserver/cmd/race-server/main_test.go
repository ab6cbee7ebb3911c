package main

import (
	"bytes"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/leapfrog-games/leapfrog/contract/token"
	"github.com/leapfrog-games/leapfrog/internal/buildtest"
)

// TestWithoutSidecarSaysSo: started outside Agones (nothing on the SDK
// port), the race server says within 5 s, at warning level, which sidecar
// URL it waits for and what to run instead, and stops cleanly on SIGTERM.
func TestWithoutSidecarSaysSo(t *testing.T) {
	root, err := buildtest.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := buildtest.Commands(root, dir, "./gameserver/cmd/race-server"); err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(dir, "keys.json")
	data, err := token.MarshalKeyFile("k", token.Key{ID: "k", Secret: bytes.Repeat([]byte("s"), token.MinSecretBytes)})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, data, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		args []string
	}{
		{"the Go race", nil},
		{"a Realtime script", []string{"--game=script", "--script-dir=" + filepath.Join(root, "examples", "megafrograce")}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, port, _ := net.SplitHostPort(buildtest.FreeAddr(t)) // nothing answers there: no sidecar
			args := append([]string{"--sdk-http-port", port, "--key-file", keyFile,
				"--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"}, tt.args...)
			cmd := exec.Command(filepath.Join(dir, "race-server"), args...)
			cmd.Env = buildtest.HermeticEnv("LEAPFROG_")
			var out buildtest.Output
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			t.Cleanup(func() {
				_ = cmd.Process.Kill()
				if t.Failed() {
					t.Logf("race-server output:\n%s", out.String())
				}
			})

			want := "http://localhost:" + port
			deadline := time.Now().Add(5 * time.Second)
			var warning map[string]any
			for warning == nil {
				warning = findWarning(out.String(), want)
				if warning != nil {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("no warning naming %s within 5 s", want)
				}
				select {
				case err := <-exited:
					t.Fatalf("race-server exited (%v) instead of waiting for the sidecar", err)
				case <-time.After(50 * time.Millisecond):
				}
			}
			t.Logf("warned %v before the 5 s deadline: %v", time.Until(deadline).Round(time.Millisecond), warning["msg"])
			msg, _ := warning["msg"].(string)
			for _, hint := range []string{"Agones GameServer", "make run", "--backend=local"} {
				if !strings.Contains(msg, hint) {
					t.Errorf("the warning %q does not say %q", msg, hint)
				}
			}
			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			select {
			case err := <-exited:
				if err != nil {
					t.Errorf("race-server on SIGTERM while waiting: %v, want a clean exit", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("race-server still running 10 s after SIGTERM")
			}
		})
	}
}

// findWarning is the first WARN or ERROR line of out that names sdkURL.
func findWarning(out, sdkURL string) map[string]any {
	for line := range strings.Lines(out) {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) != nil {
			continue
		}
		if (rec["level"] == "WARN" || rec["level"] == "ERROR") && rec["sdk_url"] == sdkURL {
			return rec
		}
	}
	return nil
}
