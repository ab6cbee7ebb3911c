package edge_test

import (
	"bufio"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/leapfrog-games/leapfrog/internal/edge"
)

const benchChildEnv = "LEAPFROG_EDGE_BENCH_CHILD"

// benchConns is how many sockets are relayed while the figures are taken.
const benchConns = 2000

// BenchmarkEdge measures the edge alone: a child process runs the game
// servers (WebSocket echo, one goroutine per connection like the match
// server's reader) and the clients, so this process holds only the edge.
// With 2,000 sockets relayed it reports:
//   - rtt-direct-p50/p99-µs and rtt-edge-p50/p99-µs: a 64-byte message's
//     round trip, directly and through the edge, interleaved so that load
//     on the machine hits both alike (the added latency is the difference,
//     for two hops);
//   - B/relayed-conn: the edge's heap and stacks per relayed connection;
//   - cpu-µs/frame and conns/core: the edge's CPU per relayed message under
//     load, and how many match connections one core relays at 20 messages
//     a second each (a match sends far fewer).
func BenchmarkEdge(b *testing.B) {
	for b.Loop() {
		issuer := newKeys(b)
		cmd := exec.Command(os.Args[0], "-test.run=^TestEdgeBenchChild$")
		cmd.Env = append(os.Environ(), benchChildEnv+"=1")
		stdin, _ := cmd.StdinPipe()
		stdout, _ := cmd.StdoutPipe()
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		out := bufio.NewReader(stdout)
		expect := func(prefix string) []string {
			line, err := out.ReadString('\n')
			f := strings.Fields(line)
			if err != nil || len(f) == 0 || f[0] != prefix {
				b.Fatalf("child: %q %v, want %s", line, err, prefix)
			}
			return f[1:]
		}
		say := func(format string, args ...any) { fmt.Fprintf(stdin, format+"\n", args...) }

		upstreamAddr := expect("upstream")[0]
		res := &mapResolver{}
		res.set("race-a", upstreamAddr)
		// Every client is on 127.0.0.1: lift the per-address limit.
		te := startEdge(b, issuer, res, func(c *edge.Config) { c.MaxConnsPerIP = 2 * benchConns })
		raw, _, _ := issuer.MintPlayerSession("p1", "race-a", time.Hour)

		before := heapAndStacks()
		say("open %d %s ws://%s/ws %s", benchConns, te.url("race-a"), upstreamAddr, raw)
		expect("open")
		after := heapAndStacks()
		b.ReportMetric(float64(after-before)/benchConns, "B/relayed-conn")

		say("rtt 4000")
		f := expect("rtt")
		for i, unit := range []string{"rtt-direct-p50-µs", "rtt-direct-p99-µs", "rtt-edge-p50-µs", "rtt-edge-p99-µs"} {
			v, _ := strconv.ParseFloat(f[i], 64)
			b.ReportMetric(v, unit)
		}

		const roundTrips = 100_000
		cpu0 := cpuTime()
		say("load %d", roundTrips)
		expect("load")
		perFrame := float64(cpuTime()-cpu0) / (2 * roundTrips)
		b.ReportMetric(perFrame/1e3, "cpu-µs/frame")
		b.ReportMetric(1e9/(perFrame*20), "conns/core")
		say("quit")
		stdin.Close()
		_ = cmd.Wait()
	}
}

func heapAndStacks() uint64 {
	var m runtime.MemStats
	for range 2 {
		runtime.GC()
	}
	runtime.ReadMemStats(&m)
	return m.HeapAlloc + m.StackInuse
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestEdgeBenchChild is the child process of BenchmarkEdge: game servers and clients.
func TestEdgeBenchChild(t *testing.T) {
	if os.Getenv(benchChildEnv) == "" {
		t.Skip("runs only as the child of BenchmarkEdge")
	}
	up := websocket.Upgrader{ReadBufferSize: 1024, WriteBufferSize: 1024}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		for {
			kind, b, err := ws.ReadMessage()
			if err != nil {
				return
			}
			if ws.WriteMessage(kind, b) != nil {
				return
			}
		}
	}))
	defer srv.Close()
	fmt.Printf("upstream %s\n", strings.TrimPrefix(srv.URL, "http://"))
	in := bufio.NewScanner(os.Stdin)
	var viaEdge, direct []*websocket.Conn
	payload := make([]byte, 64)
	rtt := func(ws *websocket.Conn) time.Duration {
		start := time.Now()
		if ws.WriteMessage(websocket.BinaryMessage, payload) != nil {
			t.Fatal("write")
		}
		if _, _, err := ws.ReadMessage(); err != nil {
			t.Fatal(err)
		}
		return time.Since(start)
	}
	for in.Scan() {
		f := strings.Fields(in.Text())
		switch f[0] {
		case "open":
			n, _ := strconv.Atoi(f[1])
			hello := helloFrame(t, f[4])
			for i := range n {
				for _, side := range []struct {
					url   string
					conns *[]*websocket.Conn
				}{{f[2], &viaEdge}, {f[3], &direct}} {
					ws, _, err := websocket.DefaultDialer.Dial(side.url, nil)
					if err != nil {
						t.Fatalf("conn %d: %v", i, err)
					}
					if err := ws.WriteMessage(websocket.BinaryMessage, hello); err != nil {
						t.Fatal(err)
					}
					if _, _, err := ws.ReadMessage(); err != nil { // the echoed Hello: relayed end to end
						t.Fatal(err)
					}
					*side.conns = append(*side.conns, ws)
				}
			}
			fmt.Println("open")
		case "rtt":
			n, _ := strconv.Atoi(f[1])
			var d, e []time.Duration
			for i := range n {
				d = append(d, rtt(direct[i%len(direct)]))
				e = append(e, rtt(viaEdge[i%len(viaEdge)]))
			}
			fmt.Printf("rtt %.1f %.1f %.1f %.1f\n", pct(d, 50), pct(d, 99), pct(e, 50), pct(e, 99))
		case "load":
			n, _ := strconv.Atoi(f[1])
			var wg sync.WaitGroup
			const workers = 16 // benchConns is a multiple of it
			for w := range workers {
				wg.Go(func() {
					for i := w; i < n; i += workers {
						// Connection j ≡ w (mod workers): no two workers share one.
						rtt(viaEdge[(i/workers*workers+w)%len(viaEdge)])
					}
				})
			}
			wg.Wait()
			fmt.Println("load")
		case "quit":
			return
		}
	}
}

func pct(d []time.Duration, p int) float64 {
	s := slices.Clone(d)
	slices.Sort(s)
	return float64(s[(len(s)-1)*p/100].Nanoseconds()) / 1e3
}
