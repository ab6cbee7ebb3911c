package host_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/protobuf/proto"

	"github.com/leapfrog-games/leapfrog/contract/agoneswire"
	"github.com/leapfrog-games/leapfrog/contract/closecode"
	racev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/race/v1"
	realtimev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/realtime/v1"
	"github.com/leapfrog-games/leapfrog/gameserver/agonessdk"
	"github.com/leapfrog-games/leapfrog/gameserver/host"
	"github.com/leapfrog-games/leapfrog/gameserver/race"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime"
)

// untilClose reads until the server closes p, returning the last Error frame,
// the close code and every game message seen.
func (p *player) untilClose() (*realtimev1.Error, int, []*realtimev1.GameMessage) {
	p.t.Helper()
	var (
		last *realtimev1.Error
		msgs []*realtimev1.GameMessage
	)
	for {
		f, err := p.read()
		if err != nil {
			var ce *websocket.CloseError
			if !errors.As(err, &ce) {
				p.t.Fatalf("%s: connection ended without a close frame: %v", p.id, err)
			}
			return last, ce.Code, msgs
		}
		if e := f.GetError(); e != nil {
			last = e
		}
		if m := f.GetMessage(); m != nil {
			msgs = append(msgs, m)
		}
	}
}

// untilOp reads until a game message with op arrives.
func (p *player) untilOp(op int32) *realtimev1.GameMessage {
	p.t.Helper()
	for {
		f, err := p.read()
		if err != nil {
			p.t.Fatalf("%s: waiting for op %d: %v", p.id, op, err)
		}
		if m := f.GetMessage(); m != nil && m.OpCode == op {
			return m
		}
	}
}

// TestHopFloodDoesNotDisconnectTheOpponent is the attack where one player
// sends hop 2,000 times back to back mid-race: the flooder is closed with
// CODE_RATE_LIMITED (4012); the opponent stays connected and is told the
// flooder is away.
func TestHopFloodDoesNotDisconnectTheOpponent(t *testing.T) {
	g := fastGame()
	g.Rules.HopDuration = time.Minute // every press after the first is a penalty
	g.Rules.IdleTimeout = 0           // not longer than a hop: off
	g.Rules.Countdown = 0
	st := startStack(t, g, host.AfterShutdown)
	a, b := st.allocatePair(t, "flooder", "victim")
	a.op(race.OpSceneReady)
	b.op(race.OpSceneReady)
	a.untilOp(race.OpCountdown)
	b.untilOp(race.OpCountdown)

	hop, _ := proto.Marshal(&realtimev1.ClientFrame{Payload: &realtimev1.ClientFrame_Message{Message: &realtimev1.GameMessage{OpCode: race.OpHop}}})
	go func() {
		for range 2000 {
			if a.ws.WriteMessage(websocket.BinaryMessage, hop) != nil {
				return
			}
		}
	}()
	if e, code, _ := a.untilClose(); e.GetCode() != realtimev1.Error_CODE_RATE_LIMITED || code != int(closecode.RateLimited) {
		t.Fatalf("flooder: %v close %d, want rate limited and %d", e, code, int(closecode.RateLimited))
	}
	moves := 0
	for {
		m := b.untilOp(race.OpPlayerStatus)
		ps := &racev1.PlayerStatus{}
		_ = proto.Unmarshal(m.Payload, ps)
		if ps.PlayerId == "flooder" && ps.Status == racev1.PlayerStatus_STATUS_RECONNECTING {
			break
		}
		moves++
	}
	b.send(&realtimev1.ClientFrame{Payload: &realtimev1.ClientFrame_Ping{Ping: &realtimev1.Ping{ClientTimeMs: 7}}})
	for {
		f, err := b.read()
		if err != nil {
			t.Fatalf("the victim was disconnected: %v", err)
		}
		if f.GetPong().GetClientTimeMs() == 7 {
			break
		}
	}
}

// wedgeGame is a match whose loop can be made to hang (op 999) or panic (op 998).
type wedgeGame struct {
	realtime.Game
	block chan struct{}
}

// NextTick keeps the match's sleeping loop: the watchdog must tell a wedged
// loop from a sleeping one.
func (g wedgeGame) NextTick(s *realtime.Session, now time.Time) time.Time {
	return g.Game.(realtime.Sleeper).NextTick(s, now)
}

const (
	opWedge = 999
	opCrash = 998
)

func (g wedgeGame) OnMessage(s *realtime.Session, p *realtime.Player, m realtime.Message) error {
	switch m.OpCode {
	case opWedge:
		<-g.block
		return nil
	case opCrash:
		panic("match state corrupted")
	}
	return g.Game.OnMessage(s, p, m)
}

func withWedgeGame(block chan struct{}) func(*host.Config) {
	return func(c *host.Config) {
		newGame := c.NewGame
		c.NewGame = func() (realtime.Game, error) {
			g, err := newGame()
			return wedgeGame{Game: g, block: block}, err
		}
	}
}

