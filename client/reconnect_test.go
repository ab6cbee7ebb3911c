package client

import (
	"testing"
	"time"

	"github.com/leapfrog-games/leapfrog/client/internal/racetest"
	realtimev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/realtime/v1"
	"github.com/leapfrog-games/leapfrog/internal/allocator/backend"
)

// TestReconnectOnTheSameToken: a race server admits a token once; coming
// back on it takes the reconnect token of the last Welcome.
func TestReconnectOnTheSameToken(t *testing.T) {
	issuer := racetest.NewIssuer(t)
	fleet := racetest.NewFleet(t, issuer, nil)
	a, err := fleet.Allocate(t.Context(), backend.AllocationRequest{PlayerIDs: []string{"p1"}})
	if err != nil {
		t.Fatal(err)
	}
	raw, _, err := issuer.MintPlayerSession("p1", a.GameServer, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	url := "ws://127.0.0.1:" + itoa(a.Port) + "/ws"
	dial := func(opts DialOptions) *Conn {
		c, err := Dial(t.Context(), url, raw, opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
	first := dial(DialOptions{})
	w := next[Welcome](t, first)
	if w.ReconnectToken == "" {
		t.Fatal("Welcome has no reconnect token")
	}
	_ = first.Close()

	refused := dial(DialOptions{})
	if e := next[ServerError](t, refused); e.Code != realtimev1.Error_CODE_TOKEN_USED {
		t.Fatalf("same token without the reconnect token: %v", e.Error)
	}
	if c := next[Closed](t, refused); c.Code != 4013 {
		t.Fatalf("closed %d, want 4013", c.Code)
	}

	back := dial(DialOptions{ReconnectToken: w.ReconnectToken})
	if w2 := next[Welcome](t, back); !w2.Reconnected || w2.PeerId != w.PeerId {
		t.Fatalf("reconnect: %v", w2.Welcome)
	}
}
