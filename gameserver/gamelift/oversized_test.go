package gamelift_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"google.golang.org/protobuf/proto"

	"github.com/leapfrog-games/leapfrog/contract/closecode"
	gameliftv1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/gamelift/v1"
	realtimev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/realtime/v1"
	"github.com/leapfrog-games/leapfrog/gameserver/gamelift"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime"
)

// TestOversizedFramesClose1009: on every protocol and path, before and
// after login, a frame over its cap closes 1009, whether it is just over
// the payload cap, over the transport's frame limit (about 4.3 KB) or 100
// KB; one at the cap is taken.
func TestOversizedFramesClose1009(t *testing.T) {
	cfg := realtime.Config{MaxPlayers: 64}
	ts := startServer(t, cfg, true)
	ts.run(t, cfg, &echoGame{})
	const capBytes = 4096
	leapfrogHello := func(tok string, payload []byte) []byte {
		b, _ := proto.Marshal(&realtimev1.ClientFrame{Payload: &realtimev1.ClientFrame_Hello{Hello: &realtimev1.Hello{PlayerSessionToken: tok, Payload: payload}}})
		return b
	}
	leapfrogMessage := func(payload []byte) []byte {
		b, _ := proto.Marshal(&realtimev1.ClientFrame{Payload: &realtimev1.ClientFrame_Message{Message: &realtimev1.GameMessage{OpCode: opEchoReliable, Payload: payload}}})
		return b
	}
	gameliftLogin := func(tok string, payload []byte) []byte {
		return gamelift.Encode(&gameliftv1.Packet{OpCode: gamelift.OpLogin, Reliable: true, Payload: payload,
			Command: &gameliftv1.Packet_Login{Login: &gameliftv1.LoginCommand{PlayerSessionId: tok}}})
	}
	gameliftMessage := func(reliable bool) func([]byte) []byte {
		return func(payload []byte) []byte {
			return gamelift.Encode(&gameliftv1.Packet{OpCode: opEchoReliable, TargetPlayer: gamelift.ServerPeer, Reliable: reliable, Payload: payload})
		}
	}
	type protocol struct {
		name    string
		path    string
		hello   func(tok string, payload []byte) []byte
		message func([]byte) []byte
	}
	protocols := []protocol{
		{"leapfrog", "/ws", leapfrogHello, leapfrogMessage},
		{"gamelift", gamelift.Path, gameliftLogin, gameliftMessage(true)},
		{"gamelift without a path", "/", gameliftLogin, gameliftMessage(true)},
	}
	sizes := []struct {
		name string
		n    int
		code int // 0: accepted
	}{
		{"at the cap", capBytes, 0},
		{"just over the cap", capBytes + 1, int(closecode.MessageTooBig)},
		{"about 4.3 KB", 4400, int(closecode.MessageTooBig)},
		{"100 KB", 100 << 10, int(closecode.MessageTooBig)},
	}
	n := 0
	for _, p := range protocols {
		for _, sz := range sizes {
			for _, afterLogin := range []bool{false, true} {
				n++
				tok := fmt.Sprintf("p%d", n)
				name := p.name + "/" + sz.name + map[bool]string{false: "/login payload", true: "/after login"}[afterLogin]
				t.Run(name, func(t *testing.T) {
					ws, _, err := websocket.DefaultDialer.Dial(ts.base+p.path, nil)
					if err != nil {
						t.Fatal(err)
					}
					defer ws.Close()
					payload := make([]byte, sz.n)
					frame := p.hello(tok, payload)
					if afterLogin {
						if err := ws.WriteMessage(websocket.BinaryMessage, p.hello(tok, nil)); err != nil {
							t.Fatal(err)
						}
						frame = p.message(payload)
					}
					if err := ws.WriteMessage(websocket.BinaryMessage, frame); err != nil {
						t.Fatal(err)
					}
					wait := 2 * time.Second
					if sz.code == 0 {
						wait = 300 * time.Millisecond // long enough for a refusal to arrive
					}
					code := readUntilClose(t, ws, wait)
					if code != sz.code {
						t.Errorf("close %d, want %d (0: still open)", code, sz.code)
					}
				})
			}
		}
	}
	t.Run("gamelift fast just over 1200", func(t *testing.T) {
		ws, _, err := websocket.DefaultDialer.Dial(ts.base+gamelift.Path, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer ws.Close()
		_ = ws.WriteMessage(websocket.BinaryMessage, gameliftLogin("fast:1", nil))
		_ = ws.WriteMessage(websocket.BinaryMessage, gameliftMessage(false)(make([]byte, gamelift.MaxFastPayload+1)))
		if code := readUntilClose(t, ws, 2*time.Second); code != int(closecode.MessageTooBig) {
			t.Errorf("close %d, want 1009", code)
		}
	})
}

// readUntilClose reads until the server closes (its code) or wait passes (0).
func readUntilClose(t *testing.T, ws *websocket.Conn, wait time.Duration) int {
	t.Helper()
	_ = ws.SetReadDeadline(time.Now().Add(wait))
	for {
		if _, _, err := ws.ReadMessage(); err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				return ce.Code
			}
			return 0
		}
	}
}
