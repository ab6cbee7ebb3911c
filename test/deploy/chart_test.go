package deploy

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

const keysDir = "/etc/leapfrog/keys"

// keyFile is the token key file of docs/contracts.md.
type keyFile struct {
	Active string `json:"active"`
	Keys   []struct {
		ID     string `json:"id"`
		Secret string `json:"secret"`
	} `json:"keys"`
}

// decodeKeyFile strictly decodes keys.json and checks it against the contract: the active key exists and
// every secret is base64 of at least 32 bytes.
func decodeKeyFile(t testing.TB, raw []byte) keyFile {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var kf keyFile
	if err := dec.Decode(&kf); err != nil {
		t.Fatalf("keys.json %q: %v", raw, err)
	}
	if len(kf.Keys) == 0 {
		t.Fatalf("keys.json has no keys: %s", raw)
	}
	active := false
	for _, k := range kf.Keys {
		secret, err := base64.StdEncoding.DecodeString(k.Secret)
		if err != nil {
			t.Errorf("key %q: secret is not base64: %v", k.ID, err)
		}
		if len(secret) < 32 {
			t.Errorf("key %q: secret has %d bytes, the contract asks for at least 32", k.ID, len(secret))
		}
		active = active || k.ID == kf.Active
	}
	if !active {
		t.Errorf("active key %q is not among the keys", kf.Active)
	}
	return kf
}

// TestChartInvariants renders every value set and checks what must hold whatever the values.
func TestChartInvariants(t *testing.T) {
	for _, vs := range valueSets(t) {
		t.Run(vs.name, func(t *testing.T) {
			const ns = "racing"
			objs := render(t, ns, vs)
			fleet := find(t, objs, "Fleet")
			deploy := find(t, objs, "Deployment")
			svc := find(t, objs, "Service")

			for _, o := range objs {
				labels := o.GetLabels()
				for key, want := range map[string]string{
					"app.kubernetes.io/name":       "leapfrog",
					"app.kubernetes.io/instance":   releaseName,
					"app.kubernetes.io/managed-by": "Helm",
					"app.kubernetes.io/part-of":    "leapfrog",
				} {
					if labels[key] != want {
						t.Errorf("%s %s: label %s=%q, want %q", o.GetKind(), o.GetName(), key, labels[key], want)
					}
				}
				if !strings.HasPrefix(labels["helm.sh/chart"], "leapfrog-") {
					t.Errorf("%s %s: no helm.sh/chart label", o.GetKind(), o.GetName())
				}
				if len(o.GetName()) > 63 {
					t.Errorf("%s %s: name longer than 63 characters", o.GetKind(), o.GetName())
				}
			}

			// The allocator drives the Fleet the chart creates, in the release namespace.
			alloc := containerOf(t, nested(t, deploy.Object, "spec", "template", "spec").(map[string]any), "allocator")
			args := flagValues(stringList(t, alloc["args"]))
			port := toInt(t, nested(t, alloc, "ports").([]any)[0].(map[string]any)["containerPort"])
			for flag, want := range map[string]string{
				"backend":   "agones",
				"listen":    fmt.Sprintf(":%d", port),
				"namespace": ns,
				"fleet":     fleet.GetName(),
				"port-name": "default",
				"key-file":  keysDir + "/keys.json",
			} {
				if args[flag] != want {
					t.Errorf("allocator --%s=%q, want %q", flag, args[flag], want)
				}
			}
			if got := stringList(t, alloc["command"]); !slices.Equal(got, []string{"/allocator"}) {
				t.Errorf("allocator command %v", got)
			}
			for probe, path := range map[string]string{"livenessProbe": "/healthz", "readinessProbe": "/readyz"} {
				if got := nested(t, alloc, probe, "httpGet", "path"); got != path {
					t.Errorf("allocator %s path %v, want %s", probe, got, path)
				}
				if got := nested(t, alloc, probe, "httpGet", "port"); got != "http" {
					t.Errorf("allocator %s port %v, want the named port http", probe, got)
				}
			}

			// The race server listens where the Fleet's port "default" points.
			gsSpec := nested(t, fleet.Object, "spec", "template", "spec").(map[string]any)
			ports := nested(t, gsSpec, "ports").([]any)
			if len(ports) != 1 {
				t.Fatalf("Fleet ports %v, want one", ports)
			}
			gamePort := ports[0].(map[string]any)
			if gamePort["name"] != "default" || gamePort["protocol"] != "TCPUDP" {
				t.Errorf("Fleet port %v, want name default, TCPUDP (WebSocket and the UDP fast channel)", gamePort)
			}
			podSpec := nested(t, gsSpec, "template", "spec").(map[string]any)
			race := containerOf(t, podSpec, "race-server")
			raceArgs := flagValues(stringList(t, race["args"]))
			if want := fmt.Sprintf(":%d", toInt(t, gamePort["containerPort"])); raceArgs["listen"] != want {
				t.Errorf("race server --listen=%q, want %q", raceArgs["listen"], want)
			}
			checkNoLivenessProbe(t, fleet)
			if got := stringList(t, race["command"]); !slices.Equal(got, []string{"/race-server"}) {
				t.Errorf("race server command %v", got)
			}
			// The list the allocator and the autoscaler count: players (one race per server), or races
			// (high density), the same on the Fleet, the race server and the allocator.
			deployArgs := flagValues(stringList(t, containerOf(t, nested(t, deploy.Object, "spec", "template", "spec").(map[string]any), "allocator")["args"]))
			if perServer, dense := raceArgs["races-per-server"]; dense {
				races := toInt(t, nested(t, gsSpec, "lists", "races", "capacity"))
				if perServer != strconv.FormatInt(races, 10) || deployArgs["races-per-server"] != perServer || deployArgs["players"] != raceArgs["players"] {
					t.Errorf("lists.races.capacity %d, race server --races-per-server=%q, allocator %v", races, perServer, deployArgs)
				}
			} else {
				players := toInt(t, nested(t, gsSpec, "lists", "players", "capacity"))
				if raceArgs["players"] != strconv.FormatInt(players, 10) {
					t.Errorf("race server --players=%q but lists.players.capacity is %d", raceArgs["players"], players)
				}
				if _, ok := deployArgs["races-per-server"]; ok {
					t.Errorf("allocator in lease mode for a Fleet of one race per server: %v", deployArgs)
				}
			}
			if raceArgs["key-file"] != keysDir+"/keys.json" {
				t.Errorf("race server --key-file=%q", raceArgs["key-file"])
			}
			// Kubernetes must not kill a race server while it drains.
			drain, err := time.ParseDuration(raceArgs["drain-grace"])
			if err != nil {
				t.Fatalf("race server --drain-grace=%q: %v", raceArgs["drain-grace"], err)
			}
			grace := time.Duration(toInt(t, podSpec["terminationGracePeriodSeconds"])) * time.Second
			if grace <= drain {
				t.Errorf("terminationGracePeriodSeconds %v does not outlast --drain-grace %v", grace, drain)
			}

			if fas := objsOfKind(objs, "FleetAutoscaler"); len(fas) == 1 {
				if got := nested(t, fas[0].Object, "spec", "fleetName"); got != fleet.GetName() {
					t.Errorf("FleetAutoscaler fleetName %v, want %s", got, fleet.GetName())
				}
			}

			// Both pods mount the same key Secret at the contract path, read-only.
			secretName := ""
			for _, spec := range []map[string]any{podSpec, nested(t, deploy.Object, "spec", "template", "spec").(map[string]any)} {
				name := keysSecretOf(t, spec)
				if secretName != "" && name != secretName {
					t.Errorf("race servers and allocator mount different key Secrets: %s, %s", secretName, name)
				}
				secretName = name
			}
			for _, c := range []map[string]any{race, alloc} {
				if !mountsKeys(c) {
					t.Errorf("container %v does not mount the keys read-only at %s", c["name"], keysDir)
				}
			}
			if secrets := objsOfKind(objs, "Secret"); len(secrets) == 1 {
				if secrets[0].GetName() != secretName {
					t.Errorf("Secret %s rendered, pods mount %s", secrets[0].GetName(), secretName)
				}
				raw, err := base64.StdEncoding.DecodeString(nested(t, secrets[0].Object, "data", "keys.json").(string))
				if err != nil {
					t.Fatal(err)
				}
				decodeKeyFile(t, raw)
			}

			// The Service reaches the allocator pods on the named port.
			selector := nested(t, svc.Object, "spec", "selector").(map[string]any)
			podLabels := nested(t, deploy.Object, "spec", "template", "metadata", "labels").(map[string]any)
			for k, v := range selector {
				if podLabels[k] != v {
					t.Errorf("Service selector %s=%v does not match the allocator pods (%v)", k, v, podLabels[k])
				}
			}
			svcPort := nested(t, svc.Object, "spec", "ports").([]any)[0].(map[string]any)
			if svcPort["targetPort"] != "http" {
				t.Errorf("Service targetPort %v, want http", svcPort["targetPort"])
			}

			// helm test: the bot plays through that Service.
			testPod := findTestPod(t, objs)
			bot := containerOf(t, nested(t, testPod.Object, "spec").(map[string]any), "bot")
			if got := stringList(t, bot["command"]); !slices.Equal(got, []string{"/bot"}) {
				t.Errorf("test pod command %v, want [/bot]", got)
			}
			botArgs := flagValues(stringList(t, bot["args"]))
			wantURL := fmt.Sprintf("http://%s:%d", svc.GetName(), toInt(t, svcPort["port"]))
			if botArgs["allocator"] != wantURL || botArgs["races"] != "1" || botArgs["concurrency"] != "1" {
				t.Errorf("bot args %v, want --allocator=%s --races=1 --concurrency=1", bot["args"], wantURL)
			}

			// Every pod runs as non-root with a read-only root filesystem and no capabilities.
			for _, spec := range []map[string]any{podSpec, nested(t, deploy.Object, "spec", "template", "spec").(map[string]any),
				nested(t, testPod.Object, "spec").(map[string]any)} {
				if nested(t, spec, "securityContext", "runAsNonRoot") != true {
					t.Errorf("a pod does not set runAsNonRoot")
				}
				for _, c := range spec["containers"].([]any) {
					c := c.(map[string]any)
					if nested(t, c, "securityContext", "readOnlyRootFilesystem") != true ||
						nested(t, c, "securityContext", "allowPrivilegeEscalation") != false ||
						!slices.Equal(stringList(t, nested(t, c, "securityContext", "capabilities", "drop")), []string{"ALL"}) {
						t.Errorf("container %v is not locked down: %v", c["name"], c["securityContext"])
					}
				}
			}
		})
	}
}

