package client

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"google.golang.org/protobuf/proto"

	"github.com/leapfrog-games/leapfrog/client/internal/racetest"
	racev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/race/v1"
	realtimev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/realtime/v1"
	"github.com/leapfrog-games/leapfrog/internal/allocator/backend"
	"github.com/leapfrog-games/leapfrog/internal/allocator/local"
)

// scriptedServer serves one WebSocket connection on 127.0.0.1 with script.
func scriptedServer(t *testing.T, script func(t *testing.T, ws *websocket.Conn)) string {
	t.Helper()
	up := websocket.Upgrader{}
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			t.Error(err)
			return
		}
		defer close(done)
		defer ws.Close()
		script(t, ws)
	}))
	t.Cleanup(func() {
		<-done
		srv.Close()
	})
	return "ws" + strings.TrimPrefix(srv.URL, "http") + "/ws"
}

func serverFrame(t *testing.T, f *realtimev1.ServerFrame) []byte {
	t.Helper()
	b, err := proto.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func gameFrame(t *testing.T, op racev1.OpCode, m proto.Message) []byte {
	t.Helper()
	payload, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return serverFrame(t, &realtimev1.ServerFrame{Payload: &realtimev1.ServerFrame_Message{Message: &realtimev1.GameMessage{
		OpCode: int32(op), Sender: -1, Payload: payload,
	}}})
}

// readHello checks that the first client frame is Hello with the token.
func readHello(t *testing.T, ws *websocket.Conn, wantToken string) {
	t.Helper()
	kind, data, err := ws.ReadMessage()
	if err != nil {
		t.Errorf("read hello: %v", err)
		return
	}
	var f realtimev1.ClientFrame
	if err := proto.Unmarshal(data, &f); err != nil || kind != websocket.BinaryMessage {
		t.Errorf("first frame: kind %d, %v", kind, err)
		return
	}
	if f.GetHello().GetPlayerSessionToken() != wantToken {
		t.Errorf("first frame %v, want hello with %q", &f, wantToken)
	}
}

// collect reads events until the channel closes.
func collect(t *testing.T, c *Conn) []Event {
	t.Helper()
	var evs []Event
	for ev := range c.Events() {
		evs = append(evs, ev)
	}
	return evs
}

func TestEventsDecodeEveryFrame(t *testing.T) {
	url := scriptedServer(t, func(t *testing.T, ws *websocket.Conn) {
		readHello(t, ws, "tok")
		frames := [][]byte{
			serverFrame(t, &realtimev1.ServerFrame{Payload: &realtimev1.ServerFrame_Welcome{Welcome: &realtimev1.Welcome{PeerId: 1, PlayerId: "p1", GameServer: "gs"}}}),
			gameFrame(t, racev1.OpCode_OP_CODE_ASSIGN_PLAYER, &racev1.AssignPlayer{Lane: 1, PlayerId: "p1"}),
			gameFrame(t, racev1.OpCode_OP_CODE_RACE_SNAPSHOT, &racev1.RaceSnapshot{Phase: racev1.Phase_PHASE_WAITING}),
			gameFrame(t, racev1.OpCode_OP_CODE_COUNTDOWN, &racev1.Countdown{StartAtMs: 1000}),
			gameFrame(t, racev1.OpCode_OP_CODE_FROG_MOVED, &racev1.FrogMoved{Frog: &racev1.Frog{Lane: 1, To: 0.2}, Cause: racev1.FrogMoved_CAUSE_HOP}),
			gameFrame(t, racev1.OpCode_OP_CODE_PLAYER_STATUS, &racev1.PlayerStatus{Lane: 0, Status: racev1.PlayerStatus_STATUS_RECONNECTING}),
			gameFrame(t, racev1.OpCode_OP_CODE_RACE_RESULT, &racev1.RaceResult{WinnerLane: 1, Reason: racev1.RaceResult_REASON_FINISH}),
			serverFrame(t, &realtimev1.ServerFrame{Payload: &realtimev1.ServerFrame_Message{Message: &realtimev1.GameMessage{OpCode: 7, Payload: []byte("x")}}}),
			serverFrame(t, &realtimev1.ServerFrame{Payload: &realtimev1.ServerFrame_PeerEvent{PeerEvent: &realtimev1.PeerEvent{Kind: realtimev1.PeerEvent_KIND_JOINED, PeerId: 2}}}),
			serverFrame(t, &realtimev1.ServerFrame{Payload: &realtimev1.ServerFrame_Error{Error: &realtimev1.Error{Code: realtimev1.Error_CODE_SESSION_ENDED}}}),
		}
		for _, f := range frames {
			if err := ws.WriteMessage(websocket.BinaryMessage, f); err != nil {
				t.Error(err)
				return
			}
		}
		_ = ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, "session ended"))
		_, _, _ = ws.ReadMessage() // the client's close answer
	})
	c, err := Dial(t.Context(), url, "tok", DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	evs := collect(t, c)
	if len(evs) != 11 {
		t.Fatalf("%d events: %#v", len(evs), evs)
	}
	checks := []func(Event) bool{
		func(e Event) bool { w, ok := e.(Welcome); return ok && w.PlayerId == "p1" && w.GameServer == "gs" },
		func(e Event) bool { a, ok := e.(AssignPlayer); return ok && a.Lane == 1 && a.Sender == -1 },
		func(e Event) bool { s, ok := e.(RaceSnapshot); return ok && s.Phase == racev1.Phase_PHASE_WAITING },
		func(e Event) bool { c, ok := e.(Countdown); return ok && c.StartAtMs == 1000 },
		func(e Event) bool {
			m, ok := e.(FrogMoved)
			return ok && m.Frog.Lane == 1 && m.Frog.To == 0.2 && m.Cause == racev1.FrogMoved_CAUSE_HOP
		},
		func(e Event) bool {
			s, ok := e.(PlayerStatus)
			return ok && s.Status == racev1.PlayerStatus_STATUS_RECONNECTING
		},
		func(e Event) bool { r, ok := e.(RaceResult); return ok && r.WinnerLane == 1 },
		func(e Event) bool { m, ok := e.(GameMessage); return ok && m.OpCode == 7 && string(m.Payload) == "x" },
		func(e Event) bool { p, ok := e.(PeerEvent); return ok && p.PeerId == 2 },
		func(e Event) bool {
			s, ok := e.(ServerError)
			return ok && s.Code == realtimev1.Error_CODE_SESSION_ENDED
		},
		func(e Event) bool {
			c, ok := e.(Closed)
			return ok && c.Code == websocket.CloseNormalClosure && c.Text == "session ended" && !c.Local && c.Err == nil
		},
	}
	for i, check := range checks {
		if !check(evs[i]) {
			t.Errorf("event %d: %#v", i, evs[i])
		}
		if evs[i].ReceivedAt().IsZero() {
			t.Errorf("event %d has no receive time", i)
		}
	}
}

