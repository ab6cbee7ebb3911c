package edge_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/protobuf/proto"

	realtimev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/realtime/v1"
	"github.com/leapfrog-games/leapfrog/contract/token"
	"github.com/leapfrog-games/leapfrog/internal/edge"
)

// mapResolver resolves the names it holds and counts the lookups.
type mapResolver struct {
	mu    sync.Mutex
	addrs map[string]string
	calls atomic.Int64
}

func (m *mapResolver) Resolve(_ context.Context, name string) (string, error) {
	m.calls.Add(1)
	m.mu.Lock()
	defer m.mu.Unlock()
	if a, ok := m.addrs[name]; ok {
		return a, nil
	}
	return "", fmt.Errorf("resolve %s: %w", name, edge.ErrUnknownGameServer)
}

func (m *mapResolver) set(name, addr string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.addrs == nil {
		m.addrs = map[string]string{}
	}
	m.addrs[name] = addr
}

// testEdge is an edge Handler served on a loopback port.
type testEdge struct {
	h        *edge.Handler
	srv      *httptest.Server
	res      *mapResolver
	issuer   *token.Issuer
	dials    atomic.Int64
	registry *prometheus.Registry
}

func newKeys(t testing.TB) *token.Issuer {
	t.Helper()
	ks, err := token.GenerateKeyset("k1")
	if err != nil {
		t.Fatal(err)
	}
	return token.NewIssuer(ks, nil)
}

func startEdge(t testing.TB, issuer *token.Issuer, res *mapResolver, edit func(*edge.Config)) *testEdge {
	t.Helper()
	te := &testEdge{res: res, issuer: issuer, registry: prometheus.NewRegistry()}
	d := &net.Dialer{}
	cfg := edge.Config{
		Tokens: issuer, Resolver: res, Registry: te.registry,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			te.dials.Add(1)
			return d.DialContext(ctx, network, addr)
		},
	}
	if edit != nil {
		edit(&cfg)
	}
	h, err := edge.NewHandler(cfg)
	if err != nil {
		t.Fatal(err)
	}
	te.h = h
	mux := http.NewServeMux()
	mux.Handle(edge.Pattern, h)
	te.srv = httptest.NewServer(mux)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = h.Shutdown(ctx)
		te.srv.Close()
	})
	return te
}

// url is the edge's address for a game server.
func (te *testEdge) url(name string) string {
	return "ws" + strings.TrimPrefix(te.srv.URL, "http") + edge.PathPrefix + name
}

// upstream is a scripted game server: it upgrades, reads Hello and hands
// the connection to script.
type upstream struct {
	srv    *httptest.Server
	hellos chan []byte
}

func startUpstream(t testing.TB, script func(ws *websocket.Conn)) *upstream {
	t.Helper()
	u := &upstream{hellos: make(chan []byte, 16)}
	up := websocket.Upgrader{}
	u.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/ws" {
			http.NotFound(w, r)
			return
		}
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		_, b, err := ws.ReadMessage()
		if err != nil {
			return
		}
		u.hellos <- b
		script(ws)
	}))
	t.Cleanup(u.srv.Close)
	return u
}

func (u *upstream) addr() string { return strings.TrimPrefix(u.srv.URL, "http://") }

func helloFrame(t testing.TB, tok string) []byte {
	t.Helper()
	b, err := proto.Marshal(&realtimev1.ClientFrame{Payload: &realtimev1.ClientFrame_Hello{Hello: &realtimev1.Hello{PlayerSessionToken: tok}}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func dial(t testing.TB, url string) *websocket.Conn {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	t.Cleanup(func() { ws.Close() })
	return ws
}

// readToClose reads server frames until the connection ends; it returns the
// frames and the close (code 1006 when it broke without one).
func readToClose(t testing.TB, ws *websocket.Conn) ([]*realtimev1.ServerFrame, *websocket.CloseError) {
	t.Helper()
	_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	var frames []*realtimev1.ServerFrame
	for {
		_, b, err := ws.ReadMessage()
		if err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				return frames, ce
			}
			t.Fatalf("read: %v (want a close)", err)
		}
		f := &realtimev1.ServerFrame{}
		if err := proto.Unmarshal(b, f); err != nil {
			t.Fatalf("decode server frame: %v", err)
		}
		frames = append(frames, f)
	}
}

func errorFrame(code realtimev1.Error_Code, msg string) []byte {
	b, _ := proto.Marshal(&realtimev1.ServerFrame{Payload: &realtimev1.ServerFrame_Error{Error: &realtimev1.Error{Code: code, Message: msg}}})
	return b
}
