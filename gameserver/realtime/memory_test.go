package realtime_test

import (
	"bufio"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
	"google.golang.org/protobuf/proto"

	realtimev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/realtime/v1"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime/realtimetest"
)

const idleClientsEnv = "LEAPFROG_IDLE_CLIENTS"

// BenchmarkIdleConnections measures the server's memory per idle, joined
// player connection: 1,000 real loopback WebSockets, opened by a child
// process so that the clients' own memory does not count.
func BenchmarkIdleConnections(b *testing.B) {
	const n = 1000
	for b.Loop() {
		r := newRig(b, realtime.Config{MaxPlayers: n})
		tokens := make([]string, n)
		for i := range tokens {
			tokens[i] = r.token(b, fmt.Sprintf("p%d", i))
		}
		file := filepath.Join(b.TempDir(), "tokens")
		if err := os.WriteFile(file, []byte(strings.Join(tokens, "\n")), 0o600); err != nil {
			b.Fatal(err)
		}
		before := realtimetest.HeapAndStacks()
		cmd := exec.Command(os.Args[0], "-test.run=^TestIdleClientsHelper$")
		cmd.Env = append(os.Environ(), idleClientsEnv+"="+r.url+" "+file)
		stdin, _ := cmd.StdinPipe()
		stdout, _ := cmd.StdoutPipe()
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		line, err := bufio.NewReader(stdout).ReadString('\n')
		if err != nil || strings.TrimSpace(line) != "joined" {
			b.Fatalf("clients: %q %v", line, err)
		}
		after := realtimetest.HeapAndStacks()
		b.ReportMetric(float64(after-before)/n, "B/conn")
		stdin.Close()
		_ = cmd.Wait()
	}
}

// TestIdleClientsHelper is the child process of BenchmarkIdleConnections.
func TestIdleClientsHelper(t *testing.T) {
	spec := os.Getenv(idleClientsEnv)
	if spec == "" {
		t.Skip("runs only as the child of BenchmarkIdleConnections")
	}
	url, file, _ := strings.Cut(spec, " ")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var conns []*websocket.Conn
	for _, tok := range strings.Split(string(data), "\n") {
		ws, _, err := websocket.DefaultDialer.Dial(url, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := proto.Marshal(&realtimev1.ClientFrame{Payload: &realtimev1.ClientFrame_Hello{Hello: &realtimev1.Hello{PlayerSessionToken: tok}}})
		if err := ws.WriteMessage(websocket.BinaryMessage, b); err != nil {
			t.Fatal(err)
		}
		if _, _, err := ws.ReadMessage(); err != nil { // Welcome
			t.Fatal(err)
		}
		conns = append(conns, ws)
		go func() { // read and drop what the server says (other players joining)
			for {
				if _, _, err := ws.NextReader(); err != nil {
					return
				}
			}
		}()
	}
	fmt.Println("joined")
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n') // until the parent closes stdin
	for _, ws := range conns {
		ws.Close()
	}
}

// BenchmarkIdleSessions measures the memory of one idle session (a match
// waiting for its players on a server of many) beyond its connections.
func BenchmarkIdleSessions(b *testing.B) {
	cfg := realtime.Config{GameServer: "gs", Logger: slog.New(slog.DiscardHandler)}
	for b.Loop() {
		per, err := realtimetest.SessionMemory(2000, cfg, func() (realtime.Game, error) { return echoGame{}, nil })
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(per, "B/session")
	}
}
