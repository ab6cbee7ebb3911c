package browser

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
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
	root, err := findModuleRoot()
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
	build := exec.Command("go", "build", "-o", dir+string(filepath.Separator), "./allocator/cmd/allocator", "./gameserver/cmd/race-server")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "browser: build the commands: %v\n%s", err, out)
		return 1
	}
	allocatorBin, raceServerBin = filepath.Join(dir, "allocator"), filepath.Join(dir, "race-server")
	return m.Run()
}

// findModuleRoot walks up from the working directory (the package's folder under go test) to go.mod.
func findModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		} else if !errors.Is(err, os.ErrNotExist) {
			return "", err
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}
