package gamelift

import (
	"encoding/binary"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"google.golang.org/protobuf/proto"

	gameliftv1 "github.com/leapfrog-games/leapfrog/gameserver/proto/leapfrog/gamelift/v1"
)

// rtClient is a GameLift Realtime client written from the protocol facts
// alone: WebSocket at /websocket, varint-length-delimited Packets, login
// with op 0, answered by op -1.
type rtClient struct {
	t    *testing.T
	ws   *websocket.Conn
	peer int32
}

func dialRealtimeRaw(t *testing.T, url string) *rtClient {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	return &rtClient{t: t, ws: ws}
}

func dialRealtime(t *testing.T, url, playerSessionID string) *rtClient {
	t.Helper()
	c := dialRealtimeRaw(t, url)
	c.send(&gameliftv1.Packet{OpCode: OpLogin, Reliable: true, Command: &gameliftv1.Packet_Login{Login: &gameliftv1.LoginCommand{PlayerSessionId: playerSessionID}}})
	res, err := c.readUntil(func(p *gameliftv1.Packet) bool { return p.OpCode == OpLoginResult })
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	lr := res.GetLoginResult()
	if !lr.GetSuccess() {
		t.Fatalf("login refused: %v", res)
	}
	if res.TargetPlayer != lr.PeerId || lr.FastPort != 0 {
		t.Errorf("login result %v: want targetPlayer = peerId and fastPort 0", res)
	}
	c.peer = lr.PeerId
	return c
}

func (c *rtClient) send(p *gameliftv1.Packet) {
	c.t.Helper()
	body, err := proto.Marshal(p)
	if err != nil {
		c.t.Fatal(err)
	}
	msg := append(binary.AppendUvarint(nil, uint64(len(body))), body...)
	if err := c.ws.WriteMessage(websocket.BinaryMessage, msg); err != nil {
		c.t.Fatal(err)
	}
}

// message sends a game message: to the server (target -1), a peer or a group.
func (c *rtClient) message(op int32, payload []byte, targetPlayer, targetGroup int32, reliable bool) {
	c.send(&gameliftv1.Packet{OpCode: op, TargetPlayer: targetPlayer, TargetGroup: targetGroup, Sender: c.peer, Reliable: reliable, Payload: payload})
}

var errClosed = errors.New("closed")

func (c *rtClient) read() (*gameliftv1.Packet, error) {
	_ = c.ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	kind, b, err := c.ws.ReadMessage()
	if err != nil {
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return nil, fmt.Errorf("%w %d: %s", errClosed, ce.Code, ce.Text)
		}
		return nil, err
	}
	if kind != websocket.BinaryMessage {
		return nil, fmt.Errorf("message of kind %d", kind)
	}
	n, k := binary.Uvarint(b)
	if k <= 0 || n != uint64(len(b)-k) {
		return nil, fmt.Errorf("bad length prefix: %d bytes, prefix %d", len(b), n)
	}
	p := &gameliftv1.Packet{}
	return p, proto.Unmarshal(b[k:], p)
}

func (c *rtClient) readUntil(match func(*gameliftv1.Packet) bool) (*gameliftv1.Packet, error) {
	for {
		p, err := c.read()
		if err != nil {
			return nil, err
		}
		if match(p) {
			return p, nil
		}
	}
}

func (c *rtClient) until(match func(*gameliftv1.Packet) bool) *gameliftv1.Packet {
	c.t.Helper()
	p, err := c.readUntil(match)
	if err != nil {
		c.t.Fatal(err)
	}
	return p
}

func isOp(op int32) func(*gameliftv1.Packet) bool {
	return func(p *gameliftv1.Packet) bool { return p.OpCode == op }
}
