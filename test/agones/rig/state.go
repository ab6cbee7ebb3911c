package rig

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// State is what `agonesrig up` leaves behind for the tests, for further
// releases and for `agonesrig down`.
type State struct {
	// Dir is the rig's own folder (releases, logs, this file).
	Dir string `json:"dir"`
	// Kubeconfig is the Agones rig's admin kubeconfig.
	Kubeconfig string `json:"kubeconfig"`
	// PodLogs is the Agones rig's log folder (podrunner.state and one
	// .game.log and .sdk.log per GameServer).
	PodLogs string `json:"podLogs"`
	// Bin holds the project's binaries: race-server, allocator, bot, and
	// race-server-faults (built with -tags faultinject).
	Bin string `json:"bin"`
	// Helm and Chart render releases.
	Helm  string `json:"helm"`
	Chart string `json:"chart"`
	// Releases are installed releases, the first being the main one.
	Releases []*Release `json:"releases"`
	// Up is when the rig was brought up.
	Up time.Time `json:"up"`
}

// DefaultDir is where the rig keeps its state: LEAPFROG_RIG_DIR, or
// leapfrog/agones-rig in the user's cache folder.
func DefaultDir() string {
	if d := os.Getenv("LEAPFROG_RIG_DIR"); d != "" {
		return d
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	return filepath.Join(cache, "leapfrog", "agones-rig")
}

// ErrNotUp is returned by LoadState when no rig has been brought up.
var ErrNotUp = errors.New("the real-Agones rig is not up: run hack/agones-up.sh")

// LoadState reads the state in dir.
func LoadState(dir string) (*State, error) {
	data, err := os.ReadFile(filepath.Join(dir, "state.json"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNotUp
	}
	if err != nil {
		return nil, err
	}
	var s State
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, "state.json"), err)
	}
	return &s, nil
}

// Save writes the state atomically.
func (s *State) Save() error {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(s.Dir, "state.json.tmp")
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(s.Dir, "state.json"))
}

// RESTConfig is the admin connection to the rig's API server.
func (s *State) RESTConfig() (*rest.Config, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", s.Kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("kubeconfig %s: %w", s.Kubeconfig, err)
	}
	cfg.QPS, cfg.Burst = 100, 200
	return cfg, nil
}

// Installer returns an installer for further releases on the rig.
func (s *State) Installer() (*Installer, error) {
	cfg, err := s.RESTConfig()
	if err != nil {
		return nil, err
	}
	return &Installer{Config: cfg, Chart: Chart{Helm: s.Helm, Dir: s.Chart}, Dir: filepath.Join(s.Dir, "releases")}, nil
}

// Binary is the path of one of the project's binaries.
func (s *State) Binary(name string) string { return filepath.Join(s.Bin, name) }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
