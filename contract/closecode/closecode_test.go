package closecode

import (
	"slices"
	"testing"

	realtimev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/realtime/v1"
)

// Every close code an error frame leads to is listed (so generated clients
// know it) and named; errors that are not fatal lead to none.
func TestEveryErrorClosesWithAListedCode(t *testing.T) {
	codes := Codes()
	for v, name := range realtimev1.Error_Code_name {
		c := For(realtimev1.Error_Code(v))
		switch {
		case c == 0:
			continue
		case !slices.Contains(codes, c):
			t.Errorf("%s closes with %d, which Codes does not list", name, c)
		case c.String() == "unknown":
			t.Errorf("%s closes with %d, which has no name", name, c)
		}
	}
	if !slices.IsSorted(codes) || len(codes) != len(names) {
		t.Errorf("Codes() = %v: want every named code, ascending", codes)
	}
	if For(realtimev1.Error_CODE_SESSION_FULL) != 4004 || For(realtimev1.Error_CODE_UNSPECIFIED) != 0 {
		t.Error("SESSION_FULL must close with 4004 (clients ask again on it), UNSPECIFIED with nothing")
	}
}
