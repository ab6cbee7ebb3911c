package script

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

const compatDoc = "../../../docs/script-compatibility.md"

// docTable reads the rows of the table under heading: name -> status.
func docTable(t *testing.T, doc, heading string) map[string]string {
	t.Helper()
	start := strings.Index(doc, "\n"+heading+"\n")
	if start < 0 {
		t.Fatalf("%s has no %q section", compatDoc, heading)
	}
	section := doc[start+len(heading)+2:]
	if end := strings.Index(section, "\n## "); end >= 0 {
		section = section[:end]
	}
	row := regexp.MustCompile("^\\| `([^`]+)` \\| (same|differs|missing) \\|")
	rows := map[string]string{}
	for _, line := range strings.Split(section, "\n") {
		if m := row.FindStringSubmatch(line); m != nil {
			if _, dup := rows[m[1]]; dup {
				t.Errorf("%s lists %s twice", heading, m[1])
			}
			rows[m[1]] = m[2]
		} else if strings.HasPrefix(line, "| `") {
			t.Errorf("%s: row %q: want | `name` | same, differs or missing | ...", heading, line)
		}
	}
	return rows
}

// TestCompatibilityDoc: docs/script-compatibility.md says of every module
// and global what the code does, names every corpus file and every known
// difference, so that it cannot drift.
func TestCompatibilityDoc(t *testing.T) {
	b, err := os.ReadFile(compatDoc)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)

	t.Run("modules", func(t *testing.T) {
		rows := docTable(t, doc, "## Built-in modules")
		provided := []string{"buffer", "url"} // goja_nodejs's
		for name := range providedModules {
			provided = append(provided, name)
		}
		for _, name := range provided {
			if s := rows[name]; s != "same" && s != "differs" {
				t.Errorf("%s is provided; the doc says %q", name, s)
			}
		}
		for name := range nodeBuiltins {
			if s := rows[name]; s != "missing" {
				t.Errorf("%s is refused; the doc says %q", name, s)
			}
		}
		for name, status := range rows {
			_, ours := providedModules[name]
			if !ours && name != "buffer" && name != "url" && !nodeBuiltins[name] {
				t.Errorf("the doc lists %s (%s), which the code neither provides nor refuses", name, status)
			}
		}
		node, _ := exec.LookPath("node")
		if node == "" {
			t.Log("node is not on PATH: not checking the table against node's own module list")
			return
		}
		out, err := exec.Command(node, "-p", "require('module').builtinModules.filter(m => !m.startsWith('_')).join(' ')").Output()
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range strings.Fields(string(out)) {
			if _, ok := rows[name]; !ok {
				t.Errorf("node has the module %s; the doc does not say it", name)
			}
		}
	})

	t.Run("globals", func(t *testing.T) {
		rows := docTable(t, doc, "## Globals")
		var names []string
		for name := range rows {
			names = append(names, name)
		}
		code := "const names = " + jsStrings(names) + ";\n" +
			"console.log(names.map((n) => n + '=' + eval('typeof ' + n)).join(' '));\n"
		_, logs := scriptSession(t, "exports.ssExports = { init: function () {}, onStartGameSession: function () {"+code+"} };", Config{})
		for _, pair := range strings.Fields(logs.text()) {
			name, typ, _ := strings.Cut(pair, "=")
			if missing := typ == "undefined"; missing != (rows[name] == "missing") {
				t.Errorf("global %s is %s here; the doc says %s", name, typ, rows[name])
			}
		}
		if got := len(strings.Fields(logs.text())); got != len(names) {
			t.Errorf("checked %d globals of %d:\n%s", got, len(names), logs.text())
		}
	})

	t.Run("corpus and known differences", func(t *testing.T) {
		for _, file := range corpus(t) {
			if !strings.Contains(doc, file) {
				t.Errorf("the doc does not name corpus file %s", file)
			}
		}
		known := knownDifferences(t)
		section := doc[strings.Index(doc, "## Known differences"):]
		for file, lines := range known {
			if !strings.Contains(section, file) {
				t.Errorf("known differences of %s are not in the doc", file)
			}
			first := 0
			for line := range lines {
				if first == 0 || line < first {
					first = line
				}
			}
			if why := lines[first]; !strings.Contains(section, why) {
				t.Errorf("the doc does not give the known difference of %s line %d: %s", file, first, why)
			}
		}
		if !strings.Contains(doc, "--script-unhandled-rejections") {
			t.Error("the doc does not name the unhandled-rejections flag")
		}
	})
}

func jsStrings(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = "'" + s + "'"
	}
	return "[" + strings.Join(q, ", ") + "]"
}
