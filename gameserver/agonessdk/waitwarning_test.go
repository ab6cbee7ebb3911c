package agonessdk_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leapfrog-games/leapfrog/gameserver/agonessdk"
)

// stepClock moves one second forward each time it is read: the client reads
// it once per failed attempt, so attempt k happens at second k.
type stepClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(time.Second)
	return c.now
}

func (c *stepClock) AfterFunc(time.Duration, func()) func() bool { panic("not used by the client") }

// lockstep fails every round trip and hands the test each failure before
// the client may go on, so that the test counts attempts exactly.
type lockstep struct {
	base     http.RoundTripper
	failures chan error
}

func (l lockstep) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := l.base.RoundTrip(r)
	if err != nil {
		select {
		case l.failures <- err:
		case <-r.Context().Done():
		}
	}
	return resp, err
}

// TestClientWarnsWhileNoSidecarAnswers: a call that cannot reach the
// sidecar is silent for the first seconds (a sidecar starting), then warns
// naming the URL, then again at each interval while it still waits.
func TestClientWarnsWhileNoSidecarAnswers(t *testing.T) {
	tests := []struct {
		name         string
		after, every time.Duration
		attempts     int
		// want is the waiting each warning reports: attempt k is at second k,
		// and attempts (or one more) are made.
		want []string
	}{
		{"none before the first deadline", 3 * time.Second, 30 * time.Second, 2, nil},
		{"the first once due", 3 * time.Second, 30 * time.Second, 4, []string{"3s"}},
		{"then at each interval", 3 * time.Second, 30 * time.Second, 40, []string{"3s", "33s"}},
		{"at once with no delay", 0, 10 * time.Second, 25, []string{"0s", "10s", "20s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := "http://" + freeAddr(t)
			var logs bytes.Buffer
			var mu sync.Mutex
			logger := slog.New(slog.NewJSONHandler(&lockedWriter{w: &logs, mu: &mu}, &slog.HandlerOptions{Level: slog.LevelWarn}))
			failures := make(chan error)
			c := newClient(t, url, agonessdk.WithLogger(logger), agonessdk.WithClock(&stepClock{}),
				agonessdk.WithWaitWarning(tt.after, tt.every),
				agonessdk.WithHTTPClient(&http.Client{Transport: lockstep{base: http.DefaultTransport, failures: failures}}))
			ctx, cancel := context.WithCancel(t.Context())
			done := make(chan error, 1)
			go func() {
				_, err := c.GameServer(ctx)
				done <- err
			}()
			// The failure after the last counted one: the client has dealt
			// with every attempt before it.
			for range tt.attempts + 1 {
				<-failures
			}
			cancel()
			if err := <-done; !errors.Is(err, context.Canceled) {
				t.Fatalf("GameServer = %v, want context.Canceled", err)
			}
			mu.Lock()
			defer mu.Unlock()
			var got []string
			for line := range strings.Lines(logs.String()) {
				var rec struct {
					Level, Msg, SDKURL, Waiting string
				}
				var raw map[string]any
				if err := json.Unmarshal([]byte(line), &raw); err != nil {
					t.Fatalf("log line %q: %v", line, err)
				}
				rec.Level, _ = raw["level"].(string)
				rec.Msg, _ = raw["msg"].(string)
				rec.SDKURL, _ = raw["sdk_url"].(string)
				rec.Waiting, _ = raw["waiting"].(string)
				if rec.Level != "WARN" || rec.SDKURL != url || !strings.Contains(rec.Msg, "Agones SDK sidecar") || !strings.Contains(rec.Msg, "--backend=local") {
					t.Errorf("warning %s: want level WARN, sdk_url %s and what to do", line, url)
				}
				got = append(got, rec.Waiting)
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("warnings after %v, want after %v", got, tt.want)
			}
		})
	}
}

// lockedWriter lets the test read what the client's goroutine wrote.
type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
