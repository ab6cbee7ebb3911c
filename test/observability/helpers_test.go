package observability

import (
	"regexp"
	"testing"

	"go.yaml.in/yaml/v3"
)

// alertNames lists the alerts of a rule file.
func alertNames(t *testing.T, rules []byte) []string {
	t.Helper()
	var file struct {
		Groups []struct {
			Rules []struct {
				Alert string `yaml:"alert"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(rules, &file); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, g := range file.Groups {
		for _, r := range g.Rules {
			names = append(names, r.Alert)
		}
	}
	return names
}

// firesInTests says whether a promtool test file expects alert to fire in
// some case (an alertname followed by exp_alerts).
func firesInTests(tests, alert string) bool {
	re := regexp.MustCompile(`alertname: ` + regexp.QuoteMeta(alert) + `\n\s+exp_alerts:`)
	return re.MatchString(tests)
}
