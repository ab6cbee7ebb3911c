package main

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/leapfrog-games/leapfrog/internal/buildtest"
)

// TestLinksNoGameServer: the production allocator links neither the game
// servers nor the script runtime; the embedded fleet is allocator-local's.
func TestLinksNoGameServer(t *testing.T) {
	root, err := buildtest.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "list", "-deps", "./allocator/cmd/allocator")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list -deps listed %d packages: %q", len(deps), deps)
	}
	for _, dep := range deps {
		if strings.Contains(dep, "/gameserver/") || strings.Contains(dep, "/internal/allocator/local") ||
			strings.Contains(dep, "dop251/goja") {
			t.Errorf("the production allocator links %s", dep)
		}
	}
}

// TestRefusesTheLocalBackend: --backend=local names the command that has it.
func TestRefusesTheLocalBackend(t *testing.T) {
	var out strings.Builder
	code := command().Main([]string{"--backend=local"}, &out)
	if code != 2 || !strings.Contains(out.String(), "allocator-local") {
		t.Fatalf("exit %d, %q; want 2 and a pointer to allocator-local", code, out.String())
	}
}

// TestFlags: the production command has the shared flags and --players,
// defaults to Agones, and has none of the local fleet's.
func TestFlags(t *testing.T) {
	var out strings.Builder
	if code := command().Main([]string{"-help"}, &out); code != 0 {
		t.Fatalf("-help: exit %d", code)
	}
	help := out.String()
	for _, want := range []string{"-players", "-backend string", `(default "agones")`, "-races-per-server", "-key-file"} {
		if !strings.Contains(help, want) {
			t.Errorf("help lacks %q", want)
		}
	}
	for _, local := range []string{"-local-buffer", "-script-dir", "-hop-duration"} {
		if strings.Contains(help, local) {
			t.Errorf("help has the local fleet's %q", local)
		}
	}
}
