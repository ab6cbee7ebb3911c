package script

import (
	_ "embed"

	"github.com/dop251/goja"
)

// preludeSource builds, once per runtime, the parts of the script's world
// that are simplest in JavaScript: console and the logger over one Go log
// function, util.inspect and util.format as Node.js prints, the process
// object, Buffer's Node.js surface, and the GameMessage type. It runs
// before the script and leaves no globals behind.
//
//go:embed js/prelude.js
var preludeSource string

var prelude = goja.MustCompile("leapfrog-prelude.js", preludeSource, true)

// nodeVersion is what process.version reports: GameLift Realtime's only
// runtime is Node.js 24, and scripts that check the version expect it.
const nodeVersion = "v24.11.1"
