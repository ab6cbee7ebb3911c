package edge

import "testing"

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
