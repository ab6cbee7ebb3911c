//go:build faultinject

package raceserver

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"google.golang.org/protobuf/proto"

	"github.com/leapfrog-games/leapfrog/contract/closecode"
	realtimev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/realtime/v1"
	"github.com/leapfrog-games/leapfrog/contract/token"
)

// TestWedgeSwitchTripsTheWatchdog is the fault the real-Agones tests use:
// the loop is wedged, the player gets close 1011, /healthz and /readyz 503.
func TestWedgeSwitchTripsTheWatchdog(t *testing.T) {
	p := startProcess(t)
	defer func() { p.cancel(); <-p.done }()
	wedge := func() int {
		resp, err := http.Post("http://"+p.opts.AdminListen+"/debug/fault/wedge", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := wedge(); code != http.StatusConflict {
		t.Fatalf("wedge with no session = %d, want 409", code)
	}
	if _, err := p.mem.ClusterAllocate([]string{"alice"}); err != nil {
		t.Fatal(err)
	}
	raw, _, err := token.NewIssuer(p.keys, nil).MintPlayerSession("alice", "race-x", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	ws, _, err := websocket.DefaultDialer.Dial("ws://"+p.opts.Listen+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	_ = ws.SetReadDeadline(time.Now().Add(30 * time.Second))
	hello, _ := proto.Marshal(&realtimev1.ClientFrame{Payload: &realtimev1.ClientFrame_Hello{Hello: &realtimev1.Hello{PlayerSessionToken: raw}}})
	if err := ws.WriteMessage(websocket.BinaryMessage, hello); err != nil {
		t.Fatal(err)
	}
	var (
		last     *realtimev1.Error
		welcomed bool
		wedgedAt time.Time
	)
	for {
		_, b, err := ws.ReadMessage()
		if err != nil {
			var ce *websocket.CloseError
			if !errors.As(err, &ce) || ce.Code != int(closecode.Internal) {
				t.Fatalf("closed with %v, want %d", err, int(closecode.Internal))
			}
			t.Logf("the player got close 1011 %v after the wedge", time.Since(wedgedAt).Round(time.Millisecond))
			break
		}
		f := &realtimev1.ServerFrame{}
		_ = proto.Unmarshal(b, f)
		if f.GetWelcome() != nil && !welcomed {
			welcomed = true
			if code := wedge(); code != http.StatusNoContent {
				t.Fatalf("wedge = %d, want 204", code)
			}
			wedgedAt = time.Now()
		}
		if e := f.GetError(); e != nil {
			last = e
		}
	}
	if last.GetCode() != realtimev1.Error_CODE_INTERNAL || !strings.Contains(last.GetMessage(), "game loop") {
		t.Errorf("last error %v, want CODE_INTERNAL about the game loop", last)
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		if code, _ := p.get(path); code != http.StatusServiceUnavailable {
			t.Errorf("%s = %d, want 503", path, code)
		}
	}
}
