package rig

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Allocator is an allocator (or edge) process standing in for one pod of the
// chart's Deployment.
type Allocator struct {
	URL string `json:"url"`
	// AdminURL is the edge's admin server (/metrics); an allocator serves
	// everything on URL.
	AdminURL string `json:"adminURL,omitempty"`
	PID      int    `json:"pid"`
	Log      string `json:"log"`
	cmd      *exec.Cmd
}

// StartAllocator runs bin with the release's allocator arguments, listening
// on listen (host:port; port 0 picks a free one), with the ServiceAccount's
// kubeconfig as its only credential; set overrides flags (e.g. edge-url).
// Detached, it outlives the caller (its own session, not killed with the
// caller's process group). It waits for /readyz.
func (rel *Release) StartAllocator(ctx context.Context, bin, listen string, detach bool, set ...string) (*Allocator, error) {
	addr, err := resolvePort(listen)
	if err != nil {
		return nil, err
	}
	with := map[string]string{"listen": addr}
	for _, kv := range set {
		k, v, _ := strings.Cut(kv, "=")
		with[k] = v
	}
	_, port, _ := net.SplitHostPort(addr)
	env := withPodName(rel.AllocatorEnv, rel.Name+"-allocator-"+port)
	a, err := start(ctx, "allocator", bin, rewriteFlags(rel.AllocatorArgs, with), env, rel.AllocatorKubeconfig,
		filepath.Join(rel.Dir, "allocator-"+addr+".log"), "http://"+addr, detach)
	if err != nil {
		return nil, err
	}
	rel.Allocators = append(rel.Allocators, *a)
	return a, nil
}

// StartEdge runs bin with the release's edge arguments, players on listen
// and its admin port on a free port, with the edge ServiceAccount's
// kubeconfig as its only credential. URL is then its ws:// base for the
// allocator's --edge-url. It waits for /readyz (the GameServer watch synced).
func (rel *Release) StartEdge(ctx context.Context, bin, listen string) (*Allocator, error) {
	if rel.EdgeArgs == nil {
		return nil, fmt.Errorf("release %s has no edge (edge.enabled)", rel.Name)
	}
	addr, err := resolvePort(listen)
	if err != nil {
		return nil, err
	}
	admin, err := resolvePort("127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	e, err := start(ctx, "edge", bin, rewriteFlags(rel.EdgeArgs, map[string]string{"listen": addr, "admin-listen": admin}), nil,
		rel.EdgeKubeconfig, filepath.Join(rel.Dir, "edge-"+addr+".log"), "http://"+admin, false)
	if err != nil {
		return nil, err
	}
	e.URL, e.AdminURL = "ws://"+addr, "http://"+admin
	return e, nil
}

// resolvePort replaces port 0 of host:port by a free port.
func resolvePort(listen string) (string, error) {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "", err
	}
	if port == "0" {
		if port, err = freePort(host); err != nil {
			return "", err
		}
	}
	return net.JoinHostPort(host, port), nil
}

// start runs one of the chart's programs as a local process with a
// ServiceAccount kubeconfig and waits until base/readyz answers 200.
func start(ctx context.Context, name, bin string, args, env []string, kubeconfig, logPath, base string, detach bool) (*Allocator, error) {
	a := &Allocator{URL: base, Log: logPath}
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(withoutEnv(os.Environ(), "KUBECONFIG"), env...)
	cmd.Env = append(cmd.Env, "KUBECONFIG="+kubeconfig)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: detach}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	a.PID, a.cmd = cmd.Process.Pid, cmd
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	client := &http.Client{Timeout: 2 * time.Second}
	err = Poll(ctx, 60*time.Second, func() (bool, error) {
		select {
		case err := <-exited:
			return false, fmt.Errorf("%s exited: %v (log %s)", name, err, a.Log)
		default:
		}
		resp, err := client.Get(base + "/readyz")
		if err != nil {
			return false, err
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, fmt.Errorf("/readyz: %s", resp.Status)
	}, "%s %s to be ready", name, base)
	if err != nil {
		a.Stop(5 * time.Second)
		return nil, err
	}
	return a, nil
}

// Signal sends sig to the allocator process.
func (a *Allocator) Signal(sig syscall.Signal) error {
	return syscall.Kill(a.PID, sig)
}

// Stop sends SIGTERM and, after grace, SIGKILL; it returns once the process
// is gone.
func (a *Allocator) Stop(grace time.Duration) {
	StopPID(a.PID, grace)
}

// StopPID ends a process we started: SIGTERM, then SIGKILL after grace.
func StopPID(pid int, grace time.Duration) {
	if pid <= 0 || syscall.Kill(pid, syscall.SIGTERM) != nil {
		return
	}
	deadline := time.Now().Add(grace)
	for time.Now().Before(deadline) {
		if !Alive(pid) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
}

// Alive says whether a process exists and is not a zombie.
func Alive(pid int) bool {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the command name in parentheses.
	s := string(data)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2] != 'Z'
	}
	return true
}

func freePort(host string) (string, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return "", err
	}
	defer l.Close()
	_, port, err := net.SplitHostPort(l.Addr().String())
	return port, err
}

func withoutEnv(env []string, name string) []string {
	out := env[:0:0]
	for _, e := range env {
		if !strings.HasPrefix(e, name+"=") {
			out = append(out, e)
		}
	}
	return out
}

// Pod is what the rig's pod runner started for one GameServer.
type Pod struct {
	// Key is namespace/name of the pod (the GameServer's name).
	Key     string
	Port    int
	SDKPID  int
	GamePID int
}

// Pods reads the pod runner's table of live pods (logs/podrunner.state).
func Pods(logDir string) (map[string]Pod, error) {
	f, err := os.Open(filepath.Join(logDir, "podrunner.state"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	pods := map[string]Pod{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		p := Pod{Key: fields[0]}
		for _, kv := range fields[1:] {
			k, v, _ := strings.Cut(kv, "=")
			n, _ := strconv.Atoi(v)
			switch k {
			case "port":
				p.Port = n
			case "sdk_pid":
				p.SDKPID = n
			case "game_pid":
				p.GamePID = n
			}
		}
		pods[p.Key] = p
	}
	return pods, sc.Err()
}

// RSS is a process's resident memory in bytes.
func RSS(pid int) (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb * 1024, err
		}
	}
	return 0, errors.New("no VmRSS")
}

// ListeningPorts are the TCP ports a process listens on (IPv4 and IPv6),
// read from /proc: its sockets' inodes matched against the kernel's tables.
func ListeningPorts(pid int) ([]int, error) {
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return nil, err
	}
	inodes := map[string]bool{}
	for _, fd := range fds {
		link, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
		if err == nil && strings.HasPrefix(link, "socket:[") {
			inodes[strings.TrimSuffix(strings.TrimPrefix(link, "socket:["), "]")] = true
		}
	}
	var ports []int
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		data, err := os.ReadFile(table)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(data), "\n")[1:] {
			f := strings.Fields(line)
			// local_address is field 1 (addr:port in hex), st field 3 (0A = LISTEN), inode field 9.
			if len(f) < 10 || f[3] != "0A" || !inodes[f[9]] {
				continue
			}
			_, hexPort, _ := strings.Cut(f[1], ":")
			if p, err := strconv.ParseInt(hexPort, 16, 32); err == nil {
				ports = append(ports, int(p))
			}
		}
	}
	return ports, nil
}
