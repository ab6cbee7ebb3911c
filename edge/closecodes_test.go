package edge

import (
	"testing"

	"github.com/leapfrog-games/leapfrog/gameserver/realtime"
)

// The edge's refusals must close with the race server's codes.
func TestCloseCodesAreTheRaceServers(t *testing.T) {
	for code, want := range closeCodeFor {
		t.Run(code.String(), func(t *testing.T) {
			if got := realtime.CloseCode(code); got != want {
				t.Fatalf("edge closes %s with %d, the race server with %d", code, want, got)
			}
		})
	}
}

func TestValidName(t *testing.T) {
	for name, want := range map[string]bool{
		"leapfrog-race-x2b9k": true, "a": true, "a.b-c": true,
		"": false, "-a": false, "a-": false, "A": false, "a/b": false, "a b": false, "..": false,
	} {
		if got := validName(name); got != want {
			t.Errorf("validName(%q) = %v, want %v", name, got, want)
		}
	}
}