// TestChartDefaults pins the defaults the issue and docs/contracts.md ask for.
func TestChartDefaults(t *testing.T) {
	objs := render(t, "leapfrog", valueSet{name: "default"})

	want := map[string]int{"Fleet": 1, "FleetAutoscaler": 1, "Deployment": 1, "Service": 1, "ServiceAccount": 1,
		"Role": 1, "RoleBinding": 1, "Secret": 1, "PodDisruptionBudget": 1, "Pod": 1}
	if got := kinds(objs); !maps.Equal(got, want) {
		t.Errorf("rendered kinds %v, want %v", got, want)
	}

	fleet := find(t, objs, "Fleet")
	if fleet.GetName() != "leapfrog-race" {
		t.Errorf("Fleet name %s, want the allocator's default leapfrog-race", fleet.GetName())
	}
	port := nested(t, fleet.Object, "spec", "template", "spec", "ports").([]any)[0].(map[string]any)
	if port["portPolicy"] != "Dynamic" || toInt(t, port["containerPort"]) != 7654 || port["protocol"] != "TCPUDP" {
		t.Errorf("Fleet port %v, want Dynamic TCPUDP 7654", port)
	}
	// High density by default: 100 races per server, recycled after 10,000 races or an hour.
	lists := nested(t, fleet.Object, "spec", "template", "spec", "lists").(map[string]any)
	if len(lists) != 1 || toInt(t, nested(t, lists, "races", "capacity")) != 100 {
		t.Errorf("Fleet lists %v, want races of capacity 100 alone", lists)
	}
	if got := nested(t, fleet.Object, "spec", "template", "spec", "eviction", "safe"); got != "OnUpgrade" {
		t.Errorf("eviction.safe %v, want OnUpgrade (drains and node upgrades may evict, the cluster autoscaler may not)", got)
	}
	if got := toInt(t, nested(t, fleet.Object, "spec", "replicas")); got != 3 {
		t.Errorf("Fleet replicas %d, want 3 (two leased, one Ready for the next lease)", got)
	}
	if got := nested(t, fleet.Object, "spec", "template", "spec", "sdkServer", "logLevel"); got != "Info" {
		t.Errorf("sdkServer.logLevel %v", got)
	}
	health := nested(t, fleet.Object, "spec", "template", "spec", "health").(map[string]any)
	if health["disabled"] != false || toInt(t, health["periodSeconds"]) != 5 || toInt(t, health["failureThreshold"]) != 3 {
		t.Errorf("health %v, want enabled, period 5 s, threshold 3", health)
	}
	podSpec := nested(t, fleet.Object, "spec", "template", "spec", "template", "spec").(map[string]any)
	raceArgs := flagValues(stringList(t, containerOf(t, podSpec, "race-server")["args"]))
	if raceArgs["drain-grace"] != "30s" || toInt(t, podSpec["terminationGracePeriodSeconds"]) != 35 {
		t.Errorf("--drain-grace=%s with terminationGracePeriodSeconds %v, want 30s and 35",
			raceArgs["drain-grace"], podSpec["terminationGracePeriodSeconds"])
	}
	for flag, want := range map[string]string{"races-per-server": "100", "lease-ttl": "15s", "max-races": "10000", "max-age": "3600s"} {
		if raceArgs[flag] != want {
			t.Errorf("race server --%s=%q, want %q", flag, raceArgs[flag], want)
		}
	}

	policy := nested(t, find(t, objs, "FleetAutoscaler").Object, "spec", "policy").(map[string]any)
	if policy["type"] != "List" || policy["buffer"] != nil || nested(t, policy, "list", "key") != "races" ||
		toInt(t, nested(t, policy, "list", "bufferSize")) != 150 || toInt(t, nested(t, policy, "list", "minCapacity")) != 300 ||
		toInt(t, nested(t, policy, "list", "maxCapacity")) != 2000 {
		t.Errorf("autoscaler policy %v, want List on races: buffer 150, 300 to 2000", policy)
	}
	if got := nested(t, find(t, objs, "FleetAutoscaler").Object, "spec", "sync", "fixedInterval", "seconds"); toInt(t, got) != 30 {
		t.Errorf("sync interval %v, want 30", got)
	}

	deploy := find(t, objs, "Deployment")
	if got := toInt(t, nested(t, deploy.Object, "spec", "replicas")); got != 2 {
		t.Errorf("allocator replicas %d, want 2", got)
	}
	args := flagValues(stringList(t, containerOf(t, nested(t, deploy.Object, "spec", "template", "spec").(map[string]any), "allocator")["args"]))
	if args["listen"] != ":8080" || args["backend"] != "agones" {
		t.Errorf("allocator --listen=%s --backend=%s, want :8080 and agones", args["listen"], args["backend"])
	}
	if _, ok := args["public-address"]; ok {
		t.Errorf("--public-address set by default")
	}
	// Production sits behind NAT: more places per address than the
	// binary's one-machine default.
	if args["max-places-per-ip"] != "256" {
		t.Errorf("allocator --max-places-per-ip=%q, want 256", args["max-places-per-ip"])
	}
	if got := nested(t, deploy.Object, "spec", "template", "spec", "serviceAccountName"); got != find(t, objs, "ServiceAccount").GetName() {
		t.Errorf("allocator runs as %v, not the chart's ServiceAccount", got)
	}

	if got := nested(t, find(t, objs, "Service").Object, "spec", "type"); got != "ClusterIP" {
		t.Errorf("Service type %v, want ClusterIP", got)
	}
	if args["races-per-server"] != "100" || nested(t, find(t, objs, "Service").Object, "spec", "sessionAffinity") != "ClientIP" {
		t.Errorf("high density by default: allocator args %v, Service affinity %v", args, nested(t, find(t, objs, "Service").Object, "spec").(map[string]any)["sessionAffinity"])
	}
	if got := toInt(t, nested(t, find(t, objs, "PodDisruptionBudget").Object, "spec", "minAvailable")); got != 1 {
		t.Errorf("PDB minAvailable %d, want 1", got)
	}

	// The Role grants exactly: create gameserverallocations; get, list, watch, patch (lease renewals) and
	// delete (idle leases handed back or of an older generation) gameservers; read gameserversets (generations).
	rules, err := json.Marshal(nested(t, find(t, objs, "Role").Object, "rules"))
	if err != nil {
		t.Fatal(err)
	}
	const wantRules = `[{"apiGroups":["allocation.agones.dev"],"resources":["gameserverallocations"],"verbs":["create"]},` +
		`{"apiGroups":["agones.dev"],"resources":["gameservers"],"verbs":["get","list","watch","patch","delete"]},` +
		`{"apiGroups":["agones.dev"],"resources":["gameserversets"],"verbs":["get","list","watch"]}]`
	if string(rules) != wantRules {
		t.Errorf("Role rules\n%s\nwant\n%s", rules, wantRules)
	}
	binding := find(t, objs, "RoleBinding")
	subject := nested(t, binding.Object, "subjects").([]any)[0].(map[string]any)
	if subject["name"] != find(t, objs, "ServiceAccount").GetName() || subject["namespace"] != "leapfrog" ||
		nested(t, binding.Object, "roleRef", "name") != find(t, objs, "Role").GetName() {
		t.Errorf("RoleBinding %v does not bind the allocator's ServiceAccount to its Role", binding.Object)
	}

	testPod := findTestPod(t, objs)
	if got := testPod.GetAnnotations()["helm.sh/hook"]; got != "test" {
		t.Errorf("test pod hook %q", got)
	}
}

