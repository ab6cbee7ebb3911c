package deploy

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	sigsyaml "sigs.k8s.io/yaml"
)

// fakeTool records its arguments and answers the few queries hack/kind-up.sh and hack/kind-down.sh make.
const fakeTool = `#!/usr/bin/env bash
set -euo pipefail
tool="$(basename "$0")"
printf '%s' "${tool}" >>"${FAKE_LOG}"
printf ' %s' "$@" >>"${FAKE_LOG}"
printf '\n' >>"${FAKE_LOG}"
case "${tool} $*" in
"kind get clusters") printf '%s\n' ${FAKE_CLUSTERS:-} ;;
"docker image inspect"*) echo sha256:0123456789abcdef0123456789abcdef ;;
"kubectl "*" get fleet "*) echo "${FAKE_FLEET:-}" ;;
"git "*) echo 0000000000000000000000000000000000000000 ;;
esac
`

// scriptRun is the outcome of one run of a hack/ script against fake tools.
type scriptRun struct {
	stdout, stderr string
	calls          []string // one line per tool invocation: "kind create cluster ..."
	err            error
}

// commands returns the commands a run printed ("+ cmd args" lines), shell quoting removed.
func (r scriptRun) commands() []string {
	var out []string
	for _, line := range strings.Split(r.stdout, "\n") {
		if cmd, ok := strings.CutPrefix(line, "+ "); ok {
			out = append(out, strings.ReplaceAll(cmd, `\`, ""))
		}
	}
	return out
}

// runScript runs a hack/ script with kind, docker, helm, kubectl and git replaced by fakes.
func runScript(t *testing.T, env []string, script string, args ...string) scriptRun {
	t.Helper()
	bin := t.TempDir()
	for _, tool := range []string{"kind", "docker", "helm", "kubectl", "git"} {
		if err := os.WriteFile(filepath.Join(bin, tool), []byte(fakeTool), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	log := filepath.Join(t.TempDir(), "calls")
	if err := os.WriteFile(log, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", append([]string{filepath.Join(repoRoot(t), "hack", script)}, args...)...)
	cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "FAKE_LOG="+log,
		"KIND_CLUSTER=", "KIND_NODE_IMAGE=", "LEAPFROG_IMAGE=", "KUBE_PROMETHEUS_STACK_VERSION=")
	cmd.Env = append(cmd.Env, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	calls, readErr := os.ReadFile(log)
	if readErr != nil {
		t.Fatal(readErr)
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(string(calls)), "\n") {
		if l != "" {
			lines = append(lines, l)
		}
	}
	return scriptRun{stdout: stdout.String(), stderr: stderr.String(), calls: lines, err: err}
}

// inOrder checks that each wanted prefix starts some line of got, in that order.
func inOrder(t *testing.T, what string, got []string, want []string) {
	t.Helper()
	i := 0
	for _, line := range got {
		if i < len(want) && strings.HasPrefix(line, want[i]) {
			i++
		}
	}
	if i < len(want) {
		t.Errorf("%s: %q not found in order in:\n%s", what, want[i], strings.Join(got, "\n"))
	}
}

func TestKindUpDryRun(t *testing.T) {
	root := repoRoot(t)
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{
			name: "plain",
			args: []string{"--dry-run"},
			want: []string{
				"kind create cluster --name leapfrog --config " + root + "/deploy/kind/cluster.yaml",
				"helm repo add agones https://agones.dev/chart/stable",
				"helm upgrade --install agones agones/agones --version 1.60.0 --kube-context kind-leapfrog --namespace agones-system --create-namespace -f " + root + "/deploy/kind/agones-values.yaml --wait",
				"docker build -t leapfrog:dev",
				"docker tag leapfrog:dev leapfrog:dev-",
				"kind load docker-image leapfrog:dev-",
				"helm upgrade --install leapfrog " + root + "/charts/leapfrog --kube-context kind-leapfrog --namespace leapfrog --create-namespace -f " + root + "/deploy/kind/leapfrog-values.yaml --set image.repository=leapfrog --set image.tag=dev-",
				"kubectl --context kind-leapfrog -n leapfrog get fleet leapfrog-race",
			},
		},
		{
			name: "monitoring",
			args: []string{"--dry-run", "--monitoring"},
			want: []string{
				"kind create cluster",
				"helm upgrade --install kube-prometheus-stack prometheus-community/kube-prometheus-stack --kube-context kind-leapfrog --namespace monitoring",
				"helm upgrade --install agones agones/agones --version 1.60.0 --kube-context kind-leapfrog --namespace agones-system --create-namespace -f " + root + "/deploy/kind/agones-values.yaml -f " + root + "/deploy/monitoring/agones-values.yaml",
				"helm upgrade --install leapfrog " + root + "/charts/leapfrog --kube-context kind-leapfrog --namespace leapfrog --create-namespace -f " + root + "/deploy/kind/leapfrog-values.yaml -f " + root + "/deploy/monitoring/leapfrog-values.yaml",
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			run := runScript(t, nil, "kind-up.sh", tc.args...)
			if run.err != nil {
				t.Fatalf("kind-up.sh %v: %v\n%s%s", tc.args, run.err, run.stdout, run.stderr)
			}
			if len(run.calls) > 0 {
				t.Errorf("a dry run ran tools:\n%s", strings.Join(run.calls, "\n"))
			}
			cmds := run.commands()
			inOrder(t, "dry run", cmds, tc.want)
			for _, cmd := range cmds {
				fields := strings.Fields(cmd)
				// Everything that talks to a cluster names the kind context: never the user's current one.
				switch {
				case fields[0] == "helm" && fields[1] == "upgrade" && !slices.Contains(fields, "--kube-context"),
					fields[0] == "kubectl" && !slices.Contains(fields, "--context"):
					t.Errorf("%q does not pin the kind context", cmd)
				}
				// Every file it hands to a tool is in the repository.
				for _, f := range fields {
					if strings.HasPrefix(f, root+"/") {
						if _, err := os.Stat(f); err != nil {
							t.Errorf("%q refers to a missing file: %v", cmd, err)
						}
					}
				}
			}
			lines := strings.Split(strings.TrimSpace(run.stdout), "\n")
			if last := lines[len(lines)-1]; last != "http://127.0.0.1:8080/" {
				t.Errorf("last line %q, want the URL to open", last)
			}
		})
	}
}

func TestKindUpAgainstFakeTools(t *testing.T) {
	root := repoRoot(t)
	tests := []struct {
		name        string
		env         []string
		args        []string
		wantErr     string
		wantCreate  bool
		wantCallsIn []string
	}{
		{
			name:       "fresh machine",
			env:        []string{"FAKE_CLUSTERS=", "FAKE_FLEET=2 2"},
			wantCreate: true,
			wantCallsIn: []string{
				"kind create cluster --name leapfrog --config " + root + "/deploy/kind/cluster.yaml",
				"helm upgrade --install agones agones/agones --version 1.60.0",
				"docker build -t leapfrog:dev --build-arg VERSION=dev --build-arg REVISION=0000000000000000000000000000000000000000 " + root,
				"docker tag leapfrog:dev leapfrog:dev-0123456789ab",
				"kind load docker-image leapfrog:dev-0123456789ab --name leapfrog",
				"helm upgrade --install leapfrog " + root + "/charts/leapfrog",
				"kubectl --context kind-leapfrog -n leapfrog get fleet leapfrog-race",
			},
		},
		{
			name:       "second run keeps the cluster",
			env:        []string{"FAKE_CLUSTERS=other leapfrog", "FAKE_FLEET=3 4"},
			wantCreate: false,
			wantCallsIn: []string{
				"kind get clusters",
				"helm upgrade --install agones",
				"helm upgrade --install leapfrog",
			},
		},
		{
			name:       "another cluster name",
			env:        []string{"KIND_CLUSTER=frogs", "FAKE_CLUSTERS=leapfrog", "FAKE_FLEET=1 1"},
			wantCreate: true,
			wantCallsIn: []string{
				"kind create cluster --name frogs",
				"helm upgrade --install agones agones/agones --version 1.60.0 --kube-context kind-frogs",
				"kind load docker-image leapfrog:dev-0123456789ab --name frogs",
			},
		},
		{
			name:    "fleet never ready",
			env:     []string{"FAKE_CLUSTERS=leapfrog", "FAKE_FLEET=2 0"},
			args:    []string{"--timeout", "0"},
			wantErr: "Fleet leapfrog-race has 0/2 Ready GameServers after 0s",
		},
		{
			name:    "no fleet at all",
			env:     []string{"FAKE_CLUSTERS=leapfrog", "FAKE_FLEET="},
			args:    []string{"--timeout", "0"},
			wantErr: "Fleet leapfrog-race has 0/0 Ready GameServers",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			run := runScript(t, tc.env, "kind-up.sh", tc.args...)
			if tc.wantErr != "" {
				if run.err == nil || !strings.Contains(run.stderr, tc.wantErr) {
					t.Fatalf("err %v, stderr %q, want %q", run.err, run.stderr, tc.wantErr)
				}
				return
			}
			if run.err != nil {
				t.Fatalf("kind-up.sh: %v\n%s%s", run.err, run.stdout, run.stderr)
			}
			created := slices.ContainsFunc(run.calls, func(c string) bool { return strings.HasPrefix(c, "kind create cluster") })
			if created != tc.wantCreate {
				t.Errorf("kind create cluster called=%v, want %v:\n%s", created, tc.wantCreate, strings.Join(run.calls, "\n"))
			}
			inOrder(t, "tool calls", run.calls, tc.wantCallsIn)
			// What the dry run prints is what a real run does (the git query only labels the image).
			ran := slices.DeleteFunc(slices.Clone(run.calls), func(c string) bool { return strings.HasPrefix(c, "git ") })
			if printed := run.commands(); !slices.Equal(printed, ran) {
				t.Errorf("printed commands differ from the ones run:\n%s\n--\n%s", strings.Join(printed, "\n"), strings.Join(ran, "\n"))
			}
		})
	}
}

func TestKindDown(t *testing.T) {
	tests := []struct {
		name       string
		env        []string
		args       []string
		wantDelete bool
		wantCalls  bool
	}{
		{"dry run", []string{"FAKE_CLUSTERS=leapfrog"}, []string{"--dry-run"}, false, false},
		{"cluster there", []string{"FAKE_CLUSTERS=leapfrog"}, nil, true, true},
		{"cluster gone", []string{"FAKE_CLUSTERS=other"}, nil, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			run := runScript(t, tc.env, "kind-down.sh", tc.args...)
			if run.err != nil {
				t.Fatalf("kind-down.sh: %v\n%s%s", run.err, run.stdout, run.stderr)
			}
			if (len(run.calls) > 0) != tc.wantCalls {
				t.Errorf("tool calls %v", run.calls)
			}
			deleted := slices.Contains(run.calls, "kind delete cluster --name leapfrog")
			if deleted != tc.wantDelete {
				t.Errorf("deleted=%v, want %v (calls %v)", deleted, tc.wantDelete, run.calls)
			}
			if !slices.Contains(run.commands(), "kind delete cluster --name leapfrog") && (tc.wantDelete || len(tc.args) > 0) {
				t.Errorf("the delete command was not printed:\n%s", run.stdout)
			}
		})
	}
}

func TestShellcheck(t *testing.T) {
	sc, err := exec.LookPath("shellcheck")
	if err != nil {
		t.Skip("skipping: shellcheck not installed (apt-get install shellcheck; hack/deploy-check.sh does)")
	}
	scripts, err := filepath.Glob(filepath.Join(repoRoot(t), "hack", "*.sh"))
	if err != nil || len(scripts) == 0 {
		t.Fatalf("no hack/*.sh (%v)", err)
	}
	for _, s := range scripts {
		t.Run(filepath.Base(s), func(t *testing.T) {
			cmd := exec.Command(sc, "-x", s)
			cmd.Dir = repoRoot(t)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("shellcheck: %v\n%s", err, out)
			}
			raw, err := os.ReadFile(s)
			if err != nil {
				t.Fatal(err)
			}
			if filepath.Base(s) != "lib.sh" && !bytes.Contains(raw, []byte("\nset -euo pipefail\n")) {
				t.Errorf("%s does not set -euo pipefail", s)
			}
		})
	}
}

// TestKindFilesAgree checks that the kind cluster, the Agones values, the Leapfrog values and the scripts
// agree on ports, namespace and versions.
func TestKindFilesAgree(t *testing.T) {
	root := repoRoot(t)
	read := func(rel string, into any) {
		t.Helper()
		raw, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil {
			t.Fatal(err)
		}
		if err := sigsyaml.UnmarshalStrict(raw, into); err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
	}
	var cluster struct {
		Kind       string `json:"kind"`
		APIVersion string `json:"apiVersion"`
		Name       string `json:"name"`
		Nodes      []struct {
			Role              string `json:"role"`
			ExtraPortMappings []struct {
				ContainerPort int    `json:"containerPort"`
				HostPort      int    `json:"hostPort"`
				ListenAddress string `json:"listenAddress"`
				Protocol      string `json:"protocol"`
			} `json:"extraPortMappings"`
		} `json:"nodes"`
	}
	read("deploy/kind/cluster.yaml", &cluster)
	var agones struct {
		GameServers struct {
			Namespaces []string `json:"namespaces"`
			MinPort    int      `json:"minPort"`
			MaxPort    int      `json:"maxPort"`
		} `json:"gameservers"`
		Agones map[string]any `json:"agones"`
	}
	read("deploy/kind/agones-values.yaml", &agones)
	var leapfrog struct {
		Image     map[string]any `json:"image"`
		Fleet     map[string]any `json:"fleet"`
		Allocator struct {
			PublicAddress string `json:"publicAddress"`
			Service       struct {
				Type     string `json:"type"`
				NodePort int    `json:"nodePort"`
				Port     int    `json:"port"`
			} `json:"service"`
		} `json:"allocator"`
		Autoscaler struct {
			Buffer struct {
				BufferSize  int `json:"bufferSize"`
				MinReplicas int `json:"minReplicas"`
				MaxReplicas int `json:"maxReplicas"`
			} `json:"buffer"`
			List struct {
				BufferSize  int `json:"bufferSize"`
				MinCapacity int `json:"minCapacity"`
				MaxCapacity int `json:"maxCapacity"`
			} `json:"list"`
		} `json:"autoscaler"`
	}
	read("deploy/kind/leapfrog-values.yaml", &leapfrog)
	// The races per server the kind install gets: its own value, else the chart's default.
	perServer, _ := leapfrog.Fleet["racesPerServer"].(float64)
	if perServer == 0 {
		raw, err := os.ReadFile(filepath.Join(root, chartDir, "values.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		var chart struct {
			Fleet struct {
				RacesPerServer float64 `json:"racesPerServer"`
			} `json:"fleet"`
		}
		if err := sigsyaml.Unmarshal(raw, &chart); err != nil {
			t.Fatal(err)
		}
		perServer = chart.Fleet.RacesPerServer
	}

	if cluster.Kind != "Cluster" || cluster.APIVersion != "kind.x-k8s.io/v1alpha4" || len(cluster.Nodes) == 0 {
		t.Fatalf("cluster.yaml is not a kind Cluster: %+v", cluster)
	}
	mapped := map[int]int{}    // container port -> host port, over TCP
	mappedUDP := map[int]int{} // the same over UDP
	for _, m := range cluster.Nodes[0].ExtraPortMappings {
		switch {
		case m.ListenAddress != "127.0.0.1":
			t.Errorf("mapping %+v: want 127.0.0.1 (host only)", m)
		case m.Protocol == "TCP":
			mapped[m.ContainerPort] = m.HostPort
		case m.Protocol == "UDP":
			mappedUDP[m.ContainerPort] = m.HostPort
		default:
			t.Errorf("mapping %+v: want TCP (WebSocket, the allocator) or UDP (GameLift fast channel)", m)
		}
	}

	gs := agones.GameServers
	if gs.MinPort <= 0 || gs.MaxPort < gs.MinPort {
		t.Fatalf("Agones port range %d-%d", gs.MinPort, gs.MaxPort)
	}
	gamePorts := gs.MaxPort - gs.MinPort + 1
	if gamePorts > 100 {
		t.Errorf("%d game ports: keep the kind range narrow", gamePorts)
	}
	for p := gs.MinPort; p <= gs.MaxPort; p++ {
		// The allocator hands out 127.0.0.1 and the GameServer's host port, so both sides must be equal.
		if mapped[p] != p {
			t.Errorf("game port %d is mapped to host port %d, want %d", p, mapped[p], p)
		}
		// The Fleet's port is TCPUDP: GameLift clients' fast channel is UDP on the same number.
		if mappedUDP[p] != p {
			t.Errorf("game port %d over UDP is mapped to host port %d, want %d", p, mappedUDP[p], p)
		}
	}
	for c := range mapped {
		if (c < gs.MinPort || c > gs.MaxPort) && c != leapfrog.Allocator.Service.NodePort {
			t.Errorf("port %d is mapped but neither a game port nor the allocator's NodePort", c)
		}
	}
	for c := range mappedUDP {
		if c < gs.MinPort || c > gs.MaxPort {
			t.Errorf("port %d is mapped over UDP but is not a game port", c)
		}
	}
	if !slices.Contains(gs.Namespaces, "leapfrog") {
		t.Errorf("Agones does not run GameServers in namespace leapfrog (%v)", gs.Namespaces)
	}
	if leapfrog.Allocator.Service.Type != "NodePort" || mapped[leapfrog.Allocator.Service.NodePort] != 8080 {
		t.Errorf("allocator NodePort %d is not mapped to host port 8080 (mappings %v)", leapfrog.Allocator.Service.NodePort, mapped)
	}
	if leapfrog.Allocator.PublicAddress != "127.0.0.1" {
		t.Errorf("allocator.publicAddress %q: players on the host reach the mappings on 127.0.0.1", leapfrog.Allocator.PublicAddress)
	}
	if perServer > 1 {
		// High density: the List autoscaler counts races; each server takes one game port.
		l := leapfrog.Autoscaler.List
		if l.MaxCapacity == 0 || leapfrog.Autoscaler.Buffer.MaxReplicas != 0 {
			t.Errorf("kind values with %v races per server must set autoscaler.list (races), not autoscaler.buffer: %+v", perServer, leapfrog.Autoscaler)
		}
		if servers := (l.MaxCapacity + int(perServer) - 1) / int(perServer); servers > gamePorts {
			t.Errorf("autoscaler.list.maxCapacity %d is %d servers of %v races, more than the %d game ports", l.MaxCapacity, servers, perServer, gamePorts)
		}
	} else if leapfrog.Autoscaler.Buffer.MaxReplicas > gamePorts {
		t.Errorf("autoscaler maxReplicas %d exceeds the %d game ports", leapfrog.Autoscaler.Buffer.MaxReplicas, gamePorts)
	}

	scripts := map[string]*regexp.Regexp{
		"hack/kind-up.sh": regexp.MustCompile(`(?m)^AGONES_VERSION=(\S+)$`),
		"hack/tools.sh":   regexp.MustCompile(`(?m)^HELM_VERSION="\$\{HELM_VERSION:-(\S+)\}"$`),
	}
	want := map[string]string{"hack/kind-up.sh": "1.60.0", "hack/tools.sh": helmVersion}
	for file, re := range scripts {
		raw, err := os.ReadFile(filepath.Join(root, file))
		if err != nil {
			t.Fatal(err)
		}
		m := re.FindSubmatch(raw)
		if m == nil || string(m[1]) != want[file] {
			t.Errorf("%s pins %q, want %s", file, m, want[file])
		}
	}
	raw, err := os.ReadFile(filepath.Join(root, "hack", "tools.sh"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(raw, []byte(fmt.Sprintf(`K8S_VERSION="${K8S_VERSION:-%s}"`, k8sVersion))) {
		t.Errorf("hack/tools.sh does not pin Kubernetes %s", k8sVersion)
	}
}
