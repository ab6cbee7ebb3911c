package main

import (
	"flag"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client/config"

	"github.com/leapfrog-games/leapfrog/internal/edge/app"
)

// The flags the edge defines are exactly those docs/contracts.md lists, with the defaults it gives.
func TestFlagsMatchTheContract(t *testing.T) {
	doc, err := os.ReadFile("../../../docs/contracts.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(doc), "### edge flags")
	if !ok {
		t.Fatal("docs/contracts.md has no \"### edge flags\" table")
	}
	section, _, _ = strings.Cut(section, "\n\n")
	documented := map[string]string{}
	row := regexp.MustCompile("(?m)^\\| (`--[^|]+`) \\| ([^|]*) \\|")
	for _, m := range row.FindAllStringSubmatch(section, -1) {
		names := regexp.MustCompile("`--([a-z0-9-]+)`").FindAllStringSubmatch(m[1], -1)
		defs := strings.Split(m[2], ",")
		for i, n := range names {
			def := ""
			if len(defs) == len(names) {
				def = strings.Trim(strings.TrimSpace(defs[i]), "`")
			}
			if def == "empty" {
				def = ""
			}
			documented[n[1]] = def
		}
	}
	cfg := app.DefaultConfig()
	fs := flag.NewFlagSet("edge", flag.ContinueOnError)
	cfg.RegisterFlags(fs)
	config.RegisterFlags(fs)
	var defined []string
	fs.VisitAll(func(f *flag.Flag) {
		defined = append(defined, f.Name)
		want, ok := documented[f.Name]
		switch {
		case !ok:
			t.Errorf("--%s is not in docs/contracts.md", f.Name)
		case f.DefValue != want:
			t.Errorf("--%s defaults to %q, docs/contracts.md says %q", f.Name, f.DefValue, want)
		}
	})
	for name := range documented {
		if !slices.Contains(defined, name) {
			t.Errorf("docs/contracts.md lists --%s, which the edge does not define", name)
		}
	}
}