// TestChartOptions renders one option at a time and checks its effect.
func TestChartOptions(t *testing.T) {
	tests := []struct {
		name  string
		set   []string
		check func(t *testing.T, objs []*unstructured.Unstructured)
	}{
		{
			// chart 0.1's mode, a value away: one race per GameServer, players listed, the Buffer autoscaler.
			name: "one race per server",
			set:  []string{"fleet.racesPerServer=1"},
			check: func(t *testing.T, objs []*unstructured.Unstructured) {
				list, capacity, race := fleetList(t, objs)
				if list != "players" || capacity != 2 {
					t.Errorf("Fleet list %s of capacity %d, want players of 2", list, capacity)
				}
				for _, flag := range []string{"races-per-server", "lease-ttl", "max-races", "max-age"} {
					if v, ok := race[flag]; ok {
						t.Errorf("race server --%s=%s with one race per server", flag, v)
					}
				}
				policy := nested(t, find(t, objs, "FleetAutoscaler").Object, "spec", "policy").(map[string]any)
				if policy["type"] != "Buffer" || toInt(t, nested(t, policy, "buffer", "bufferSize")) != 2 || policy["list"] != nil {
					t.Errorf("autoscaler policy %v, want Buffer of 2 Ready servers", policy)
				}
				deploy := find(t, objs, "Deployment")
				args := flagValues(stringList(t, containerOf(t, nested(t, deploy.Object, "spec", "template", "spec").(map[string]any), "allocator")["args"]))
				if _, ok := args["races-per-server"]; ok || nested(t, find(t, objs, "Service").Object, "spec").(map[string]any)["sessionAffinity"] != nil {
					t.Errorf("one race per server: allocator args %v, Service affinity set", args)
				}
				rules, _ := json.Marshal(nested(t, find(t, objs, "Role").Object, "rules"))
				if strings.Contains(string(rules), "patch") {
					t.Errorf("Role rules %s: no patch without leases", rules)
				}
			},
		},
		{
			name: "list autoscaler on players",
			set:  []string{"fleet.racesPerServer=1", "autoscaler.policy=List", "autoscaler.list.bufferSize=3", "autoscaler.syncIntervalSeconds=7"},
			check: func(t *testing.T, objs []*unstructured.Unstructured) {
				fas := find(t, objs, "FleetAutoscaler")
				policy := nested(t, fas.Object, "spec", "policy").(map[string]any)
				if policy["type"] != "List" || nested(t, policy, "list", "key") != "players" ||
					toInt(t, nested(t, policy, "list", "bufferSize")) != 3 || policy["buffer"] != nil {
					t.Errorf("policy %v, want List on players with buffer 3", policy)
				}
				if got := toInt(t, nested(t, fas.Object, "spec", "sync", "fixedInterval", "seconds")); got != 7 {
					t.Errorf("sync %d", got)
				}
			},
		},
		{
			name: "autoscaler off",
			set:  []string{"autoscaler.enabled=false"},
			check: func(t *testing.T, objs []*unstructured.Unstructured) {
				if n := kinds(objs)["FleetAutoscaler"]; n != 0 {
					t.Errorf("%d FleetAutoscalers rendered", n)
				}
			},
		},
		{
			name: "NodePort service",
			set:  []string{"allocator.service.type=NodePort", "allocator.service.nodePort=30080"},
			check: func(t *testing.T, objs []*unstructured.Unstructured) {
				spec := nested(t, find(t, objs, "Service").Object, "spec").(map[string]any)
				port := spec["ports"].([]any)[0].(map[string]any)
				if spec["type"] != "NodePort" || toInt(t, port["nodePort"]) != 30080 {
					t.Errorf("Service %v", spec)
				}
			},
		},
		{
			name: "LoadBalancer service",
			set:  []string{"allocator.service.type=LoadBalancer", "allocator.service.externalTrafficPolicy=Local", "allocator.service.loadBalancerSourceRanges={10.0.0.0/8}"},
			check: func(t *testing.T, objs []*unstructured.Unstructured) {
				spec := nested(t, find(t, objs, "Service").Object, "spec").(map[string]any)
				if spec["type"] != "LoadBalancer" || spec["externalTrafficPolicy"] != "Local" ||
					!slices.Equal(stringList(t, spec["loadBalancerSourceRanges"]), []string{"10.0.0.0/8"}) {
					t.Errorf("Service %v", spec)
				}
			},
		},
		{
			name: "existing key Secret",
			set:  []string{"keys.existingSecret=prod-keys"},
			check: func(t *testing.T, objs []*unstructured.Unstructured) {
				if n := kinds(objs)["Secret"]; n != 0 {
					t.Errorf("%d Secrets rendered next to an existing one", n)
				}
				if got := keysSecretOf(t, nested(t, find(t, objs, "Deployment").Object, "spec", "template", "spec").(map[string]any)); got != "prod-keys" {
					t.Errorf("allocator mounts %s", got)
				}
				if got := keysSecretOf(t, nested(t, find(t, objs, "Fleet").Object, "spec", "template", "spec", "template", "spec").(map[string]any)); got != "prod-keys" {
					t.Errorf("race servers mount %s", got)
				}
			},
		},
		{
			name: "script from a ConfigMap",
			set:  []string{"race.script.enabled=true", "race.script.configMap=my-script", "race.script.launchPath=main.js"},
			check: func(t *testing.T, objs []*unstructured.Unstructured) {
				podSpec := nested(t, find(t, objs, "Fleet").Object, "spec", "template", "spec", "template", "spec").(map[string]any)
				if podSpec["initContainers"] != nil {
					t.Errorf("init containers %v for a ConfigMap", podSpec["initContainers"])
				}
				if got := scriptVolume(t, podSpec); nested(t, got, "configMap", "name") != "my-script" {
					t.Errorf("script volume %v, want ConfigMap my-script", got)
				}
				checkScriptFlags(t, podSpec, "main.js")
			},
		},
		{
			name: "script from an image",
			set: []string{"race.script.enabled=true", "race.script.image.repository=registry.example.com/studio/script",
				"race.script.image.tag=v7", "race.script.image.pullPolicy=Always", "race.script.image.path=/bundle/"},
			check: func(t *testing.T, objs []*unstructured.Unstructured) {
				podSpec := nested(t, find(t, objs, "Fleet").Object, "spec", "template", "spec", "template", "spec").(map[string]any)
				inits, _ := podSpec["initContainers"].([]any)
				if len(inits) != 1 {
					t.Fatalf("init containers %v, want the script copy alone", podSpec["initContainers"])
				}
				c := inits[0].(map[string]any)
				if c["image"] != "registry.example.com/studio/script:v7" || c["imagePullPolicy"] != "Always" {
					t.Errorf("script init container image %v (%v)", c["image"], c["imagePullPolicy"])
				}
				if got := stringList(t, c["command"]); !slices.Equal(got, []string{"cp", "-R", "/bundle/.", "/etc/leapfrog/script/"}) {
					t.Errorf("script init container command %q, want the image's folder copied into the script volume", got)
				}
				if nested(t, c, "securityContext", "readOnlyRootFilesystem") != true {
					t.Errorf("script init container security context %v, want the chart's", c["securityContext"])
				}
				mounts, _ := c["volumeMounts"].([]any)
				if len(mounts) != 1 || nested(t, mounts[0].(map[string]any), "name") != "script" || mounts[0].(map[string]any)["readOnly"] == true {
					t.Errorf("script init container mounts %v, want the script volume writable", mounts)
				}
				if got := scriptVolume(t, podSpec); got["emptyDir"] == nil {
					t.Errorf("script volume %v, want an emptyDir", got)
				}
				checkScriptFlags(t, podSpec, "index.js")
			},
		},
		{
			name: "game port TLS",
			set:  []string{"race.tls.existingSecret=race-tls"},
			check: func(t *testing.T, objs []*unstructured.Unstructured) {
				checkRaceTLS(t, objs, false)
			},
		},
		{
			name: "game port TLS with a CA",
			set:  []string{"race.tls.existingSecret=race-tls", "race.tls.hasCA=true"},
			check: func(t *testing.T, objs []*unstructured.Unstructured) {
				checkRaceTLS(t, objs, true)
			},
		},
		{
			name: "high density",
			set: []string{"fleet.racesPerServer=40", "autoscaler.policy=List", "autoscaler.list.bufferSize=20",
				"race.leaseTTLSeconds=20", "allocator.lease.renewSeconds=4", "allocator.lease.lowWater=8"},
			check: func(t *testing.T, objs []*unstructured.Unstructured) {
				list, capacity, race := fleetList(t, objs)
				if list != "races" || capacity != 40 {
					t.Errorf("Fleet list %s of capacity %d, want races of 40", list, capacity)
				}
				if race["races-per-server"] != "40" || race["lease-ttl"] != "20s" {
					t.Errorf("race server --races-per-server=%s --lease-ttl=%s", race["races-per-server"], race["lease-ttl"])
				}
				policy := nested(t, find(t, objs, "FleetAutoscaler").Object, "spec", "policy").(map[string]any)
				if nested(t, policy, "list", "key") != "races" || toInt(t, nested(t, policy, "list", "bufferSize")) != 20 {
					t.Errorf("autoscaler policy %v, want List on races", policy)
				}
				deploy := find(t, objs, "Deployment")
				container := containerOf(t, nested(t, deploy.Object, "spec", "template", "spec").(map[string]any), "allocator")
				args := flagValues(stringList(t, container["args"]))
				if args["races-per-server"] != "40" || args["players"] != "2" || args["lease-renew"] != "4s" || args["lease-low-water"] != "8" {
					t.Errorf("allocator args %v", args)
				}
				env, _ := json.Marshal(container["env"])
				if !strings.Contains(string(env), `{"name":"POD_NAME","valueFrom":{"fieldRef":{"fieldPath":"metadata.name"}}}`) {
					t.Errorf("allocator env %s: want POD_NAME from the pod's name", env)
				}
				rules, _ := json.Marshal(nested(t, find(t, objs, "Role").Object, "rules"))
				if !strings.Contains(string(rules), `{"apiGroups":["agones.dev"],"resources":["gameservers"],"verbs":["get","list","watch","patch","delete"]}`) {
					t.Errorf("Role rules %s: want patch and delete on gameservers", rules)
				}
				if !strings.Contains(string(rules), `{"apiGroups":["agones.dev"],"resources":["gameserversets"],"verbs":["get","list","watch"]}`) {
					t.Errorf("Role rules %s: want the Fleet's GameServerSets read (rollouts)", rules)
				}
				if got := nested(t, find(t, objs, "Service").Object, "spec", "sessionAffinity"); got != "ClientIP" {
					t.Errorf("allocator Service sessionAffinity %v, want ClientIP", got)
				}
			},
		},
		{
			name: "high density, one allocator",
			set:  []string{"fleet.racesPerServer=40", "autoscaler.enabled=false", "allocator.replicas=1", "allocator.pdb.enabled=false"},
			check: func(t *testing.T, objs []*unstructured.Unstructured) {
				if _, ok := nested(t, find(t, objs, "Service").Object, "spec").(map[string]any)["sessionAffinity"]; ok {
					t.Error("sessionAffinity with one allocator replica")
				}
				args := flagValues(stringList(t, containerOf(t, nested(t, find(t, objs, "Deployment").Object, "spec", "template", "spec").(map[string]any), "allocator")["args"]))
				if _, ok := args["lease-low-water"]; ok || args["races-per-server"] != "40" {
					t.Errorf("allocator args %v: want the default low water", args)
				}
			},
		},
		{
			name: "allocator autoscaled",
			set:  []string{"fleet.racesPerServer=40", "autoscaler.policy=List", "allocator.autoscaling.enabled=true", "allocator.autoscaling.maxReplicas=5"},
			check: func(t *testing.T, objs []*unstructured.Unstructured) {
				hpa := find(t, objs, "HorizontalPodAutoscaler")
				deploy := find(t, objs, "Deployment")
				if nested(t, hpa.Object, "spec", "scaleTargetRef", "name") != deploy.GetName() ||
					toInt(t, nested(t, hpa.Object, "spec", "minReplicas")) != 2 || toInt(t, nested(t, hpa.Object, "spec", "maxReplicas")) != 5 {
					t.Errorf("HPA spec %v, want the allocator Deployment %s from 2 to 5", hpa.Object["spec"], deploy.GetName())
				}
				podSpec := nested(t, deploy.Object, "spec", "template", "spec").(map[string]any)
				if got := nested(t, containerOf(t, podSpec, "allocator"), "lifecycle", "preStop", "sleep", "seconds"); toInt(t, got) != 5 ||
					toInt(t, podSpec["terminationGracePeriodSeconds"]) != 25 {
					t.Errorf("allocator preStop sleep %v, grace %v: want 5 s before SIGTERM, 25 s in all", got, podSpec["terminationGracePeriodSeconds"])
				}
				policies := nested(t, hpa.Object, "spec", "behavior", "scaleDown", "policies").([]any)
				if p := policies[0].(map[string]any); p["type"] != "Pods" || toInt(t, p["value"]) != 1 {
					t.Errorf("HPA scale-down policies %v, want one pod at a time", policies)
				}
			},
		},
		{
			name: "longer drain",
			set:  []string{"race.drainGraceSeconds=45", "race.terminationGraceMarginSeconds=10"},
			check: func(t *testing.T, objs []*unstructured.Unstructured) {
				podSpec := nested(t, find(t, objs, "Fleet").Object, "spec", "template", "spec", "template", "spec").(map[string]any)
				args := flagValues(stringList(t, containerOf(t, podSpec, "race-server")["args"]))
				if args["drain-grace"] != "45s" || toInt(t, podSpec["terminationGracePeriodSeconds"]) != 55 {
					t.Errorf("--drain-grace=%s, grace %v", args["drain-grace"], podSpec["terminationGracePeriodSeconds"])
				}
			},
		},
		{
			name: "public address and extra flags",
			set:  []string{"allocator.publicAddress=127.0.0.1", "allocator.extraArgs.match-rate=5", "race.rules.hop-duration=2s"},
			check: func(t *testing.T, objs []*unstructured.Unstructured) {
				alloc := flagValues(stringList(t, containerOf(t, nested(t, find(t, objs, "Deployment").Object, "spec", "template", "spec").(map[string]any), "allocator")["args"]))
				if alloc["public-address"] != "127.0.0.1" || alloc["match-rate"] != "5" {
					t.Errorf("allocator flags %v", alloc)
				}
				race := flagValues(stringList(t, containerOf(t, nested(t, find(t, objs, "Fleet").Object, "spec", "template", "spec", "template", "spec").(map[string]any), "race-server")["args"]))
				if race["hop-duration"] != "2s" {
					t.Errorf("race flags %v", race)
				}
			},
		},
		{
			name: "monitoring",
			set:  []string{"metrics.serviceMonitor.enabled=true", "metrics.podMonitor.enabled=true", "metrics.dashboard.enabled=true"},
			check: func(t *testing.T, objs []*unstructured.Unstructured) {
				sm := find(t, objs, "ServiceMonitor")
				if got := nested(t, sm.Object, "spec", "endpoints").([]any)[0].(map[string]any); got["port"] != "http" || got["path"] != "/metrics" {
					t.Errorf("ServiceMonitor endpoint %v", got)
				}
				pm := find(t, objs, "PodMonitor")
				ep := nested(t, pm.Object, "spec", "podMetricsEndpoints").([]any)[0].(map[string]any)
				podSpec := nested(t, find(t, objs, "Fleet").Object, "spec", "template", "spec", "template", "spec").(map[string]any)
				adminPort := containerOf(t, podSpec, "race-server")["ports"].([]any)[0].(map[string]any)
				if ep["port"] != adminPort["name"] || ep["path"] != "/metrics" {
					t.Errorf("PodMonitor endpoint %v does not scrape the race server's port %v", ep, adminPort)
				}
				podLabels := nested(t, find(t, objs, "Fleet").Object, "spec", "template", "spec", "template", "metadata", "labels").(map[string]any)
				for k, v := range nested(t, pm.Object, "spec", "selector", "matchLabels").(map[string]any) {
					if podLabels[k] != v {
						t.Errorf("PodMonitor selects %s=%v, race server pods have %v", k, v, podLabels[k])
					}
				}
				cm := find(t, objs, "ConfigMap")
				if cm.GetLabels()["grafana_dashboard"] != "1" {
					t.Errorf("dashboard ConfigMap labels %v", cm.GetLabels())
				}
				if !json.Valid([]byte(nested(t, cm.Object, "data", "leapfrog.json").(string))) {
					t.Errorf("dashboard ConfigMap holds invalid JSON")
				}
			},
		},
		{
			name: "network policies",
			set:  []string{"networkPolicy.enabled=true"},
			check: func(t *testing.T, objs []*unstructured.Unstructured) {
				if n := kinds(objs)["NetworkPolicy"]; n != 2 {
					t.Fatalf("%d NetworkPolicies, want 2 (allocator, race servers)", n)
				}
				for _, np := range objsOfKind(objs, "NetworkPolicy") {
					if got := stringList(t, nested(t, np.Object, "spec", "policyTypes")); !slices.Equal(got, []string{"Ingress"}) {
						t.Errorf("%s policyTypes %v: egress must stay open for the Agones sidecar", np.GetName(), got)
					}
				}
				if got := playerPortProtocols(t, objs); !slices.Equal(got, []string{"TCP", "UDP"}) {
					t.Errorf("race servers' player port open for %v, want TCP (WebSocket) and UDP (GameLift fast channel)", got)
				}
			},
		},
		{
			name: "network policies, TCP game port",
			set:  []string{"networkPolicy.enabled=true", "fleet.port.protocol=TCP"},
			check: func(t *testing.T, objs []*unstructured.Unstructured) {
				if got := playerPortProtocols(t, objs); !slices.Equal(got, []string{"TCP"}) {
					t.Errorf("race servers' player port open for %v, want TCP only", got)
				}
			},
		},
		{
			name: "static port",
			set:  []string{"fleet.port.policy=Static", "fleet.port.hostPort=7777"},
			check: func(t *testing.T, objs []*unstructured.Unstructured) {
				port := nested(t, find(t, objs, "Fleet").Object, "spec", "template", "spec", "ports").([]any)[0].(map[string]any)
				if port["portPolicy"] != "Static" || toInt(t, port["hostPort"]) != 7777 {
					t.Errorf("port %v", port)
				}
			},
		},
		{
			name: "longest name override fits",
			set:  []string{"nameOverride=" + strings.Repeat("x", 50)},
			check: func(t *testing.T, objs []*unstructured.Unstructured) {
				for _, o := range objs {
					if len(o.GetName()) > 63 {
						t.Errorf("%s name %q longer than 63", o.GetKind(), o.GetName())
					}
				}
			},
		},
		{
			name: "longest fullname override fits",
			set:  []string{"fullnameOverride=" + strings.Repeat("x", 53)},
			check: func(t *testing.T, objs []*unstructured.Unstructured) {
				for _, o := range objs {
					if len(o.GetName()) > 63 {
						t.Errorf("%s name %q longer than 63", o.GetKind(), o.GetName())
					}
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var extra []string
			for _, s := range tc.set {
				extra = append(extra, "--set", s)
			}
			tc.check(t, render(t, "leapfrog", valueSet{name: "default"}, extra...))
		})
	}
}

// TestChartRejectsInvalidValues checks that the schema and the chart's own checks refuse bad values with a
// message that names the value.
func TestChartRejectsInvalidValues(t *testing.T) {
	tests := []struct {
		name string
		set  []string
		want string
	}{
		{"unknown key", []string{"fleet.replicaz=3"}, "replicaz"},
		{"fullname too long", []string{"fullnameOverride=" + strings.Repeat("x", 54)}, "/fullnameOverride"},
		{"UDP game port", []string{"fleet.port.protocol=UDP"}, "/fleet/port/protocol"},
		{"unknown port policy", []string{"fleet.port.policy=Random"}, "/fleet/port/policy"},
		{"webhook autoscaler", []string{"autoscaler.policy=Webhook"}, "/autoscaler/policy"},
		{"zero players", []string{"race.players=0"}, "/race/players"},
		{"bad duration", []string{"allocator.sessionTTL=soon"}, "/allocator/sessionTTL"},
		{"bad after-race", []string{"race.afterRace=restart"}, "/race/afterRace"},
		{"bad service type", []string{"allocator.service.type=ExternalName"}, "/allocator/service/type"},
		{"bad flag name", []string{"race.rules.Hop_Duration=2s"}, "Hop_Duration"},
		{"min over max replicas", []string{"fleet.racesPerServer=1", "autoscaler.buffer.minReplicas=30"}, "autoscaler.buffer.minReplicas (30) must not exceed"},
		{"allocator HPA min over max", []string{"allocator.autoscaling.enabled=true", "allocator.autoscaling.minReplicas=7"},
			"allocator.autoscaling.minReplicas 7 is above allocator.autoscaling.maxReplicas 6"},
		{"min over max capacity", []string{"autoscaler.list.minCapacity=3000"}, "autoscaler.list.minCapacity (3000) must not exceed"},
		{"static without host port", []string{"fleet.port.policy=Static"}, "fleet.port.hostPort is required"},
		{"node port on ClusterIP", []string{"allocator.service.nodePort=30080"}, "allocator.service.nodePort needs"},
		{"PDB blocks drains", []string{"allocator.pdb.minAvailable=2"}, "allocator.pdb.minAvailable (2) must be below"},
		{"no service account", []string{"allocator.serviceAccount.create=false"}, "allocator.serviceAccount.name is required"},
		{"rule overrides a managed flag", []string{"race.rules.players=3"}, "race.rules.players: the chart sets --players"},
		{"extra arg overrides a managed flag", []string{"allocator.extraArgs.backend=local"}, "allocator.extraArgs.backend: the chart sets --backend"},
		{"extra arg overrides the replica id", []string{"allocator.extraArgs.replica-id=a"}, "allocator.extraArgs.replica-id: the chart sets --replica-id"},
		{"rule overrides races per server", []string{"race.rules.races-per-server=3"}, "race.rules.races-per-server: the chart sets"},
		{"more races than an Agones list", []string{"fleet.racesPerServer=1001"}, "/fleet/racesPerServer"},
		{"high density on the Buffer autoscaler", []string{"autoscaler.policy=Buffer"}, "fleet.racesPerServer 100 needs autoscaler.policy List"},
		{"more players than Mega Frog Race's lanes", []string{"race.players=9"}, "race.players (9) is more than the 8 lanes of Mega Frog Race"},
		{"more players than a full server's connections", []string{"race.rules.max-connections=150"},
			"race.rules.max-connections (150) is less than the players of a full race server: race.players (2) x fleet.racesPerServer (100) = 200"},
		{"recycled before it could be full", []string{"race.maxRaces=50"}, "race.maxRaces (50) must be 0 (no limit) or at least fleet.racesPerServer (100)"},
		{"recycled before a lease could lapse", []string{"race.maxAgeSeconds=15"}, "race.maxAgeSeconds (15) must be 0 (no limit) or longer than race.leaseTTLSeconds (15)"},
		{"negative max races", []string{"race.maxRaces=-1"}, "/race/maxRaces"},
		{"autoscaler smaller than one server", []string{"autoscaler.list.minCapacity=50", "autoscaler.list.maxCapacity=50", "autoscaler.list.bufferSize=10"},
			"autoscaler.list.maxCapacity (50) counts races: it must hold at least one race server of fleet.racesPerServer (100) races"},
		{"buffer beyond the most races", []string{"autoscaler.list.bufferSize=3000"}, "autoscaler.list.bufferSize (3000) must not exceed autoscaler.list.maxCapacity (2000)"},
		{"buffer beyond the most servers", []string{"fleet.racesPerServer=1", "autoscaler.buffer.bufferSize=30"}, "autoscaler.buffer.bufferSize (30) must not exceed autoscaler.buffer.maxReplicas (20)"},
		{"rule overrides max age", []string{"race.rules.max-age=1h"}, "race.rules.max-age: the chart sets"},
		{"one race per server on a list of more players than Agones holds", []string{"fleet.racesPerServer=1", "race.players=1001", "race.script.enabled=true", "race.script.configMap=s"}, "/race/players"},
		{"script without its files", []string{"race.script.enabled=true"},
			"race.script.enabled needs one source of the script's files: race.script.configMap, race.script.volume or race.script.image.repository"},
		{"script from a ConfigMap and an image", []string{"race.script.enabled=true", "race.script.configMap=s", "race.script.image.repository=r"},
			"race.script: set one source of the script's files, not race.script.configMap and race.script.image.repository"},
		{"script from a volume and an image", []string{"race.script.enabled=true", "race.script.volume.emptyDir.medium=Memory", "race.script.image.repository=r"},
			"race.script: set one source of the script's files, not race.script.volume and race.script.image.repository"},
		{"script image path not absolute", []string{"race.script.enabled=true", "race.script.image.repository=r", "race.script.image.path=script"}, "/race/script/image/path"},
		{"TLS CA without its Secret", []string{"race.tls.hasCA=true"}, "race.tls.hasCA needs race.tls.existingSecret"},
		{"TLS on a TCP-only game port", []string{"race.tls.existingSecret=race-tls", "fleet.port.protocol=TCP"}, "race.tls.existingSecret needs fleet.port.protocol TCPUDP"},
		{"rule overrides the TLS certificate", []string{"race.rules.tls-cert-file=/x"}, "race.rules.tls-cert-file: the chart sets"},
		{"lease lapses before the allocator stops", []string{"race.leaseTTLSeconds=10"},
			"race.leaseTTLSeconds (10) must exceed twice allocator.lease.renewSeconds (5)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { checkRejected(t, tc.set, tc.want) })
	}
}

// fleetList is the name and capacity of the Fleet's one list (it fails
// unless there is exactly one) and the race server's flags.
func fleetList(t *testing.T, objs []*unstructured.Unstructured) (string, int64, map[string]string) {
	t.Helper()
	gsSpec := nested(t, find(t, objs, "Fleet").Object, "spec", "template", "spec").(map[string]any)
	lists := nested(t, gsSpec, "lists").(map[string]any)
	if len(lists) != 1 {
		t.Fatalf("Fleet lists %v, want one", lists)
	}
	podSpec := nested(t, gsSpec, "template", "spec").(map[string]any)
	flags := flagValues(stringList(t, containerOf(t, podSpec, "race-server")["args"]))
	for name := range lists {
		return name, toInt(t, nested(t, lists, name, "capacity")), flags
	}
	panic("unreachable")
}

// scriptVolume is the pod's volume named script.
func scriptVolume(t *testing.T, podSpec map[string]any) map[string]any {
	t.Helper()
	return volumeNamed(t, podSpec, "script")
}

// volumeNamed is the pod's volume called name.
func volumeNamed(t *testing.T, podSpec map[string]any, name string) map[string]any {
	t.Helper()
	vols, _ := podSpec["volumes"].([]any)
	for _, v := range vols {
		if vol := v.(map[string]any); vol["name"] == name {
			return vol
		}
	}
	t.Fatalf("no %s volume in %v", name, vols)
	return nil
}

// checkRaceTLS checks that the race server mounts the Secret race-tls
// read-only and gets the TLS flags, --tls-ca-file only when withCA.
func checkRaceTLS(t *testing.T, objs []*unstructured.Unstructured, withCA bool) {
	t.Helper()
	podSpec := nested(t, find(t, objs, "Fleet").Object, "spec", "template", "spec", "template", "spec").(map[string]any)
	if got := nested(t, volumeNamed(t, podSpec, "tls"), "secret", "secretName"); got != "race-tls" {
		t.Errorf("tls volume from %v, want the Secret race-tls", got)
	}
	race := containerOf(t, podSpec, "race-server")
	flags := flagValues(stringList(t, race["args"]))
	wantCA := ""
	if withCA {
		wantCA = "/etc/leapfrog/tls/ca.crt"
	}
	if flags["tls-cert-file"] != "/etc/leapfrog/tls/tls.crt" || flags["tls-key-file"] != "/etc/leapfrog/tls/tls.key" || flags["tls-ca-file"] != wantCA {
		t.Errorf("race server --tls-cert-file=%s --tls-key-file=%s --tls-ca-file=%s", flags["tls-cert-file"], flags["tls-key-file"], flags["tls-ca-file"])
	}
	checkReadOnlyMount(t, race, "tls", "/etc/leapfrog/tls")
}

// checkScriptFlags checks that the race server runs the script from its read-only mount.
func checkScriptFlags(t *testing.T, podSpec map[string]any, launch string) {
	t.Helper()
	race := containerOf(t, podSpec, "race-server")
	flags := flagValues(stringList(t, race["args"]))
	if flags["game"] != "script" || flags["script-dir"] != "/etc/leapfrog/script" || flags["launch-path"] != launch {
		t.Errorf("race server --game=%s --script-dir=%s --launch-path=%s", flags["game"], flags["script-dir"], flags["launch-path"])
	}
	checkReadOnlyMount(t, race, "script", "/etc/leapfrog/script")
}

// checkReadOnlyMount checks that container mounts the volume name read-only at path.
func checkReadOnlyMount(t *testing.T, container map[string]any, name, path string) {
	t.Helper()
	mounts, _ := container["volumeMounts"].([]any)
	for _, m := range mounts {
		if mount := m.(map[string]any); mount["name"] == name {
			if mount["mountPath"] != path || mount["readOnly"] != true {
				t.Errorf("%s mounts %s at %v (read-only %v), want %s read-only", container["name"], name, mount["mountPath"], mount["readOnly"], path)
			}
			return
		}
	}
	t.Errorf("%s does not mount %s: %v", container["name"], name, mounts)
}

// TestGeneratedKeysAreRandom checks that two installs never share a signing key.
func TestGeneratedKeysAreRandom(t *testing.T) {
	secretOf := func() string {
		secret := find(t, render(t, "leapfrog", valueSet{name: "default"}), "Secret")
		raw, err := base64.StdEncoding.DecodeString(nested(t, secret.Object, "data", "keys.json").(string))
		if err != nil {
			t.Fatal(err)
		}
		kf := decodeKeyFile(t, raw)
		if kf.Active != "k1" || kf.Keys[0].ID != "k1" {
			t.Errorf("keys.json %s, want active key k1", raw)
		}
		return kf.Keys[0].Secret
	}
	if a, b := secretOf(), secretOf(); a == b {
		t.Errorf("two renders generated the same key %q", a)
	}
}

// TestChartLint runs helm lint --strict for every value set, as CI does.
func TestChartLint(t *testing.T) {
	for _, vs := range valueSets(t) {
		t.Run(vs.name, func(t *testing.T) {
			args := []string{"lint", "--strict", chartDir, "--kube-version", kubeVersion}
			if vs.file != "" {
				args = append(args, "-f", vs.file)
			}
			if out, err := helm(t, args...); err != nil {
				t.Errorf("helm lint: %v\n%s", err, out)
			}
		})
	}
}

func objsOfKind(objs []*unstructured.Unstructured, kind string) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == kind {
			out = append(out, o)
		}
	}
	return out
}

