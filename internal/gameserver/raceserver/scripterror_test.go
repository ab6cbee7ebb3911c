package raceserver

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leapfrog-games/leapfrog/internal/gameserver/script"
)

// TestScriptLoadErrorSaysWhere: a script that does not load is reported at
// its file in script-dir, with goja's line and column.
func TestScriptLoadErrorSaysWhere(t *testing.T) {
	tests := []struct {
		name string
		// files of the bundle; index.js is the launch file.
		files map[string]string
		// at is the expected position relative to the bundle ("" for none).
		at string
	}{
		{"syntax error", map[string]string{"index.js": "const a = 1;\nfunction init(s) {\n  let x = ;\n}\nexports.ssExports = { init: init };\n"}, "index.js:3:11"},
		{"throw at the top level", map[string]string{"index.js": "// config\nconst cfg = {};\nthrow new Error('no config');\n"}, "index.js:3:7"},
		{"throw in init", map[string]string{"index.js": "function init(s) {\n  s.nothing.here();\n}\nexports.ssExports = { init: init };\n"}, "index.js:2:5"},
		{"syntax error in a required module", map[string]string{
			"index.js":     "const m = require('./lib/rules.js');\nexports.ssExports = { init: function () {} };\n",
			"lib/rules.js": "module.exports = {\n  a: 1,\n  b: = 2\n};\n",
		}, "lib/rules.js:3:6"},
		{"launch file not in the folder", map[string]string{"main.js": "exports.ssExports = { init: function () {} };\n"}, ""},
		{"no init", map[string]string{"index.js": "exports.ssExports = { configuration: { maxPlayers: 4 } };\n"}, ""},
		{"onProcessStarted refuses", map[string]string{"index.js": "exports.ssExports = { init: function () {}, onProcessStarted: function () { return false; } };\n"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, body := range tt.files {
				path := filepath.Join(dir, filepath.FromSlash(name))
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			o := DefaultScriptOptions()
			o.Game, o.Dir = GameScript, dir
			_, err := o.Program(slog.New(slog.DiscardHandler), 1)
			le, ok := errors.AsType[*ScriptLoadError](err)
			if !ok {
				t.Fatalf("Program = %v, want a ScriptLoadError", err)
			}
			want := ""
			if tt.at != "" {
				want = filepath.Join(dir, tt.at)
			}
			if le.At != want {
				t.Errorf("At = %q, want %q (%v)", le.At, want, err)
			}
			attrs := fmt.Sprint(ScriptErrorAttrs(err))
			if tt.at != "" && !strings.Contains(attrs, "at "+want) {
				t.Errorf("attrs %s lack at %s", attrs, want)
			}
		})
	}
	if attrs := ScriptErrorAttrs(errors.New("other")); attrs != nil {
		t.Errorf("attrs of another error: %v", attrs)
	}
}

func TestSeats(t *testing.T) {
	src, err := script.NewSource(map[string][]byte{"index.js": []byte("exports.ssExports = { configuration: { maxPlayers: 16 }, init: function () {} };")}, "index.js")
	if err != nil {
		t.Fatal(err)
	}
	prog, err := script.NewProgram(src, script.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name     string
		prog     *script.Program
		players  int
		explicit bool
		want     int
		ok       bool
	}{
		{"the Go race", nil, 2, false, 2, true},
		{"the script's maxPlayers", prog, 2, false, 16, true},
		{"players set, within maxPlayers", prog, 4, true, 4, true},
		{"players set to maxPlayers", prog, 16, true, 16, true},
		{"players set above maxPlayers", prog, 17, true, 0, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Seats(tt.prog, tt.players, tt.explicit)
			if got != tt.want || (err == nil) != tt.ok {
				t.Errorf("Seats = %d, %v; want %d, ok=%v", got, err, tt.want, tt.ok)
			}
		})
	}
}
