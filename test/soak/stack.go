package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"sync"
	"syscall"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/leapfrog-games/leapfrog/internal/buildtest"
)

// stack is one allocator process in local mode, its log, and its metrics.
type stack struct {
	url    string
	cmd    *exec.Cmd
	http   *http.Client
	exited chan struct{}

	mu     sync.Mutex
	errors []string // ERROR lines of the log
	lines  int
}

// startStack runs bin with args plus a free loopback address and waits until
// /readyz answers.
func startStack(ctx context.Context, bin string, args []string) (*stack, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	s := &stack{url: "http://" + addr, exited: make(chan struct{}),
		http: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{Proxy: nil}}}
	s.cmd = exec.Command(bin, append([]string{"--backend=local", "--listen=" + addr}, args...)...)
	s.cmd.Env = buildtest.HermeticEnv("LEAPFROG_")
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stderr, err := s.cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	logDone := make(chan struct{})
	go func() {
		defer close(logDone)
		s.readLog(stderr)
	}()
	go func() {
		<-logDone
		_ = s.cmd.Wait()
		close(s.exited)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if code, err := s.get(ctx, "/readyz"); err == nil && code == http.StatusOK {
			return s, nil
		}
		select {
		case <-s.exited:
			return nil, errors.New("the allocator exited before it was ready")
		case <-ctx.Done():
			s.kill()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.kill()
			return nil, errors.New("the allocator was not ready within 30 s")
		}
	}
}

// readLog keeps the ERROR lines of the allocator's JSON log.
func (s *stack) readLog(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var line struct {
			Level string `json:"level"`
		}
		_ = json.Unmarshal(sc.Bytes(), &line)
		s.mu.Lock()
		s.lines++
		if line.Level == "ERROR" {
			s.errors = append(s.errors, sc.Text())
		}
		s.mu.Unlock()
	}
}

func (s *stack) errorLines() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.errors...)
}

func (s *stack) get(ctx context.Context, path string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url+path, nil)
	if err != nil {
		return 0, err
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// signal sends sig to the allocator process.
func (s *stack) signal(sig syscall.Signal) error {
	return s.cmd.Process.Signal(sig)
}

// stop sends SIGTERM and waits (bounded) for a clean exit.
func (s *stack) stop(d time.Duration) (int, error) {
	if err := s.signal(syscall.SIGTERM); err != nil {
		return -1, err
	}
	select {
	case <-s.exited:
		return s.cmd.ProcessState.ExitCode(), nil
	case <-time.After(d):
		s.kill()
		return -1, fmt.Errorf("the allocator did not exit within %v of SIGTERM", d)
	}
}

// kill ends the process group unless it is gone already.
func (s *stack) kill() {
	select {
	case <-s.exited:
		return
	default:
	}
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGCONT) // a stopped process cannot die cleanly
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	<-s.exited
}

// metrics is one read of /metrics, by family name.
type metrics map[string]*dto.MetricFamily

func (s *stack) metrics(ctx context.Context) (metrics, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /metrics: %s", resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	return p.TextToMetricFamilies(resp.Body)
}

// sum adds up every series of a counter or gauge family (0 if absent).
func (m metrics) sum(name string) float64 {
	mf := m[name]
	if mf == nil {
		return 0
	}
	total := 0.0
	for _, s := range mf.GetMetric() {
		switch {
		case s.Counter != nil:
			total += s.GetCounter().GetValue()
		case s.Gauge != nil:
			total += s.GetGauge().GetValue()
		}
	}
	return total
}
