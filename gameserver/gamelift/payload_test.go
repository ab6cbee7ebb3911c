package gamelift_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/leapfrog-games/leapfrog/client"
	"github.com/leapfrog-games/leapfrog/contract/closecode"
)

// TestLeapfrogLoginPayload: the Go client's login payload reaches the game
// (Player.Payload); one over the limit is refused with 1009 and a reason
// naming the limit.
func TestLeapfrogLoginPayload(t *testing.T) {
	ts, _, g := echoServer(t, true, true)
	tests := []struct {
		name    string
		player  string
		payload []byte
		code    int // 0: welcomed
	}{
		{"json sign-in", "ann", []byte(`{"user":"ann","skin":3}`), 0},
		{"none", "ben", nil, 0},
		{"at the limit", "cat", bytes.Repeat([]byte("p"), 4096), 0},
		{"over the limit", "dan", bytes.Repeat([]byte("p"), 4097), int(closecode.MessageTooBig)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := client.Dial(t.Context(), ts.base+"/ws", tt.player, client.DialOptions{Payload: tt.payload})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Close() })
			if tt.code != 0 {
				cl := nextEvent[client.Closed](t, c)
				if cl.Code != tt.code || !strings.Contains(cl.Text, "4096") {
					t.Errorf("closed %d %q, want %d naming the 4096-byte limit", cl.Code, cl.Text, tt.code)
				}
				return
			}
			nextEvent[client.Welcome](t, c)
			if err := c.SendGameMessage(opEchoPayload, nil); err != nil {
				t.Fatal(err)
			}
			if m := nextEvent[client.GameMessage](t, c); !bytes.Equal(m.Payload, tt.payload) {
				t.Errorf("the game read a payload of %d bytes, want %d", len(m.Payload), len(tt.payload))
			}
			g.mu.Lock()
			defer g.mu.Unlock()
			if !bytes.Equal(g.payloads[tt.player], tt.payload) {
				t.Errorf("OnPlayerConnect saw %d bytes, want %d", len(g.payloads[tt.player]), len(tt.payload))
			}
		})
	}
}
