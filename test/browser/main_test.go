package browser

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/leapfrog-games/leapfrog/internal/buildtest"
)

// chromiumPath is Debian's Chromium, which hack/install-test-deps.sh installs.
const chromiumPath = "/usr/bin/chromium"

// The commands the tests start, built once by TestMain.
var (
	allocatorBin  string
	raceServerBin string
)

// TestMain builds the allocator and the race server once for every test of the package.
func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if _, err := os.Stat(chromiumPath); err != nil {
		return m.Run() // every test skips, saying why; nothing to build for them
	}
	root, err := buildtest.ModuleRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "browser:", err)
		return 1
	}
	dir, err := os.MkdirTemp("", "leapfrog-browser-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "browser:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	if err := buildtest.Commands(root, dir, "./allocator/cmd/allocator-local", "./gameserver/cmd/race-server"); err != nil {
		fmt.Fprintln(os.Stderr, "browser:", err)
		return 1
	}
	allocatorBin, raceServerBin = filepath.Join(dir, "allocator-local"), filepath.Join(dir, "race-server")
	return m.Run()
}
