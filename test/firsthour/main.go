package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gorilla/websocket"

	"github.com/leapfrog-games/leapfrog/client"
)

// Log messages the measure waits for: the probe script's (probe/index.js)
// and the allocator's own.
const (
	msgInit       = "firsthour: init"
	msgStarted    = "firsthour: onProcessStarted"
	msgSession    = "firsthour: onStartGameSession"
	msgLoaded     = "local fleet runs a GameLift Realtime script"
	msgSessionRun = "session started"
)

func main() {
	url := flag.String("url", "http://127.0.0.1:18480", "the allocator the command serves (make run's LISTEN)")
	runs := flag.Int("runs", 1, "times to start the command")
	timeout := flag.Duration("timeout", 10*time.Minute, "longest wait for the first match of one run (a cold go run compiles)")
	connect := flag.Bool("connect", true, "connect the matched player (a high-density race starts its session on its first player)")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "Usage: firsthour [flags] -- command [args...]")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 || *runs < 1 {
		flag.Usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	for i := range *runs {
		r, err := measure(ctx, flag.Args(), *url, *timeout, *connect)
		if err != nil {
			fmt.Fprintf(os.Stderr, "firsthour: run %d: %v\n", i+1, err)
			os.Exit(1)
		}
		fmt.Printf("run %d: %s\n", i+1, r)
	}
}

// result is one run's figures, each from the command's start unless said.
type result struct {
	init, started, loaded, match time.Duration
	// session is from the match request (or, with connect, the player's
	// connection) to onStartGameSession, or to the session's start for a
	// script without the probe's logs.
	session     time.Duration
	sessionFrom string
}

func (r result) String() string {
	f := func(d time.Duration) string {
		if d <= 0 {
			return "-"
		}
		return d.Round(time.Millisecond).String()
	}
	return fmt.Sprintf("init %s, onProcessStarted %s, script loaded %s, first match %s; %s to onStartGameSession %s",
		f(r.init), f(r.started), f(r.loaded), f(r.match), r.sessionFrom, f(r.session))
}

// measure runs the command once, in its own process group, and stops it.
func measure(ctx context.Context, args []string, url string, timeout time.Duration, connect bool) (result, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.Command(args[0], args[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := cmd.StderrPipe()
	if err != nil {
		return result{}, err
	}
	cmd.Stdout = cmd.Stderr
	logs := newLogWatch()
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return result{}, err
	}
	go logs.read(out)
	defer func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGINT)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	}()

	api, err := client.New(url, &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{Proxy: nil}})
	if err != nil {
		return result{}, err
	}
	m, asked, err := firstMatch(ctx, api)
	if err != nil {
		return result{}, fmt.Errorf("%w; the command's last lines:\n%s", err, logs.tail())
	}
	var r result
	matched := time.Now()
	r.match = matched.Sub(start)
	connected := time.Time{}
	if connect {
		connected = time.Now()
		c, err := client.Dial(ctx, m.WSURL, m.PlayerSessionToken, client.DialOptions{Dialer: &websocket.Dialer{HandshakeTimeout: 10 * time.Second}})
		if err != nil {
			return result{}, fmt.Errorf("connect the player: %w", err)
		}
		defer c.Close()
	}
	at, err := logs.wait(ctx, msgSession, msgSessionRun)
	if err != nil {
		return result{}, err
	}
	// A server of one race starts its session at the allocation; a race on
	// a high-density server when its first player comes.
	r.session, r.sessionFrom = at.Sub(asked), "POST /v1/match"
	if connect && !at.Before(connected) {
		r.session, r.sessionFrom = at.Sub(connected), "first player's connection"
	}
	since := func(msg string) time.Duration {
		if t, ok := logs.first(msg); ok {
			return t.Sub(start)
		}
		return 0
	}
	r.init, r.started, r.loaded = since(msgInit), since(msgStarted), since(msgLoaded)
	return r, nil
}

// firstMatch asks for a guest and a match until both succeed; asked is
// when the successful match was asked for.
func firstMatch(ctx context.Context, api *client.Client) (m client.Match, asked time.Time, err error) {
	var last error
	for {
		g, err := api.Guest(ctx)
		if err == nil {
			asked = time.Now()
			if m, err = api.Match(ctx, g.GuestToken, 0); err == nil {
				return m, asked, nil
			}
		}
		last = err
		select {
		case <-ctx.Done():
			return client.Match{}, time.Time{}, fmt.Errorf("no match: %w (last: %v)", ctx.Err(), last)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// logWatch keeps the first time each message was logged (the log's own
// time field) and the last lines, for errors.
type logWatch struct {
	mu      sync.Mutex
	firsts  map[string]time.Time
	lines   []string
	changed chan struct{}
}

func newLogWatch() *logWatch {
	return &logWatch{firsts: map[string]time.Time{}, changed: make(chan struct{}, 1)}
}

func (l *logWatch) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var rec struct {
			Time time.Time `json:"time"`
			Msg  string    `json:"msg"`
		}
		line := sc.Text()
		l.mu.Lock()
		if json.Unmarshal([]byte(line), &rec) == nil {
			if _, seen := l.firsts[rec.Msg]; !seen {
				l.firsts[rec.Msg] = rec.Time
			}
		}
		l.lines = append(l.lines, line)
		if len(l.lines) > 20 {
			l.lines = slices.Delete(l.lines, 0, len(l.lines)-20)
		}
		l.mu.Unlock()
		select {
		case l.changed <- struct{}{}:
		default:
		}
	}
}

func (l *logWatch) first(msg string) (time.Time, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	t, ok := l.firsts[msg]
	return t, ok
}

// wait returns when the first of msgs was logged.
func (l *logWatch) wait(ctx context.Context, msgs ...string) (time.Time, error) {
	for {
		for _, m := range msgs {
			if t, ok := l.first(m); ok {
				return t, nil
			}
		}
		select {
		case <-ctx.Done():
			return time.Time{}, errors.New("no " + strings.Join(msgs, " or ") + " in the log")
		case <-l.changed:
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (l *logWatch) tail() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}
