package host_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"google.golang.org/protobuf/proto"

	"github.com/leapfrog-games/leapfrog/contract/agoneswire"
	racev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/race/v1"
	realtimev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/realtime/v1"
	"github.com/leapfrog-games/leapfrog/contract/token"
	"github.com/leapfrog-games/leapfrog/gameserver/agonessdk"
	"github.com/leapfrog-games/leapfrog/gameserver/agonessdk/sdktest"
	"github.com/leapfrog-games/leapfrog/gameserver/host"
	"github.com/leapfrog-games/leapfrog/gameserver/race"
	"github.com/leapfrog-games/leapfrog/internal/gameserver/raceserver"
)

// stack is a game server on 127.0.0.1:0 talking to a sidecar fake over HTTP.
type stack struct {
	host   *host.Host
	mem    *agonessdk.Memory
	issuer *token.Issuer
	url    string
	stop   context.CancelFunc
	done   chan error
}

func fastGame() raceserver.GameOptions {
	g := raceserver.DefaultGameOptions()
	g.Rules.HopDuration = 150 * time.Millisecond
	g.Rules.HopPenalty = 10 * time.Millisecond
	g.Rules.Countdown = 100 * time.Millisecond
	g.TickRate = 50
	return g
}

func startStack(t *testing.T, g raceserver.GameOptions, after string) *stack {
	t.Helper()
	return startStackWith(t, g, after, nil)
}

// startStackWith is startStack with tweak applied to the host configuration,
// and wrap (if not nil) around the SDK the host uses.
func startStackWith(t *testing.T, g raceserver.GameOptions, after string, tweak func(*host.Config), wrap ...func(agonessdk.SDK) agonessdk.SDK) *stack {
	t.Helper()
	return startHost(t, agonessdk.MemoryConfig{
		Name: "race-1", Address: "127.0.0.1",
		Lists: map[string]agonessdk.List{agoneswire.PlayersList: {Capacity: 2}},
	}, nil, func(issuer *token.Issuer, log *slog.Logger) host.Config {
		cfg := g.HostConfig(issuer, nil, nil, log)
		cfg.AfterSession = after
		if tweak != nil {
			tweak(&cfg)
		}
		return cfg
	}, wrap...)
}

