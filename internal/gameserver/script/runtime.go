package script

import (
	"embed"
	"strings"
)

// runtimeFiles are the modules of the GameLift Realtime runtime that scripts
// require by relative path from their bundle (runtime/ here is runtimeRoot
// there): Leapfrog's own implementations of the same interfaces.
//
//go:embed runtime
var runtimeFiles embed.FS

// runtimeModule returns the source of the runtime module at an absolute
// module path under runtimeRoot, or under root+"/src" when the bundle has no
// such file: scripts reach the runtime as ../src from the bundle's top
// folder, and as src/ or ../src from its sub-folders, depending on where
// GameLift put them.
func runtimeModule(name string) ([]byte, bool) {
	rel, ok := strings.CutPrefix(name, runtimeRoot+"/")
	if !ok {
		rel, ok = strings.CutPrefix(name, root+"/src/")
	}
	if !ok {
		return nil, false
	}
	b, err := runtimeFiles.ReadFile("runtime/" + rel)
	return b, err == nil
}
