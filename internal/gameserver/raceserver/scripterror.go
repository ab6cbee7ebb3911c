package raceserver

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/dop251/goja"

	"github.com/leapfrog-games/leapfrog/internal/gameserver/script"
)

// ScriptLoadError is a script that could not load or start: a syntax
// error, a throw at its top level or in init or onProcessStarted, a missing
// init. At says where, as a studio's editor takes it.
type ScriptLoadError struct {
	// Launch is the launch file: script-dir and the launch path.
	Launch string
	// At is the file in script-dir with the line and column of the error
	// ("/scripts/game/index.js:3:11"); empty when the error has no place in
	// the source (a missing init, a refusal in onProcessStarted).
	At  string
	Err error
}

func (e *ScriptLoadError) Error() string {
	if e.At != "" {
		return fmt.Sprintf("script %s: %v", e.At, e.Err)
	}
	return fmt.Sprintf("script %s: %v", e.Launch, e.Err)
}

func (e *ScriptLoadError) Unwrap() error { return e.Err }

// ScriptErrorAttrs are the log attributes of a script that did not load:
// "script", "at" (file:line:column) when known and, for a throw, the
// script's "stack". Nil for other errors.
func ScriptErrorAttrs(err error) []any {
	var le *ScriptLoadError
	if !errors.As(err, &le) {
		return nil
	}
	attrs := []any{"script", le.Launch}
	if le.At != "" {
		attrs = append(attrs, "at", le.At)
	}
	var ex *goja.Exception
	if errors.As(err, &ex) {
		attrs = append(attrs, "stack", ex.String())
	}
	return attrs
}

// scriptRoot is where the bundle's files appear to the script: goja's
// positions name them under it.
const scriptRoot = script.BundleRoot + "/"

// syntaxPosition reads goja's syntax error text: "/local/game/index.js: Line 3:11 Unexpected token".
var syntaxPosition = regexp.MustCompile(`(` + regexp.QuoteMeta(scriptRoot) + `[^:\s]+): Line (\d+):(\d+)`)

// position is where err happened, with the bundle's file named by its path
// in script-dir (a zip's path and the file inside it), or "".
func (s ScriptOptions) position(err error) string {
	var file string
	var line, col int
	var ex *goja.Exception
	// A syntax error's place is in its text, also when it reaches the
	// launch file as the exception of a require: that is where to look.
	if m := syntaxPosition.FindStringSubmatch(err.Error()); m != nil {
		file = m[1]
		line, _ = strconv.Atoi(m[2])
		col, _ = strconv.Atoi(m[3])
	} else if errors.As(err, &ex) {
		for _, f := range ex.Stack() {
			if p := f.Position(); p.Filename != "" {
				file, line, col = p.Filename, p.Line, p.Column
				break
			}
		}
	}
	rel, ok := strings.CutPrefix(file, scriptRoot)
	if !ok || line == 0 {
		return ""
	}
	return fmt.Sprintf("%s:%d:%d", filepath.Join(s.Dir, filepath.FromSlash(rel)), line, col)
}
