package main

import (
	"bytes"
	"context"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestMain lets the test binary be the relay and sidecar processes: the
// driver starts itself (os.Executable) as `serve-relay` and `serve-sidecar`.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && (os.Args[1] == "serve-relay" || os.Args[1] == "serve-sidecar") {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// tiny is a short run at tiny scale: races of 3 hops, 100 ms apart.
var tiny = []string{"-races", "4", "-duration", "1500ms", "-ramp", "200ms", "-settle", "0s", "-countdown", "300ms",
	"-hop-every", "100ms", "-hops-per-race", "3", "-restart-within", "100ms", "-seed", "7"}

func runTool(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	code := run(ctx, args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// field reads name=<integer> from a summary line.
func field(t *testing.T, line, name string) int {
	t.Helper()
	m := regexp.MustCompile(`(?:^| )` + regexp.QuoteMeta(name) + `=(\d+)`).FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("no %s= in %q", name, line)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

func summary(t *testing.T, stdout, target, mode string) string {
	t.Helper()
	for line := range strings.Lines(stdout) {
		if strings.HasPrefix(line, "target="+target+" mode="+mode+" ") {
			return line
		}
	}
	t.Fatalf("no %s %s line in:\n%s", target, mode, stdout)
	return ""
}

func TestRelayTinyRun(t *testing.T) {
	code, stdout, stderr := runTool(t, append([]string{"relay", "-saturate", "1s", "-saturate-races", "2"}, tiny...)...)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	steady := summary(t, stdout, "relay", "steady")
	if field(t, steady, "races_finished") == 0 || field(t, steady, "hops") == 0 || !strings.Contains(steady, "errors=none") {
		t.Errorf("steady run: no race finished, no hop timed, or failures: %s", steady)
	}
	sat := summary(t, stdout, "relay", "saturate")
	if field(t, sat, "hops") == 0 || field(t, sat, "racing_min") != 2 || !strings.Contains(sat, "errors=none") {
		t.Errorf("saturation run: no hop timed, races not held, or failures: %s", sat)
	}
}

func TestBadUsage(t *testing.T) {
	for _, args := range [][]string{
		nil,
		{"fly"},
		{"relay", "-races", "0"},
		{"relay", "-races", "4", "extra"},
		{"race", "-races", "8", "-races-per-server", "4"},
		{"relay", "-hop-every", "0s"},
	} {
		if code, _, stderr := runTool(t, args...); code != 2 || stderr == "" {
			t.Errorf("%q: exit %d with %q, want 2 and a message", args, code, stderr)
		}
	}
}

// TestRaceTinyRun runs the whole suite at tiny scale against a race server
// built from this module: 4 races of 3 hops for a second and a half, and
// both saturation runs.
func TestRaceTinyRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts a race server")
	}
	code, stdout, stderr := runTool(t, append([]string{"race", "-saturate", "1s", "-saturate-races", "2"}, tiny...)...)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if idle := summary(t, stdout, "relay", "idle"); field(t, idle, "joined") != 8 || !strings.Contains(idle, "errors=none") {
		t.Errorf("idle run: want 8 joined sockets and no failure: %s", idle)
	}
	steady := summary(t, stdout, "race", "steady")
	if field(t, steady, "races_finished") == 0 || field(t, steady, "hops") == 0 || !strings.Contains(steady, "errors=none") {
		t.Errorf("steady run: no race finished, no hop timed, or failures: %s", steady)
	}
	for _, target := range []string{"relay", "race"} {
		sat := summary(t, stdout, target, "saturate")
		if field(t, sat, "hops") == 0 || field(t, sat, "racing_min") != 2 || !strings.Contains(sat, "errors=none") {
			t.Errorf("%s saturation run: no hop timed, races not held, or failures: %s", target, sat)
		}
	}
	for _, want := range []string{"memory: race server grew", "per race beyond idle sockets", "throughput at saturation: race server"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("no %q in:\n%s", want, stdout)
		}
	}
}