// startHost runs a host on 127.0.0.1:0 with the configuration hostConfig
// makes for an issuer (whose clock is now, nil for the wall clock) and a
// logger (shown if t fails), next to a sidecar fake for a GameServer made
// from mc, and waits until it is Ready.
func startHost(t *testing.T, mc agonessdk.MemoryConfig, now func() time.Time, hostConfig func(*token.Issuer, *slog.Logger) host.Config, wrap ...func(agonessdk.SDK) agonessdk.SDK) *stack {
	t.Helper()
	sidecar, mem := sdktest.Start(t, mc)
	log := logOnFailure(t)
	sdk, err := agonessdk.NewClient(sidecar.URL, agonessdk.WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	keys, _ := token.GenerateKeyset("k")
	issuer := token.NewIssuer(keys, now)
	cfg := hostConfig(issuer, log)
	if cfg.HealthPeriod == 0 {
		cfg.HealthPeriod = 50 * time.Millisecond
	}
	if cfg.DrainGrace == 0 {
		cfg.DrainGrace = 5 * time.Second
	}
	var hsdk agonessdk.SDK = sdk
	for _, w := range wrap {
		hsdk = w(hsdk)
	}
	h, err := host.New(cfg, hsdk)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	st := &stack{host: h, mem: mem, issuer: issuer, url: "ws://" + ln.Addr().String() + "/ws", stop: cancel, done: make(chan error, 1)}
	go func() { st.done <- h.Run(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-st.done; err != nil {
			t.Errorf("host stopped with %v", err)
		}
	})
	st.waitState(t, agoneswire.StateReady)
	return st
}

// logOnFailure is a logger whose lines are shown only if t fails: the
// host's own account of a failure that shows late (a label never set, a
// connection never closed) is the quickest way to its cause.
func logOnFailure(t *testing.T) *slog.Logger {
	t.Helper()
	var (
		mu  sync.Mutex
		buf bytes.Buffer
	)
	t.Cleanup(func() { // registered first, so it runs after the host stopped
		mu.Lock()
		defer mu.Unlock()
		if t.Failed() && buf.Len() > 0 {
			t.Logf("host log:\n%s", buf.Bytes())
		}
	})
	return slog.New(slog.NewTextHandler(lockedWriter{&mu, &buf}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (lw lockedWriter) Write(p []byte) (int, error) {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	return lw.w.Write(p)
}

// waitState waits (bounded) for the GameServer to reach state.
func (st *stack) waitState(t *testing.T, state agoneswire.GameServerState) {
	t.Helper()
	st.waitFor(t, string(state), func(gs *agonessdk.GameServer) bool { return gs.Status.State == state })
}

// waitFor waits (bounded) for the GameServer to satisfy ok.
func (st *stack) waitFor(t *testing.T, what string, ok func(*agonessdk.GameServer) bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	reached := make(chan struct{})
	go func() {
		_ = st.mem.WatchGameServer(ctx, func(gs *agonessdk.GameServer) {
			if ok(gs) {
				select {
				case <-reached:
				default:
					close(reached)
				}
			}
		})
	}()
	select {
	case <-reached:
	case <-ctx.Done():
		t.Fatalf("game server never reached %s (now %+v)", what, st.mem.Snapshot().Status)
	}
}

// allocatePair allocates the server to players a and b and connects both,
// failing if either is refused.
func (st *stack) allocatePair(t *testing.T, a, b string) (*player, *player) {
	t.Helper()
	if _, err := st.mem.ClusterAllocate([]string{a, b}); err != nil {
		t.Fatal(err)
	}
	st.waitState(t, agoneswire.StateAllocated)
	pa, _, _ := st.connect(t, a)
	pb, _, _ := st.connect(t, b)
	if pa == nil || pb == nil {
		t.Fatalf("%s or %s refused though reserved", a, b)
	}
	return pa, pb
}

type player struct {
	t       *testing.T
	id      string
	ws      *websocket.Conn
	lane    int32
	welcome *realtimev1.Welcome
}

func (st *stack) connect(t *testing.T, id string) (*player, *realtimev1.Error, int) {
	t.Helper()
	raw, _, err := st.issuer.MintPlayerSession(id, "race-1", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	return st.connectWith(t, id, raw)
}

// connectWith connects player id with the player session token raw: a
// player that got its Welcome, or the Error frame and close code it got.
func (st *stack) connectWith(t *testing.T, id, raw string) (*player, *realtimev1.Error, int) {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial(st.url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	_ = ws.SetReadDeadline(time.Now().Add(30 * time.Second))
	p := &player{t: t, id: id, ws: ws}
	p.send(&realtimev1.ClientFrame{Payload: &realtimev1.ClientFrame_Hello{Hello: &realtimev1.Hello{PlayerSessionToken: raw}}})
	f, closeErr := p.read()
	if closeErr != nil {
		var ce *websocket.CloseError
		errors.As(closeErr, &ce)
		return nil, nil, ce.Code
	}
	if e := f.GetError(); e != nil {
		_, err := p.read()
		var ce *websocket.CloseError
		if !errors.As(err, &ce) {
			t.Fatalf("error frame %v not followed by a close: %v", e, err)
		}
		return nil, e, ce.Code
	}
	if p.welcome = f.GetWelcome(); p.welcome == nil {
		t.Fatalf("first frame %v, want welcome", f)
	}
	return p, nil, 0
}

func (p *player) send(f *realtimev1.ClientFrame) {
	b, _ := proto.Marshal(f)
	if err := p.ws.WriteMessage(websocket.BinaryMessage, b); err != nil {
		p.t.Fatalf("%s write: %v", p.id, err)
	}
}

func (p *player) op(op int32) {
	p.send(&realtimev1.ClientFrame{Payload: &realtimev1.ClientFrame_Message{Message: &realtimev1.GameMessage{OpCode: op}}})
}

func (p *player) read() (*realtimev1.ServerFrame, error) {
	_, b, err := p.ws.ReadMessage()
	if err != nil {
		return nil, err
	}
	f := &realtimev1.ServerFrame{}
	if err := proto.Unmarshal(b, f); err != nil {
		p.t.Fatalf("decode: %v", err)
	}
	return f, nil
}

// play hops whenever its frog is idle until the match result arrives.
func (p *player) play(results chan<- *racev1.RaceResult) {
	hopping := false
	for {
		f, err := p.read()
		if err != nil {
			results <- nil
			return
		}
		m := f.GetMessage()
		if m == nil {
			continue
		}
		switch m.OpCode {
		case race.OpAssignPlayer:
			a := &racev1.AssignPlayer{}
			_ = proto.Unmarshal(m.Payload, a)
			p.lane = a.Lane
			p.op(race.OpSceneReady)
		case race.OpCountdown:
			cd := &racev1.Countdown{}
			_ = proto.Unmarshal(m.Payload, cd)
			time.Sleep(time.Until(time.UnixMilli(cd.StartAtMs))) // same machine, same clock
			p.op(race.OpHop)
			hopping = true
		case race.OpFrogMoved:
			fm := &racev1.FrogMoved{}
			_ = proto.Unmarshal(m.Payload, fm)
			if fm.Frog.Lane == p.lane && fm.Cause == racev1.FrogMoved_CAUSE_LANDED {
				hopping = false
			}
			if !hopping {
				p.op(race.OpHop)
				hopping = true
			}
		case race.OpRaceResult:
			r := &racev1.RaceResult{}
			_ = proto.Unmarshal(m.Payload, r)
			results <- r
			return
		}
	}
}

func TestTwoPlayersMatchToAWinner(t *testing.T) {
	st := startStack(t, fastGame(), host.AfterShutdown)
	a, b := st.allocatePair(t, "alice", "bob")
	_, e, code := st.connect(t, "carol")
	if e.GetCode() != realtimev1.Error_CODE_SESSION_FULL || code != 4004 {
		t.Fatalf("third player: %v close %d, want session full 4004", e, code)
	}
	results := make(chan *racev1.RaceResult, 2)
	go a.play(results)
	go b.play(results)
	r1, r2 := <-results, <-results
	if r1 == nil || r2 == nil {
		t.Fatal("a player lost the connection before the result")
	}
	if r1.WinnerPlayerId != r2.WinnerPlayerId || r1.Reason != racev1.RaceResult_REASON_FINISH || r1.WinnerPlayerId == "" {
		t.Fatalf("results disagree: %v / %v", r1, r2)
	}
	st.waitState(t, agoneswire.StateShutdown)
}

func TestUnreservedPlayerIsRefused(t *testing.T) {
	st := startStack(t, fastGame(), host.AfterShutdown)
	if _, err := st.mem.ClusterAllocate([]string{"alice"}); err != nil {
		t.Fatal(err)
	}
	_, e, code := st.connect(t, "mallory")
	if e.GetCode() != realtimev1.Error_CODE_REJECTED || code != 4009 {
		t.Fatalf("got %v close %d, want rejected 4009", e, code)
	}
}

// A player who connects right after the match can be ahead of Agones: the
// sidecar's view of the players list comes from a watch. Its place is
// awaited for a moment instead of being refused.
func TestPlaceShownLateIsAwaited(t *testing.T) {
	looked := &listRead{read: make(chan struct{})}
	st := startStackWith(t, fastGame(), host.AfterShutdown, nil, func(sdk agonessdk.SDK) agonessdk.SDK { looked.SDK = sdk; return looked })
	allocated := make(chan error, 1)
	go func() {
		<-looked.read // the host looked for alice's place and did not find it
		_, err := st.mem.ClusterAllocate([]string{"alice"})
		allocated <- err
	}()
	p, e, code := st.connect(t, "alice")
	if err := <-allocated; err != nil {
		t.Fatal(err)
	}
	if p == nil {
		t.Fatalf("alice, allocated after the host first looked for her place: %v close %d, want a welcome", e, code)
	}
	// The session is named as the allocator's gameSessionId names it: the
	// game server, on a server of one match at a time.
	if w := p.welcome; w.SessionId != w.GameServer {
		t.Errorf("welcome to session %q on game server %q: want the game server's name", w.SessionId, w.GameServer)
	}
}

// listRead is an SDK that tells, by closing read, when the players list
// was first read.
type listRead struct {
	agonessdk.SDK
	read chan struct{}
	once sync.Once
}

func (l *listRead) GetList(ctx context.Context, name string) (*agonessdk.List, error) {
	list, err := l.SDK.GetList(ctx, name)
	if name == agoneswire.PlayersList {
		l.once.Do(func() { close(l.read) })
	}
	return list, err
}

func TestNoShowIsRemovedFromTheList(t *testing.T) {
	g := fastGame()
	g.NoShowTimeout = 200 * time.Millisecond
	st := startStack(t, g, host.AfterShutdown)
	if _, err := st.mem.ClusterAllocate([]string{"alice", "ghost"}); err != nil {
		t.Fatal(err)
	}
	if p, _, _ := st.connect(t, "alice"); p == nil {
		t.Fatal("alice refused")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	freed := make(chan []string, 1)
	go func() {
		_ = st.mem.WatchGameServer(ctx, func(gs *agonessdk.GameServer) {
			if v := gs.Status.Lists[agoneswire.PlayersList].Values; len(v) == 1 {
				select {
				case freed <- v:
				default:
				}
			}
		})
	}()
	select {
	case v := <-freed:
		if v[0] != "alice" {
			t.Fatalf("list = %v, want [alice]", v)
		}
	case <-ctx.Done():
		t.Fatalf("the no-show's place was never freed: %v", st.mem.Snapshot().Status.Lists)
	}
	if _, err := st.mem.ClusterAllocate([]string{"carol"}); err != nil {
		t.Fatal(err)
	}
	if p, _, _ := st.connect(t, "carol"); p == nil {
		t.Fatal("the freed place was not given to the next player")
	}
}

func TestSigtermTellsPlayersAndExitsCleanly(t *testing.T) {
	st := startStack(t, fastGame(), host.AfterShutdown)
	if _, err := st.mem.ClusterAllocate([]string{"alice"}); err != nil {
		t.Fatal(err)
	}
	a, _, _ := st.connect(t, "alice")
	st.stop()
	for {
		f, err := a.read()
		if err != nil {
			var ce *websocket.CloseError
			if !errors.As(err, &ce) || ce.Code != websocket.CloseGoingAway {
				t.Fatalf("closed with %v, want 1001", err)
			}
			break
		}
		if e := f.GetError(); e != nil && e.Code != realtimev1.Error_CODE_SHUTTING_DOWN {
			t.Fatalf("error %v, want shutting down", e)
		}
	}
}

func TestReuseReturnsToReady(t *testing.T) {
	g := fastGame()
	g.WaitForPlayers = 100 * time.Millisecond // nobody joins: the session ends
	st := startStack(t, g, host.AfterReady)
	if _, err := st.mem.ClusterAllocate([]string{"ghost"}); err != nil {
		t.Fatal(err)
	}
	// Every state the server goes through: a finished match must never be
	// Allocated with a free place, or the allocator could put players on it.
	var (
		mu   sync.Mutex
		seen []agonessdk.GameServer
	)
	wctx, stopWatch := context.WithCancel(context.Background())
	defer stopWatch()
	go func() {
		_ = st.mem.WatchGameServer(wctx, func(gs *agonessdk.GameServer) {
			mu.Lock()
			seen = append(seen, *gs)
			mu.Unlock()
		})
	}()
	st.waitState(t, agoneswire.StateAllocated)
	// What the allocator waits for before it places anyone here: Ready, an
	// empty list, and the match no longer labelled closed.
	st.waitFor(t, "Ready with an empty players list, open", func(gs *agonessdk.GameServer) bool {
		return gs.Status.State == agoneswire.StateReady && len(gs.Status.Lists[agoneswire.PlayersList].Values) == 0 &&
			gs.ObjectMeta.Labels[agoneswire.ClosedLabel] != agoneswire.ClosedValue
	})
	mu.Lock()
	for _, gs := range seen {
		if gs.Status.State == agoneswire.StateAllocated && len(gs.Status.Lists[agoneswire.PlayersList].Values) == 0 {
			t.Errorf("the finished server was Allocated with free places: %+v", gs.Status)
		}
	}
	mu.Unlock()
	if _, err := st.mem.ClusterAllocate([]string{"alice"}); err != nil {
		t.Fatal(err)
	}
	if p, e, code := st.connect(t, "alice"); p == nil {
		t.Fatalf("the reused server refused its next player: %v (close %d)", e, code)
	}
}
