package browser

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// process is a command a test started, in a process group of its own so that one signal ends it and
// anything it started. Its output (JSON log lines) is kept for waitLog and for the log of a failed test.
type process struct {
	name   string
	cmd    *exec.Cmd
	exited chan struct{}

	mu      sync.Mutex
	lines   []string
	partial []byte
}

// startProcess starts bin and ends it when the test ends. LEAPFROG_* variables are left out of its
// environment so that only the flags given here configure it.
func startProcess(t *testing.T, name, bin string, args ...string) *process {
	t.Helper()
	p := &process{name: name, exited: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	p.cmd.Stdout, p.cmd.Stderr = p, p
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "LEAPFROG_") {
			p.cmd.Env = append(p.cmd.Env, kv)
		}
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		_ = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.kill(t)
		if t.Failed() {
			p.mu.Lock()
			defer p.mu.Unlock()
			t.Logf("%s output:\n%s", name, strings.Join(p.lines, "\n"))
		}
	})
	return p
}

// Write collects the output line by line.
func (p *process) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.partial = append(p.partial, b...)
	for {
		i := bytes.IndexByte(p.partial, '\n')
		if i < 0 {
			break
		}
		p.lines = append(p.lines, string(p.partial[:i]))
		p.partial = p.partial[i+1:]
	}
	return len(b), nil
}

// kill sends SIGKILL to the process group and waits for the process to be reaped.
func (p *process) kill(t *testing.T) {
	t.Helper()
	if isClosed(p.exited) {
		return
	}
	if err := syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		t.Errorf("kill %s: %v", p.name, err)
	}
	select {
	case <-p.exited:
	case <-time.After(waitTimeout):
		t.Errorf("%s did not exit after SIGKILL", p.name)
	}
}

// waitLog waits for the first JSON log line whose msg is msg and returns its fields.
func (p *process) waitLog(t *testing.T, msg string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for seen := 0; ; {
		// Wait returns only once the output is copied: lines read after exited closes are all of them.
		exited := isClosed(p.exited)
		p.mu.Lock()
		lines := p.lines[seen:]
		seen = len(p.lines)
		p.mu.Unlock()
		for _, line := range lines {
			var fields map[string]any
			if json.Unmarshal([]byte(line), &fields) == nil && fields["msg"] == msg {
				return fields
			}
		}
		switch {
		case exited:
			t.Fatalf("%s exited before logging %q", p.name, msg)
		case time.Now().After(deadline):
			t.Fatalf("%s did not log %q within %v", p.name, msg, waitTimeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
