package script

import (
	"fmt"
	"strings"

	"github.com/dop251/goja"

	_ "github.com/dop251/goja_nodejs/buffer" // registers require('buffer')
	_ "github.com/dop251/goja_nodejs/url"    // registers require('url')
)

// nodeBuiltins are Node.js's core modules that Leapfrog does not offer to
// scripts: requiring one is an ErrUnavailableModule naming it, instead of
// a search through the bundle's node_modules.
var nodeBuiltins = map[string]bool{
	"assert": true, "async_hooks": true, "child_process": true, "cluster": true, "crypto": true,
	"dgram": true, "diagnostics_channel": true, "dns": true, "domain": true, "events": true,
	"fs": true, "http": true, "http2": true, "https": true, "inspector": true, "module": true,
	"net": true, "os": true, "path": true, "perf_hooks": true, "punycode": true,
	"querystring": true, "readline": true, "repl": true, "stream": true, "string_decoder": true,
	"tls": true, "trace_events": true, "tty": true, "v8": true, "vm": true, "wasi": true,
	"worker_threads": true, "zlib": true,
}

// builtin returns the modules Leapfrog provides itself (util, console,
// process, timers), or an error for the ones it lacks; ok is false for
// every other name, which the bundle resolves.
func (g *Game) builtin(name string) (v goja.Value, ok bool, err error) {
	base := strings.TrimPrefix(name, "node:")
	switch base {
	case "util":
		return g.util, true, nil
	case "console", "process":
		return g.rt.Get(base), true, nil
	case "timers":
		t := g.rt.NewObject()
		for _, f := range []string{"setTimeout", "setInterval", "setImmediate", "clearTimeout", "clearInterval", "clearImmediate"} {
			must(t.Set(f, g.rt.Get(f)))
		}
		return t, true, nil
	}
	if nodeBuiltins[base] {
		return nil, true, fmt.Errorf("require(%q): %w: %s", name, ErrUnavailableModule, base)
	}
	return nil, false, nil
}