// findTestPod returns the pod annotated as a helm test hook.
func findTestPod(t testing.TB, objs []*unstructured.Unstructured) *unstructured.Unstructured {
	t.Helper()
	for _, o := range objsOfKind(objs, "Pod") {
		if o.GetAnnotations()["helm.sh/hook"] == "test" {
			return o
		}
	}
	t.Fatal("no helm test pod rendered")
	return nil
}

// keysSecretOf returns the Secret behind the pod's "keys" volume.
func keysSecretOf(t testing.TB, podSpec map[string]any) string {
	t.Helper()
	for _, v := range podSpec["volumes"].([]any) {
		v := v.(map[string]any)
		if v["name"] == "keys" {
			items := nested(t, v, "secret", "items").([]any)
			if len(items) != 1 || items[0].(map[string]any)["key"] != "keys.json" {
				t.Errorf("keys volume items %v, want keys.json only", items)
			}
			return nested(t, v, "secret", "secretName").(string)
		}
	}
	t.Fatal("pod has no keys volume")
	return ""
}

// mountsKeys reports whether a container mounts the keys volume read-only at the contract path.
func mountsKeys(c map[string]any) bool {
	mounts, _ := c["volumeMounts"].([]any)
	for _, m := range mounts {
		m := m.(map[string]any)
		if m["name"] == "keys" && m["mountPath"] == keysDir && m["readOnly"] == true {
			return true
		}
	}
	return false
}

