package agonessdk_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/leapfrog-games/leapfrog/gameserver/agonessdk"
)

// pingSDK is an SDK of which HealthLoop may only use Health.
type pingSDK struct {
	agonessdk.SDK // nil: any other call panics
	pings         chan int
	n             int
	fail          func(n int) bool
}

func (p *pingSDK) Health(ctx context.Context) error {
	p.n++
	p.pings <- p.n
	if p.fail(p.n) {
		return errors.New("sidecar said no")
	}
	return nil
}

func TestHealthLoopKeepsPingingThroughFailures(t *testing.T) {
	sdk := &pingSDK{pings: make(chan int), fail: func(n int) bool { return n == 2 || n == 3 }}
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		agonessdk.HealthLoop(ctx, sdk, time.Millisecond, logger)
		close(done)
	}()
	for want := 1; want <= 5; want++ {
		if got := <-sdk.pings; got != want {
			t.Fatalf("ping %d, want %d", got, want)
		}
	}
	cancel()
	// A ping that started before the cancel may still be waiting to report.
	for {
		select {
		case <-sdk.pings:
			continue
		case <-done:
		}
		break
	}
	out := logs.String()
	if n := strings.Count(out, "agones health ping failed"); n != 2 {
		t.Errorf("%d failures logged, want 2:\n%s", n, out)
	}
	if n := strings.Count(out, "agones health ping succeeded again"); n != 1 {
		t.Errorf("%d recoveries logged, want 1:\n%s", n, out)
	}
}
