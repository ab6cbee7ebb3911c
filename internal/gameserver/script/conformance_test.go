package script

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leapfrog-games/leapfrog/gameserver/realtime"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime/realtimetest"
)

// The conformance corpus: small Node.js programs (testdata/conformance),
// each printing one behaviour with console.log. Each runs here, as a
// module a script requires, on a session driven by a fake clock until no
// timer is left; its output must equal the golden file (.out) that real
// Node.js printed, except for the lines known-differences.txt lists.
// Where node is on PATH the golden files are also checked to be current;
// `make conformance-golden` (-update-golden) rewrites them.

const conformanceDir = "testdata/conformance"

var updateGolden = flag.Bool("update-golden", false, "rewrite testdata/conformance/*.out with node's output")

// captureHandler keeps the text of every record: the script's console.
type captureHandler struct {
	mu    sync.Mutex
	lines []string
}

func (h *captureHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *captureHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	text := r.Message
	r.Attrs(func(a slog.Attr) bool { // a console line has none: errors do, kept on the error's line
		text += " " + strings.ReplaceAll(a.String(), "\n", " | ")
		return true
	})
	h.lines = append(h.lines, strings.Split(text, "\n")...)
	return nil
}
func (h *captureHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *captureHandler) WithGroup(string) slog.Handler      { return h }

// runOnHost runs file as Leapfrog does and returns its console lines.
func runOnHost(t *testing.T, file string) []string {
	t.Helper()
	body, err := os.ReadFile(filepath.Join(conformanceDir, file))
	if err != nil {
		t.Fatal(err)
	}
	src, err := NewSource(map[string][]byte{
		"index.js": []byte("exports.ssExports = { init: function () {}, onStartGameSession: function () { require('./" + file + "'); } };"),
		file:       body,
	}, "index.js")
	if err != nil {
		t.Fatal(err)
	}
	h := &captureHandler{}
	start := time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC)
	prog, err := NewProgram(src, Config{Logger: slog.New(h), Clock: realtimetest.NewFakeClock(start)})
	if err != nil {
		return []string{"load error: " + err.Error()}
	}
	game, err := prog.NewGame()
	if err != nil {
		t.Fatal(err)
	}
	hs, err := realtimetest.NewHarness(prog.Realtime(realtime.Config{EmptyTimeout: time.Hour}), game, start)
	if err != nil {
		t.Fatal(err)
	}
	// Run the timers to completion: at most a minute of the fake clock.
	for now := start; now.Sub(start) < time.Minute; {
		if ended, _ := hs.Ended(); ended {
			break
		}
		next := hs.NextWake()
		if next.IsZero() {
			break
		}
		d := max(next.Sub(now), 0)
		hs.Advance(d)
		now = now.Add(d)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.lines)
}

// runOnNode runs file with the machine's node.
func runOnNode(t *testing.T, node, file string) []string {
	t.Helper()
	var out bytes.Buffer
	cmd := exec.Command(node, file)
	cmd.Dir = conformanceDir
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Env = append(os.Environ(), "TZ=UTC", "NODE_OPTIONS=")
	if err := cmd.Run(); err != nil {
		t.Fatalf("node %s: %v\n%s", file, err, out.String())
	}
	return strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
}

// knownDifference is a line of known-differences.txt: file | line | why.
type knownDifference struct {
	file string
	line int
	why  string
}

func knownDifferences(t *testing.T) map[string]map[int]string {
	t.Helper()
	f, err := os.Open(filepath.Join(conformanceDir, "known-differences.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	known := map[string]map[int]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		var d knownDifference
		parts := strings.SplitN(text, "|", 3)
		if len(parts) != 3 {
			t.Fatalf("known-differences.txt: %q: want file | line | why", text)
		}
		d.file, d.why = strings.TrimSpace(parts[0]), strings.TrimSpace(parts[2])
		if _, err := fmt.Sscan(strings.TrimSpace(parts[1]), &d.line); err != nil || d.why == "" {
			t.Fatalf("known-differences.txt: %q: want file | line | why", text)
		}
		if known[d.file] == nil {
			known[d.file] = map[int]string{}
		}
		known[d.file][d.line] = d.why
	}
	return known
}

func corpus(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(conformanceDir, "[0-9][0-9]-*.js"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus in %s: %v", conformanceDir, err)
	}
	for i, f := range files {
		files[i] = filepath.Base(f)
	}
	return files
}

func TestConformanceWithNode(t *testing.T) {
	known := knownDifferences(t)
	node, _ := exec.LookPath("node")
	if node == "" {
		t.Log("node is not on PATH: comparing with the committed golden files only (not checking they are current)")
	}
	var compared, differing int
	for _, file := range corpus(t) {
		t.Run(strings.TrimSuffix(file, ".js"), func(t *testing.T) {
			goldenPath := filepath.Join(conformanceDir, strings.TrimSuffix(file, ".js")+".out")
			if node != "" {
				got := strings.Join(runOnNode(t, node, file), "\n") + "\n"
				if *updateGolden {
					if err := os.WriteFile(goldenPath, []byte(got), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				if b, err := os.ReadFile(goldenPath); err != nil || string(b) != got {
					t.Errorf("%s is not what node %s prints now: run make conformance-golden", goldenPath, node)
				}
			}
			b, err := os.ReadFile(goldenPath)
			if err != nil {
				t.Fatal(err)
			}
			want := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
			got := runOnHost(t, file)
			allowed := known[file]
			for i := range max(len(want), len(got)) {
				var w, g string
				if i < len(want) {
					w = want[i]
				}
				if i < len(got) {
					g = got[i]
				}
				compared++
				why, listed := allowed[i+1]
				switch {
				case w != g && !listed:
					t.Errorf("line %d:\n node: %s\n here: %s", i+1, w, g)
				case w == g && listed:
					t.Errorf("line %d is listed in known-differences.txt (%s) but no longer differs: remove it", i+1, why)
				case listed:
					differing++
				}
			}
			for line := range allowed {
				if line > max(len(want), len(got)) {
					t.Errorf("known-differences.txt lists line %d, past the output's end", line)
				}
			}
		})
	}
	t.Logf("corpus: %d files, %d lines compared, %d known differences", len(corpus(t)), compared, differing)
}