func TestMalformedFrameEndsTheConnection(t *testing.T) {
	url := scriptedServer(t, func(t *testing.T, ws *websocket.Conn) {
		readHello(t, ws, "tok")
		_ = ws.WriteMessage(websocket.BinaryMessage, []byte{0xff, 0xff, 0xff})
		_, _, _ = ws.ReadMessage()
	})
	c, err := Dial(t.Context(), url, "tok", DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	evs := collect(t, c)
	if len(evs) != 1 {
		t.Fatalf("events %#v", evs)
	}
	if cl, ok := evs[0].(Closed); !ok || cl.Code != CloseAbnormal || cl.Err == nil {
		t.Errorf("event %#v", evs[0])
	}
	if err := c.SendHop(); !errors.Is(err, ErrClosed) {
		t.Errorf("send after close: %v", err)
	}
}

func TestCloseIsClean(t *testing.T) {
	gotClose := make(chan int, 1)
	url := scriptedServer(t, func(t *testing.T, ws *websocket.Conn) {
		readHello(t, ws, "tok")
		_, _, err := ws.ReadMessage()
		if ce, ok := errors.AsType[*websocket.CloseError](err); ok {
			gotClose <- ce.Code
		}
		close(gotClose)
	})
	c, err := Dial(t.Context(), url, "tok", DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if code := <-gotClose; code != websocket.CloseNormalClosure {
		t.Errorf("server saw close code %d", code)
	}
	for ev := range c.Events() {
		if cl, ok := ev.(Closed); ok && !cl.Local {
			t.Errorf("closed event %#v not marked local", cl)
		}
	}
	if err := c.Close(); err != nil {
		t.Errorf("second close: %v", err)
	}
}

// settableClock is a clock the test moves by hand.
type settableClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *settableClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *settableClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

func TestPongSetsTheClockOffset(t *testing.T) {
	const skew = 5 * time.Second
	base := time.UnixMilli(time.Now().UnixMilli())
	clock := &settableClock{now: base}
	url := scriptedServer(t, func(t *testing.T, ws *websocket.Conn) {
		readHello(t, ws, "tok")
		_, data, err := ws.ReadMessage()
		if err != nil {
			t.Error(err)
			return
		}
		var f realtimev1.ClientFrame
		if err := proto.Unmarshal(data, &f); err != nil || f.GetPing() == nil {
			t.Errorf("want a ping, got %v (%v)", &f, err)
			return
		}
		sent := f.GetPing().ClientTimeMs
		// A 20 ms round trip; the server, 5 s ahead, reads its clock halfway.
		clock.Set(base.Add(20 * time.Millisecond))
		_ = ws.WriteMessage(websocket.BinaryMessage, serverFrame(t, &realtimev1.ServerFrame{Payload: &realtimev1.ServerFrame_Pong{Pong: &realtimev1.Pong{
			ClientTimeMs: sent, ServerTimeMs: sent + skew.Milliseconds() + 10,
		}}}))
		_, _, _ = ws.ReadMessage()
	})
	c, err := Dial(t.Context(), url, "tok", DialOptions{Now: clock.Now, PongWait: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	if _, ok := c.ClockOffset(); ok {
		t.Error("offset known before any pong")
	}
	if err := c.Ping(); err != nil {
		t.Fatal(err)
	}
	p := next[Pong](t, c)
	if p.RTT != 20*time.Millisecond || p.Offset != skew {
		t.Errorf("pong rtt %v offset %v, want 20ms and %v", p.RTT, p.Offset, skew)
	}
	if off, ok := c.ClockOffset(); !ok || off != skew {
		t.Errorf("ClockOffset %v %v", off, ok)
	}
	if got := c.LocalTime(base.UnixMilli() + skew.Milliseconds()); !got.Equal(base) {
		t.Errorf("LocalTime %v, want %v", got, base)
	}
}

func TestDialFailures(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(srv.Close)
	for _, url := range []string{"ws" + strings.TrimPrefix(srv.URL, "http") + "/ws", "ws://127.0.0.1:1/ws", "not a url"} {
		if c, err := Dial(t.Context(), url, "tok", DialOptions{}); err == nil {
			_ = c.Close()
			t.Errorf("dialled %s", url)
		}
	}
}

// TestAgainstTheRaceServer plays the start of a race against the real race
// server: handshake, lanes, scene ready, countdown, a hop and a penalty.
func TestAgainstTheRaceServer(t *testing.T) {
	issuer := racetest.NewIssuer(t)
	fleet := racetest.NewFleet(t, issuer, func(c *local.Config) {
		c.Game.Rules.HopDuration = 2 * time.Second // long enough to press again during it
	})

	conns := make([]*Conn, 2)
	for i, player := range []string{"p1", "p2"} {
		a, err := fleet.Allocate(t.Context(), backend.AllocationRequest{PlayerIDs: []string{player}})
		if err != nil {
			t.Fatal(err)
		}
		raw, _, err := issuer.MintPlayerSession(player, a.GameServer, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		c, err := Dial(t.Context(), "ws://127.0.0.1:"+itoa(a.Port)+"/ws", raw, DialOptions{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		conns[i] = c
		w := next[Welcome](t, c)
		if w.PlayerId != player || w.GameServer != a.GameServer {
			t.Errorf("welcome %v", w.Welcome)
		}
		if as := next[AssignPlayer](t, c); as.Lane != int32(i) || as.Rules.GetHopDurationMs() != 2000 {
			t.Errorf("assign %v", as.AssignPlayer)
		}
		if s := next[RaceSnapshot](t, c); s.Phase != racev1.Phase_PHASE_WAITING {
			t.Errorf("snapshot %v", s.RaceSnapshot)
		}
	}
	p1 := conns[0]
	if err := p1.Ping(); err != nil {
		t.Fatal(err)
	}
	if p := next[Pong](t, p1); p.RTT < 0 {
		t.Errorf("pong %+v", p)
	}
	if _, ok := p1.ClockOffset(); !ok {
		t.Error("no clock offset after a pong")
	}
	for _, c := range conns {
		if err := c.SendSceneReady(); err != nil {
			t.Fatal(err)
		}
	}
	cd := next[Countdown](t, p1)
	// Hops before the start are ignored; press until one is taken.
	start := p1.LocalTime(cd.StartAtMs)
	time.Sleep(time.Until(start) + 50*time.Millisecond)
	var moved FrogMoved
	for moved.FrogMoved == nil {
		if err := p1.SendHop(); err != nil {
			t.Fatal(err)
		}
		moved = nextWithin[FrogMoved](t, p1, 200*time.Millisecond)
	}
	if moved.Cause != racev1.FrogMoved_CAUSE_HOP || moved.Frog.Lane != 0 || moved.Frog.To != 0.2 || !moved.Frog.Hopping {
		t.Errorf("hop %v", moved.FrogMoved)
	}
	if err := p1.SendHop(); err != nil {
		t.Fatal(err)
	}
	if pen := next[FrogMoved](t, p1); pen.Cause != racev1.FrogMoved_CAUSE_PENALTY || pen.Frog.Penalties != 1 {
		t.Errorf("penalty %v", pen.FrogMoved)
	}
	// The other player sees both.
	if m := next[FrogMoved](t, conns[1]); m.Frog.Lane != 0 || m.Cause != racev1.FrogMoved_CAUSE_HOP {
		t.Errorf("p2 saw %v", m.FrogMoved)
	}
}

func TestRaceServerRefusesBadTokens(t *testing.T) {
	issuer := racetest.NewIssuer(t)
	fleet := racetest.NewFleet(t, issuer, nil)
	a, err := fleet.Allocate(t.Context(), backend.AllocationRequest{PlayerIDs: []string{"p1"}})
	if err != nil {
		t.Fatal(err)
	}
	other, _, err := issuer.MintPlayerSession("p1", "another-server", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		token     string
		wantCode  realtimev1.Error_Code
		wantClose int
	}{
		{"garbage", "garbage", realtimev1.Error_CODE_BAD_TOKEN, 4001},
		{"another server", other, realtimev1.Error_CODE_WRONG_SERVER, 4003},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Dial(t.Context(), "ws://127.0.0.1:"+itoa(a.Port)+"/ws", tt.token, DialOptions{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = c.Close() })
			evs := collect(t, c)
			if len(evs) != 2 {
				t.Fatalf("events %#v", evs)
			}
			if e, ok := evs[0].(ServerError); !ok || e.Code != tt.wantCode {
				t.Errorf("first event %#v", evs[0])
			}
			if cl, ok := evs[1].(Closed); !ok || cl.Code != tt.wantClose {
				t.Errorf("last event %#v", evs[1])
			}
		})
	}
}

// next returns the next event of type E, skipping others; it fails the test
// if the connection ends first.
func next[E Event](t *testing.T, c *Conn) E {
	t.Helper()
	for ev := range c.Events() {
		if e, ok := ev.(E); ok {
			return e
		}
		if cl, ok := ev.(Closed); ok {
			t.Fatalf("connection closed while waiting for %T: %+v", *new(E), cl)
		}
	}
	t.Fatalf("events ended while waiting for %T", *new(E))
	return *new(E)
}

// nextWithin is next, giving up (zero E) after d without an event of type E.
func nextWithin[E Event](t *testing.T, c *Conn, d time.Duration) E {
	t.Helper()
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		select {
		case ev, ok := <-c.Events():
			if !ok {
				t.Fatalf("events ended while waiting for %T", *new(E))
			}
			if e, ok := ev.(E); ok {
				return e
			}
		case <-timer.C:
			return *new(E)
		}
	}
}

func itoa(p int32) string { return strconv.Itoa(int(p)) }