func TestWatchdogStopsHealthAndTellsPlayersWhenTheLoopIsStuck(t *testing.T) {
	block := make(chan struct{})
	st := startStackWith(t, fastGame(), host.AfterShutdown, func(c *host.Config) {
		withWedgeGame(block)(c)
		c.LoopStall = time.Second // long enough that a loaded machine does not trip it early
		c.DrainGrace = time.Second
	})
	t.Cleanup(func() { close(block) })
	health := prometheus.NewRegistry()
	health.MustRegister(host.HealthCollector(st.host))
	if got := healthGauge(t, health); got != 1 {
		t.Fatalf("leapfrog_host_healthy = %v on a sound server, want 1", got)
	}
	a, b := st.allocatePair(t, "alice", "bob")
	a.op(opWedge)
	for _, p := range []*player{a, b} {
		if e, code, _ := p.untilClose(); e.GetCode() != realtimev1.Error_CODE_INTERNAL || code != int(closecode.Internal) {
			t.Fatalf("%s: %v close %d, want internal error and %d", p.id, e, code, int(closecode.Internal))
		}
	}
	if st.host.Healthy() || st.host.Ready() {
		t.Error("the host still says it is healthy or ready with its loop stuck")
	}
	if got := healthGauge(t, health); got != 0 {
		t.Errorf("leapfrog_host_healthy = %v with the loop stuck, want 0", got)
	}
	if _, e, code := st.connect(t, "alice"); code != int(closecode.Rejected) || !strings.Contains(e.GetMessage(), "over") {
		t.Errorf("a new connection to the broken server: %v close %d, want refused", e, code)
	}
}

func TestGameCrashShutsTheServerDown(t *testing.T) {
	st := startStackWith(t, fastGame(), host.AfterReady, withWedgeGame(nil))
	if _, err := st.mem.ClusterAllocate([]string{"alice", "bob"}); err != nil {
		t.Fatal(err)
	}
	st.waitState(t, agoneswire.StateAllocated)
	a, _, _ := st.connect(t, "alice")
	b, _, _ := st.connect(t, "bob")
	a.op(opCrash)
	for _, p := range []*player{a, b} {
		if e, code, _ := p.untilClose(); e.GetCode() != realtimev1.Error_CODE_INTERNAL || code != int(closecode.Internal) {
			t.Fatalf("%s: %v close %d, want internal error and %d", p.id, e, code, int(closecode.Internal))
		}
	}
	// Even with after-race=ready: a crashed game's server is replaced.
	st.waitState(t, agoneswire.StateShutdown)
	if st.host.Healthy() {
		t.Error("the host still says it is healthy after the game crashed")
	}
}

func TestFinishedServerTakesNobody(t *testing.T) {
	g := fastGame()
	g.WaitForPlayers = 100 * time.Millisecond // nobody joins: the session ends
	st := startStack(t, g, host.AfterShutdown)
	if _, err := st.mem.ClusterAllocate([]string{"ghost"}); err != nil {
		t.Fatal(err)
	}
	st.waitState(t, agoneswire.StateAllocated)
	st.waitState(t, agoneswire.StateShutdown)
	start := time.Now()
	_, e, code := st.connect(t, "ghost")
	if code != int(closecode.Rejected) || !strings.Contains(e.GetMessage(), "over") {
		t.Fatalf("a player on the finished server: %v close %d, want refused as over", e, code)
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("refused after %v: it waited for a session instead of refusing at once", d)
	}
}

func TestIdleHTTPConnectionsAreClosed(t *testing.T) {
	st := startStackWith(t, fastGame(), host.AfterShutdown, func(c *host.Config) { c.IdleTimeout = 200 * time.Millisecond })
	addr := strings.TrimSuffix(strings.TrimPrefix(st.url, "ws://"), "/ws")
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte("GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(c)
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if _, err := r.ReadByte(); !errors.Is(err, io.EOF) {
		t.Fatalf("idle keep-alive connection: %v, want closed by the server (EOF)", err)
	}
}

// stuckRemove is an SDK whose RemoveListValue takes until its context ends,
// as a call in flight when the server stops would.
type stuckRemove struct {
	agonessdk.SDK
	entered chan struct{}
	once    sync.Once
}

func (s *stuckRemove) RemoveListValue(ctx context.Context, name, value string) error {
	s.once.Do(func() { close(s.entered) })
	<-ctx.Done()
	return ctx.Err()
}

// errorLog collects ERROR records.
type errorLog struct {
	mu   sync.Mutex
	msgs []string
}

func (l *errorLog) Enabled(_ context.Context, lv slog.Level) bool { return lv >= slog.LevelError }
func (l *errorLog) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.msgs = append(l.msgs, r.Message)
	return nil
}
func (l *errorLog) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *errorLog) WithGroup(string) slog.Handler      { return l }

func TestNormalStopLogsNoErrorForAPlaceBeingFreed(t *testing.T) {
	g := fastGame()
	g.NoShowTimeout = 50 * time.Millisecond
	errs := &errorLog{}
	stuck := &stuckRemove{entered: make(chan struct{})}
	st := startStackWith(t, g, host.AfterShutdown, func(c *host.Config) { c.Logger = slog.New(errs) },
		func(sdk agonessdk.SDK) agonessdk.SDK { stuck.SDK = sdk; return stuck })
	if _, err := st.mem.ClusterAllocate([]string{"alice", "ghost"}); err != nil {
		t.Fatal(err)
	}
	if p, _, _ := st.connect(t, "alice"); p == nil {
		t.Fatal("alice refused")
	}
	select {
	case <-stuck.entered:
	case <-time.After(20 * time.Second):
		t.Fatal("the no-show's place was never freed")
	}
	st.stop()
	if err := <-st.done; err != nil {
		t.Fatalf("host stopped with %v", err)
	}
	st.done <- nil // for the cleanup
	errs.mu.Lock()
	defer errs.mu.Unlock()
	if len(errs.msgs) != 0 {
		t.Fatalf("ERROR lines on a normal stop: %q", errs.msgs)
	}
}

// healthGauge reads leapfrog_host_healthy from reg.
func healthGauge(t *testing.T, reg *prometheus.Registry) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil || len(mfs) != 1 || mfs[0].GetName() != "leapfrog_host_healthy" {
		t.Fatalf("gathered %v (%v), want leapfrog_host_healthy", mfs, err)
	}
	return mfs[0].GetMetric()[0].GetGauge().GetValue()
}
