package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/leapfrog-games/leapfrog/internal/buildtest"
)

// Set by TestMain: the repository root and the allocator binary built from it.
var (
	moduleRoot   string
	allocatorBin string
)

// TestMain builds the allocator once for every test of the package.
func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	root, err := buildtest.ModuleRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	dir, err := os.MkdirTemp("", "leapfrog-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "allocator-local")
	if err := buildtest.Commands(root, dir, "./allocator/cmd/allocator-local"); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	moduleRoot, allocatorBin = root, bin
	return m.Run()
}
