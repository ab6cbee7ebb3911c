package realtime_test

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/leapfrog-games/leapfrog/gameserver/realtime"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime/realtimetest"
)

// protoSender answers each message with its payload as a StringValue, to
// everyone (op 1) or to the sender (op 2).
type protoSender struct{ echoGame }

func (protoSender) OnMessage(s *realtime.Session, p *realtime.Player, m realtime.Message) error {
	if m.OpCode == 1 {
		p = nil
	}
	s.SendProto(p, m.OpCode, wrapperspb.String(string(m.Payload)))
	return nil
}

// TestSendProtoReusesItsBufferSafely: SendProto marshals into one buffer
// per session; each message must arrive as it was, whatever came before.
func TestSendProtoReusesItsBufferSafely(t *testing.T) {
	h, err := realtimetest.NewHarness(realtime.Config{}, protoSender{}, gridStart)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := h.Connect("alice")
	b, _ := h.Connect("bob")
	a.Discard()
	b.Discard()
	texts := []string{strings.Repeat("long ", 100), "short", "", "a little longer"}
	for _, op := range []int32{1, 2} {
		for _, text := range texts {
			a.Send(op, []byte(text))
		}
	}
	check := func(who string, c *realtimetest.TestClient, want []string) {
		t.Helper()
		ms := c.Messages()
		if len(ms) != len(want) {
			t.Fatalf("%s got %d messages, want %d", who, len(ms), len(want))
		}
		for i, m := range ms {
			var got wrapperspb.StringValue
			if err := proto.Unmarshal(m.Payload, &got); err != nil || got.Value != want[i] {
				t.Errorf("%s message %d = %q (%v), want %q", who, i, got.Value, err, want[i])
			}
		}
	}
	check("alice", a, append(texts, texts...)) // broadcasts, then her own
	check("bob", b, texts)
}
