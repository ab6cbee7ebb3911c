package agones

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/leapfrog-games/leapfrog/internal/buildtest"
	"github.com/leapfrog-games/leapfrog/internal/selfsigned"
	"github.com/leapfrog-games/leapfrog/test/agones/rig"
	"github.com/leapfrog-games/leapfrog/test/internal/rtplay"
)

// installScript installs a release that runs a script of test/gamelift as a
// studio would: the script folder made into a ConfigMap (one key per file,
// kubectl create configmap --from-file), mounted with race.script.items at
// its paths, and race.players set to the script's maxPlayers.
func (s *suite) installScript(t *testing.T, name, script string, players, racesPerServer int, more ...*unstructured.Unstructured) rtplay.Matcher {
	t.Helper()
	root, err := buildtest.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	cm, items, err := rig.ScriptConfigMap(name+"-script", rtplay.Script(root, script))
	if err != nil {
		t.Fatal(err)
	}
	values, err := json.Marshal(map[string]any{"race": map[string]any{"script": map[string]any{
		"enabled": true, "configMap": cm.GetName(), "items": items, "launchPath": "index.js",
	}}})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "script-values.json")
	if err := os.WriteFile(file, values, 0o600); err != nil {
		t.Fatal(err)
	}
	o := rig.InstallOptions{RaceServer: s.state.Binary("race-server"), Objects: append([]*unstructured.Unstructured{cm}, more...)}
	o.Values.Files = []string{file}
	set := []string{"autoscaler.enabled=false", "fleet.replicas=1",
		"race.players=" + strconv.Itoa(players), "fleet.racesPerServer=" + strconv.Itoa(racesPerServer),
		"race.rules.max-connections-per-ip=100000"}
	for _, obj := range more {
		if obj.GetKind() == "Secret" {
			set = append(set, "race.tls.existingSecret="+obj.GetName(), "race.tls.hasCA=true")
		}
	}
	rel, api := s.installWith(t, name, o, set...)
	base := rel.Allocators[len(rel.Allocators)-1].URL
	return func(t *testing.T) rtplay.PlayerSession {
		t.Helper()
		g := s.guest(t, api)
		ps, err := rtplay.Match(t.Context(), loopback, base, g.GuestToken)
		if err != nil {
			t.Fatal(err)
		}
		return ps
	}
}

// TestGameLiftScriptsThroughTheChart: GameLift Realtime scripts written as
// studios wrote them run unchanged from a ConfigMap through the chart, on a
// high-density server and on one game session per server, and clients that
// behave like the official SDK play them through the allocator: the login
// payload, the UDP fast channel on the GameServer's port, senders as both
// SDK builds read them.
func TestGameLiftScriptsThroughTheChart(t *testing.T) {
	s := needRig(t)
	t.Run("payload sign-in on a high-density server", func(t *testing.T) {
		rtplay.Lobby(t, s.installScript(t, "lobby", "payload-lobby", 3, 16))
	})
	t.Run("a Node 10-era script on one game session per server", func(t *testing.T) {
		rtplay.Tug(t, s.installScript(t, "tug", "classic-tug", 2, 1))
	})
	t.Run("built-ins on a high-density server", func(t *testing.T) {
		rtplay.Cards(t, s.installScript(t, "cards", "cards-events", 2, 16))
	})
	t.Run("secure clients over wss and DTLS on a high-density server", func(t *testing.T) {
		// The operator's certificate for the address clients connect to, in
		// a kubernetes.io/tls Secret with its CA (race.tls.existingSecret).
		chain, err := selfsigned.NewChain(time.Hour, "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		secret := &unstructured.Unstructured{Object: map[string]any{
			"type": "kubernetes.io/tls",
			"data": map[string]any{
				"tls.crt": base64.StdEncoding.EncodeToString(chain.Cert),
				"tls.key": base64.StdEncoding.EncodeToString(chain.Key),
				"ca.crt":  base64.StdEncoding.EncodeToString(chain.CA),
			},
		}}
		secret.SetAPIVersion("v1")
		secret.SetKind("Secret")
		secret.SetName("race-tls")
		match := s.installScript(t, "secure", "classic-tug", 2, 16, secret)
		rtplay.TugWith(t, match, rtplay.Style{Secure: true, RootCAs: chain.Pool()})
	})
}
