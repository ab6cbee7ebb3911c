package e2e

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/leapfrog-games/leapfrog/client"
	"github.com/leapfrog-games/leapfrog/contract/token"
	"github.com/leapfrog-games/leapfrog/internal/buildtest"
)

const (
	// waitFor bounds every wait of the suite: far above what any step takes
	// on a loaded machine, so that only a real hang fails a test.
	waitFor = 30 * time.Second
	// pollEvery is the pause between two looks at a condition.
	pollEvery = 50 * time.Millisecond
	// keyID names the signing key the tests share with the allocator.
	keyID = "e2e"
	// startAttempts bounds retries when another process took the free port
	// between its probe and the allocator's listen.
	startAttempts = 3
)

// fastRules make a race last about a second: five hops of 200 ms after a
// 200 ms countdown, on a 50 Hz tick. The guest and place limits are raised
// because every player of the suite comes from 127.0.0.1.
var fastRules = []string{
	"--hop-duration", "200ms", "--hop-penalty", "20ms", "--countdown", "200ms", "--tick-rate", "50",
	"--guest-rate", "100", "--guest-burst", "100", "--max-places-per-ip", "10000",
}

// loopback is an HTTP client that never goes through a proxy.
var loopback = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{Proxy: nil}}

// allocator is one allocator process in local mode.
type allocator struct {
	// URL is the base of the HTTP API, http://127.0.0.1:<port>.
	URL string
	// API talks to it through the Go client.
	API *client.Client
	// Tokens mints tokens with the allocator's own keys.
	Tokens *token.Issuer
	// Key is the allocator's signing key.
	Key token.Key

	cmd    *exec.Cmd
	output *buildtest.Output
	exited chan struct{} // closed once the process has been waited for
}

// startAllocator runs the allocator binary in local mode with fastRules, then
// extra flags (a repeated flag's last value wins), and waits until it is
// ready. The process group is killed when the test ends, and the process's
// log is added to the test's output if the test failed.
func startAllocator(t *testing.T, extra ...string) *allocator {
	t.Helper()
	key := token.Key{ID: keyID, Secret: make([]byte, token.MinSecretBytes)}
	_, _ = rand.Read(key.Secret)
	keys, err := token.NewKeyset(key.ID, key)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := writeKeyFile(t, key)
	for attempt := 1; ; attempt++ {
		a, err := launch(t, keyFile, extra)
		if err == nil {
			a.Key, a.Tokens = key, token.NewIssuer(keys, nil)
			return a
		}
		if !errors.Is(err, errPortTaken) || attempt == startAttempts {
			t.Fatalf("start the allocator: %v", err)
		}
		t.Logf("start the allocator (attempt %d): %v; retrying on another port", attempt, err)
	}
}

var errPortTaken = errors.New("the port was taken before the allocator could listen")

// launch starts one process on a free port and waits for /readyz.
func launch(t *testing.T, keyFile string, extra []string) (*allocator, error) {
	t.Helper()
	addr := freeAddr(t)
	args := append([]string{"--backend", "local", "--listen", addr, "--key-file", keyFile}, fastRules...)
	args = append(args, extra...)
	a := &allocator{URL: "http://" + addr, output: &buildtest.Output{}, exited: make(chan struct{})}
	a.cmd = exec.Command(allocatorBin, args...)
	a.cmd.Env = buildtest.HermeticEnv("LEAPFROG_")
	a.cmd.Stdout, a.cmd.Stderr = a.output, a.output
	// Its own process group, so that cleanup reaches anything it started.
	a.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := a.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		_ = a.cmd.Wait()
		close(a.exited)
	}()
	t.Cleanup(func() {
		a.kill()
		if t.Failed() {
			t.Logf("allocator %s %s output:\n%s", allocatorBin, strings.Join(args, " "), a.output.Tail(256<<10))
		}
	})
	api, err := client.New(a.URL, loopback)
	if err != nil {
		return nil, err
	}
	a.API = api
	if err := a.waitReady(t.Context()); err != nil {
		if a.hasExited() && strings.Contains(a.output.String(), "address already in use") {
			return nil, fmt.Errorf("%w: %v", errPortTaken, err)
		}
		return nil, err
	}
	return a, nil
}

// waitReady polls /readyz until it answers 200, and gives up as soon as the
// process exits.
func (a *allocator) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, waitFor)
	defer cancel()
	go func() {
		select {
		case <-a.exited:
			cancel() // a probe may hang on whoever else holds the port
		case <-ctx.Done():
		}
	}()
	var last error
	for {
		if code, err := a.get(ctx, "/readyz"); err != nil {
			last = err
		} else if code == http.StatusOK {
			return nil
		} else {
			last = fmt.Errorf("GET /readyz: %d", code)
		}
		select {
		case <-a.exited:
		case <-ctx.Done():
		case <-time.After(pollEvery):
			continue
		}
		if a.hasExited() {
			return fmt.Errorf("allocator exited before it was ready (%s); last probe: %v", a.cmd.ProcessState, last)
		}
		return fmt.Errorf("allocator not ready after %v: %v", waitFor, last)
	}
}

func (a *allocator) get(ctx context.Context, path string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.URL+path, nil)
	if err != nil {
		return 0, err
	}
	resp, err := loopback.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// signal sends sig to the allocator process.
func (a *allocator) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := a.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("signal the allocator: %v", err)
	}
}

// wait waits at most d for the process to exit and returns its exit code.
func (a *allocator) wait(t *testing.T, d time.Duration) int {
	t.Helper()
	select {
	case <-a.exited:
		return a.cmd.ProcessState.ExitCode()
	case <-time.After(d):
		t.Fatalf("the allocator did not exit within %v", d)
		return -1
	}
}

func (a *allocator) hasExited() bool {
	select {
	case <-a.exited:
		return true
	default:
		return false
	}
}

// kill ends the whole process group unless the process is gone already.
func (a *allocator) kill() {
	if !a.hasExited() {
		_ = syscall.Kill(-a.cmd.Process.Pid, syscall.SIGKILL)
	}
	<-a.exited
}

// guest gets a new guest identity.
func (a *allocator) guest(t *testing.T) client.Guest {
	t.Helper()
	g, err := a.API.Guest(t.Context())
	if err != nil {
		t.Fatalf("POST /v1/guest: %v", err)
	}
	return g
}

// match gets a place for a guest of one seat.
func (a *allocator) match(t *testing.T, g client.Guest) client.Match {
	t.Helper()
	m, err := a.API.Match(t.Context(), g.GuestToken, 0)
	if err != nil {
		t.Fatalf("POST /v1/match for %s: %v", g.PlayerID, err)
	}
	return m
}

// freeAddr is a loopback address nothing listens on (for now).
var freeAddr = buildtest.FreeAddr

// writeKeyFile writes key in the key file format to the test's temp dir.
func writeKeyFile(t *testing.T, key token.Key) string {
	t.Helper()
	data, err := token.MarshalKeyFile(key.ID, key)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "keys.json")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// poll calls check until it returns nil, and fails the test with its last
// error if that takes longer than waitFor.
func poll(t *testing.T, what string, check func() error) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still not true after %v: %v", what, waitFor, err)
		}
		select {
		case <-t.Context().Done():
			t.Fatalf("%s: %v", what, t.Context().Err())
		case <-time.After(pollEvery):
		}
	}
}
