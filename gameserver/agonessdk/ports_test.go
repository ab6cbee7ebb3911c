package agonessdk

import (
	"testing"

	"github.com/leapfrog-games/leapfrog/contract/agoneswire"
)

func TestIsGamePort(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"default", true},      // protocol TCP
		{"default-tcp", true},  // protocol TCPUDP, as Agones names it
		{"default-udp", false}, // same number, but the TCP one is taken
		{"admin", false},
		{"default-tcpx", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := agoneswire.IsGamePort(tt.name, "default"); got != tt.want {
				t.Errorf("IsGamePort(%q, default) = %v, want %v", tt.name, got, tt.want)
			}
		})
	}
}