// checkNoLivenessProbe fails unless the Fleet's race server container has no
// liveness probe of its own: Agones injects its /gshealthz probe, which makes
// the sidecar count the race server's health pings, only into a container
// without one.
func checkNoLivenessProbe(t *testing.T, fleet *unstructured.Unstructured) {
	t.Helper()
	podSpec := nested(t, fleet.Object, "spec", "template", "spec", "template", "spec").(map[string]any)
	if probe, ok := containerOf(t, podSpec, "race-server")["livenessProbe"]; ok {
		t.Errorf("Fleet %s: race server has liveness probe %v, which turns Agones health checking off", fleet.GetName(), probe)
	}
}

// playerPortProtocols are the protocols the race servers' NetworkPolicy
// opens on the Fleet's game port to players (its first ingress rule).
func playerPortProtocols(t *testing.T, objs []*unstructured.Unstructured) []string {
	t.Helper()
	for _, np := range objsOfKind(objs, "NetworkPolicy") {
		if !strings.HasSuffix(np.GetName(), "-race") {
			continue
		}
		rules := nested(t, np.Object, "spec", "ingress").([]any)
		var out []string
		for _, p := range rules[0].(map[string]any)["ports"].([]any) {
			out = append(out, p.(map[string]any)["protocol"].(string))
		}
		return out
	}
	t.Fatal("no NetworkPolicy for the race servers")
	return nil
}
