package script

import (
	"embed"
	"fmt"
	"strings"
	"sync"

	"github.com/dop251/goja"

	_ "github.com/dop251/goja_nodejs/buffer" // registers require('buffer')
	_ "github.com/dop251/goja_nodejs/url"    // registers require('url')
)

// nodeBuiltins are Node.js's core modules that Leapfrog does not offer to
// scripts: requiring one is an ErrUnavailableModule naming it, instead of
// a search through the bundle's node_modules.
var nodeBuiltins = map[string]bool{
	"async_hooks": true, "child_process": true, "cluster": true,
	"dgram": true, "diagnostics_channel": true, "dns": true, "domain": true,
	"fs": true, "fs/promises": true, "http": true, "http2": true, "https": true, "inspector": true, "module": true,
	"net": true, "os": true, "perf_hooks": true, "punycode": true,
	"querystring": true, "readline": true, "repl": true, "stream": true,
	"tls": true, "trace_events": true, "tty": true, "v8": true, "vm": true, "wasi": true,
	"worker_threads": true, "zlib": true, "constants": true, "dns/promises": true,
	"inspector/promises": true, "path/win32": true, "readline/promises": true,
	"stream/consumers": true, "stream/promises": true, "stream/web": true,
}

// providedModules are the built-in modules Leapfrog provides, each built
// in a runtime on its first require: a session that never requires one
// pays nothing for it. buffer and url come from goja_nodejs's registry.
var providedModules map[string]func(g *Game) goja.Value

// internalModules serve the provided ones; a script cannot require them.
var internalModules map[string]func(g *Game) goja.Value

// The tables are filled in init: their builders reach back to them.
func init() {
	providedModules = map[string]func(g *Game) goja.Value{
		"util":            jsModule("util"),
		"sys":             func(g *Game) goja.Value { return g.module("util") },
		"util/types":      func(g *Game) goja.Value { return g.module("util").ToObject(g.rt).Get("types") },
		"events":          jsModule("events"),
		"assert":          jsModule("assert"),
		"assert/strict":   jsModule("assert"),
		"path":            jsModule("path"),
		"path/posix":      func(g *Game) goja.Value { return g.module("path") },
		"string_decoder":  jsModule("string_decoder"),
		"timers/promises": jsModule("timers_promises"),
		"crypto":          (*Game).cryptoModule,
		"console":         func(g *Game) goja.Value { return g.rt.Get("console") },
		"process":         func(g *Game) goja.Value { return g.processObject() },
		"timers":          (*Game).timersModule,
	}
	internalModules = map[string]func(g *Game) goja.Value{
		"_deep_equal":       jsModule("deep_equal"),
		"_inspect":          jsModule("inspect"),
		"_process":          jsModule("process"),
		"_buffer_patch":     jsModule("buffer_patch"),
		"_structured_clone": jsModule("structured_clone"),
		"_web":              jsModule("web"),
		"_timer_handles":    jsModule("timer_handles"),
	}
}

// builtin returns the modules Leapfrog provides itself, or an error for
// the ones it lacks; ok is false for every other name, which the bundle
// (or goja_nodejs's registry: buffer, url) resolves.
func (g *Game) builtin(name string) (v goja.Value, ok bool, err error) {
	base := strings.TrimPrefix(name, "node:")
	if _, provided := providedModules[base]; provided {
		return g.module(base), true, nil
	}
	if nodeBuiltins[base] {
		return nil, true, fmt.Errorf("require(%q): %w: %s", name, ErrUnavailableModule, base)
	}
	return nil, false, nil
}

// module returns the runtime's instance of a provided module (or of an
// internal one, named with a leading underscore), building it once.
func (g *Game) module(name string) goja.Value {
	if v, ok := g.modules[name]; ok {
		return v
	}
	build := providedModules[name]
	if build == nil {
		build = internalModules[name]
	}
	if build == nil {
		panic(g.rt.NewGoError(fmt.Errorf("no built-in module %q", name)))
	}
	v := build(g)
	if g.modules == nil {
		g.modules = make(map[string]goja.Value)
	}
	g.modules[name] = v
	return v
}

func (g *Game) timersModule() goja.Value {
	t := g.rt.NewObject()
	for _, f := range []string{"setTimeout", "setInterval", "setImmediate", "clearTimeout", "clearInterval", "clearImmediate"} {
		must(t.Set(f, g.rt.Get(f)))
	}
	must(t.Set("promises", g.module("timers/promises")))
	return t
}

//go:embed js/*.js
var jsFiles embed.FS

// jsModule builds a module written in JavaScript (js/<file>.js) as
// CommonJS: the source is compiled once per process, run once per
// runtime that requires it. internals gives it the prelude's inspect and
// format and Leapfrog's other modules.
func jsModule(file string) func(g *Game) goja.Value {
	compile := sync.OnceValue(func() *goja.Program {
		src, err := jsFiles.ReadFile("js/" + file + ".js")
		if err != nil {
			panic(err) // embedded: a build error
		}
		return goja.MustCompile("node:"+file, "(function (exports, module, internals) {"+string(src)+"\n})", true)
	})
	return func(g *Game) goja.Value {
		rt := g.rt
		fn, err := rt.RunProgram(compile())
		if err != nil {
			panic(err)
		}
		wrapper, _ := goja.AssertFunction(fn)
		module := rt.NewObject()
		exports := rt.NewObject()
		must(module.Set("exports", exports))
		if _, err := wrapper(goja.Undefined(), exports, module, g.internals()); err != nil {
			panic(err)
		}
		return module.Get("exports")
	}
}

// internals is what the JavaScript modules share with the prelude.
func (g *Game) internals() *goja.Object {
	if g.internalsObj != nil {
		return g.internalsObj
	}
	rt := g.rt
	o := rt.NewObject()
	must(o.Set("inspect", g.part("inspect")))
	must(o.Set("format", g.part("format")))
	must(o.Set("cwd", root))
	must(o.Set("isBuffer", g.part("isBuffer")))
	must(o.Set("version", nodeVersion))
	must(o.Set("module", func(name string) goja.Value { return g.module(name) }))
	must(o.Set("promiseState", g.promiseState))
	must(o.Set("warn", func(text string) { g.logText("warn", "(node) "+text) }))
	must(o.Set("log", g.logText))
	must(o.Set("refreshTimer", g.refresh))
	must(o.Set("tickQueued", func() { g.ticksQueued = true }))
	must(o.Set("deepEqual", func(call goja.FunctionCall) goja.Value {
		eq, _ := goja.AssertFunction(g.module("_deep_equal"))
		v, err := eq(goja.Undefined(), call.Arguments...)
		if err != nil {
			panic(err)
		}
		return v
	}))
	g.internalsObj = o
	return o
}
