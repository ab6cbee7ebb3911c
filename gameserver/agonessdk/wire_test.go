package agonessdk_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/leapfrog-games/leapfrog/contract/agoneswire"
	"github.com/leapfrog-games/leapfrog/gameserver/agonessdk"
	"github.com/leapfrog-games/leapfrog/gameserver/agonessdk/sdktest"
)

// wireDir returns the Agones wire captures, in ../shared beside the repo.
func wireDir(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
	wire := filepath.Join(dir, "..", "shared", "agones", "wire")
	if _, err := os.Stat(wire); err != nil {
		t.Skipf("skipping: no Agones wire captures at %s (shared/ beside the repo): %v", wire, err)
	}
	return wire
}

// capture is one recorded request to the real sidecar and its raw answer.
type capture struct {
	method, path string
	reqBody      []byte // nil when the request had none
	status       int
	header       http.Header
	body         []byte
}

func loadCapture(t *testing.T, file string) capture {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	first, rest, ok := bytes.Cut(data, []byte("\n"))
	if !ok || !bytes.HasPrefix(first, []byte("# ")) {
		t.Fatalf("%s: no request line", file)
	}
	line := strings.TrimPrefix(string(first), "# ")
	var c capture
	reqLine, body, hasBody := strings.Cut(line, " body: ")
	c.method, c.path, _ = strings.Cut(strings.TrimSpace(reqLine), " ")
	c.path = strings.TrimSpace(c.path)
	if hasBody {
		c.reqBody = []byte(body)
	}
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(rest)), nil)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	defer resp.Body.Close()
	if c.body, err = io.ReadAll(resp.Body); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	c.status, c.header = resp.StatusCode, resp.Header
	return c
}

// serveCapture answers every request with the capture's response, and
// reports a request that differs from the captured one.
func serveCapture(t *testing.T, c capture, checkBody bool) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != c.method || r.URL.EscapedPath() != c.path {
			t.Errorf("request %s %s, captured %s %s", r.Method, r.URL.EscapedPath(), c.method, c.path)
		}
		got, _ := io.ReadAll(r.Body)
		if checkBody && !jsonEqual(t, got, c.reqBody) {
			t.Errorf("request body %s, captured %s", got, c.reqBody)
		}
		for k, v := range c.header {
			if k != "Date" && k != "Content-Length" {
				w.Header()[k] = v
			}
		}
		w.WriteHeader(c.status)
		_, _ = w.Write(c.body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	if len(a) == 0 || len(b) == 0 {
		return len(a) == len(b)
	}
	var va, vb any
	if json.Unmarshal(a, &va) != nil || json.Unmarshal(b, &vb) != nil {
		return false
	}
	return reflect.DeepEqual(va, vb)
}

func wantErrIs(want error) func(*testing.T, error) {
	return func(t *testing.T, err error) {
		t.Helper()
		var apiErr *agonessdk.APIError
		if !errors.Is(err, want) || !errors.As(err, &apiErr) {
			t.Errorf("err = %v, want an *APIError that is %v", err, want)
		}
	}
}

func wantNoErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Errorf("err = %v", err)
	}
}

// TestClientDecodesCaptures plays each captured sidecar answer to the client:
// the client must send the captured request and read the answer right.
func TestClientDecodesCaptures(t *testing.T) {
	dir := wireDir(t)
	type golden struct {
		skipBodyCheck bool // the client never sends this capture's request body
		run           func(context.Context, *testing.T, *agonessdk.Client)
	}
	noErr := func(call func(context.Context, *agonessdk.Client) error) func(context.Context, *testing.T, *agonessdk.Client) {
		return func(ctx context.Context, t *testing.T, c *agonessdk.Client) { wantNoErr(t, call(ctx, c)) }
	}
	errIs := func(want error, call func(context.Context, *agonessdk.Client) error) func(context.Context, *testing.T, *agonessdk.Client) {
		return func(ctx context.Context, t *testing.T, c *agonessdk.Client) { wantErrIs(want)(t, call(ctx, c)) }
	}
	getList := func(capacity agonessdk.Int64, values ...string) func(context.Context, *testing.T, *agonessdk.Client) {
		return func(ctx context.Context, t *testing.T, c *agonessdk.Client) {
			l, err := c.GetList(ctx, "players")
			if err != nil {
				t.Fatal(err)
			}
			if l.Name != "players" || l.Capacity != capacity || !slices.Equal(l.Values, values) || l.Values == nil {
				t.Errorf("list = %+v, want players capacity %d values %q", *l, capacity, values)
			}
		}
	}
	getGameServer := func(state agoneswire.GameServerState, values []string, labels, annotations map[string]string) func(context.Context, *testing.T, *agonessdk.Client) {
		return func(ctx context.Context, t *testing.T, c *agonessdk.Client) {
			gs, err := c.GameServer(ctx)
			if err != nil {
				t.Fatal(err)
			}
			m := gs.ObjectMeta
			if m.Name != "standin-56jvc-bsm2q" || m.Namespace != "default" || m.UID != "6c521abb-f8f9-4242-8726-1cb39d0aa471" ||
				m.CreationTimestamp != 1795464051 || m.ResourceVersion == "" || m.Generation == 0 {
				t.Errorf("object_meta = %+v", m)
			}
			for k, v := range labels {
				if m.Labels[k] != v {
					t.Errorf("label %s = %q, want %q", k, m.Labels[k], v)
				}
			}
			for k, v := range annotations {
				if m.Annotations[k] != v {
					t.Errorf("annotation %s = %q, want %q", k, m.Annotations[k], v)
				}
			}
			if h := gs.Spec.Health; h != (agonessdk.Health{PeriodSeconds: 5, FailureThreshold: 3, InitialDelaySeconds: 5}) {
				t.Errorf("health = %+v", h)
			}
			s := gs.Status
			if s.State != state || s.Address != "127.0.0.1" || len(s.Addresses) != 3 || s.Addresses[0].Type != "InternalIP" {
				t.Errorf("status = %+v", s)
			}
			if p, ok := s.PortByName("default"); !ok || p != 7103 {
				t.Errorf("port default = %d, %v", p, ok)
			}
			if l := s.Lists["players"]; l.Capacity != 2 || !slices.Equal(l.Values, values) {
				t.Errorf("players = %+v, want %q", l, values)
			}
			if s.Players != nil || s.Counters == nil || len(s.Counters) != 0 {
				t.Errorf("players %v counters %v", s.Players, s.Counters)
			}
		}
	}
	cases := map[string]golden{
		"sdk-get-gameserver.http": {run: getGameServer(agoneswire.StateReady, []string{},
			map[string]string{"agones.dev/fleet": "standin"}, map[string]string{"agones.dev/sdk-version": "dev"})},
		"sdk-get-gameserver-allocated.http": {run: getGameServer(agoneswire.StateAllocated, []string{"p1"},
			map[string]string{"agones.dev/sdk-race_phase": "waiting"},
			map[string]string{"agones.dev/sdk-note": "hello", agoneswire.LastAllocatedAnnotation: "2026-11-23T20:01:07.247694368Z"})},
		"sdk-ready.http":       {run: noErr(func(ctx context.Context, c *agonessdk.Client) error { return c.Ready(ctx) })},
		"sdk-ready-again.http": {run: noErr(func(ctx context.Context, c *agonessdk.Client) error { return c.Ready(ctx) })},
		"sdk-allocate.http":    {run: noErr(func(ctx context.Context, c *agonessdk.Client) error { return c.Allocate(ctx) })},
		"sdk-health.http":      {run: noErr(func(ctx context.Context, c *agonessdk.Client) error { return c.Health(ctx) })},
		"sdk-health-empty-body.http": {skipBodyCheck: true, run: func(ctx context.Context, t *testing.T, c *agonessdk.Client) {
			var apiErr *agonessdk.APIError
			if err := c.Health(ctx); !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || apiErr.Unwrap() != nil {
				t.Errorf("err = %v, want a bare 400 *APIError", err)
			}
		}},
		"sdk-reserve.http": {run: noErr(func(ctx context.Context, c *agonessdk.Client) error { return c.Reserve(ctx, 0) })},
		"sdk-label.http": {run: noErr(func(ctx context.Context, c *agonessdk.Client) error {
			return c.SetLabel(ctx, "race_phase", "waiting")
		})},
		"sdk-annotation.http": {run: noErr(func(ctx context.Context, c *agonessdk.Client) error {
			return c.SetAnnotation(ctx, "note", "hello")
		})},
		"sdk-list-get.http":             {run: getList(2)},
		"sdk-list-get-after-patch.http": {run: getList(2, "p1")},
		"sdk-list-get-unknown.http": {run: func(ctx context.Context, t *testing.T, c *agonessdk.Client) {
			_, err := c.GetList(ctx, "nosuchlist")
			wantErrIs(agonessdk.ErrNotFound)(t, err)
		}},
		"sdk-counter-get-unknown.http": {run: func(ctx context.Context, t *testing.T, c *agonessdk.Client) {
			_, err := c.GetCounter(ctx, "rooms")
			wantErrIs(agonessdk.ErrNotFound)(t, err)
		}},
		"sdk-list-add.http":   {run: noErr(func(ctx context.Context, c *agonessdk.Client) error { return c.AddListValue(ctx, "players", "p1") })},
		"sdk-list-add-2.http": {run: noErr(func(ctx context.Context, c *agonessdk.Client) error { return c.AddListValue(ctx, "players", "p2") })},
		"sdk-list-add-duplicate.http": {run: errIs(agonessdk.ErrAlreadyExists, func(ctx context.Context, c *agonessdk.Client) error {
			return c.AddListValue(ctx, "players", "p1")
		})},
		"sdk-list-add-over-capacity.http": {run: errIs(agonessdk.ErrNoCapacity, func(ctx context.Context, c *agonessdk.Client) error {
			return c.AddListValue(ctx, "players", "p3")
		})},
		"sdk-list-remove.http": {run: noErr(func(ctx context.Context, c *agonessdk.Client) error {
			return c.RemoveListValue(ctx, "players", "p2")
		})},
		"sdk-list-remove-missing.http": {run: errIs(agonessdk.ErrNotFound, func(ctx context.Context, c *agonessdk.Client) error {
			return c.RemoveListValue(ctx, "players", "nobody")
		})},
		"sdk-list-patch-capacity.http": {run: func(ctx context.Context, t *testing.T, c *agonessdk.Client) {
			err := c.SetListCapacity(ctx, "players", 3)
			var apiErr *agonessdk.APIError
			if !errors.As(err, &apiErr) || *apiErr != (agonessdk.APIError{StatusCode: 500, Code: 2, Message: "no gameservers for fleet"}) {
				t.Errorf("err = %v, want the sidecar's 500", err)
			}
			if apiErr != nil && apiErr.Unwrap() != nil {
				t.Errorf("mapped to %v, want no sentinel", apiErr.Unwrap())
			}
		}},
	}
	files, err := filepath.Glob(filepath.Join(dir, "sdk-*.http"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no sdk-*.http captures in %s: %v", dir, err)
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			g, ok := cases[name]
			if !ok {
				t.Fatalf("capture %s has no test case: add one", name)
			}
			c := loadCapture(t, f)
			srv := serveCapture(t, c, !g.skipBodyCheck)
			g.run(t.Context(), t, newClient(t, srv.URL))
		})
	}
}

// TestClientDecodesCapturedWatch plays the captured watch stream to the client.
func TestClientDecodesCapturedWatch(t *testing.T) {
	stream, err := os.ReadFile(filepath.Join(wireDir(t), "sdk-watch-stream.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != "/watch/gameserver" {
			t.Errorf("request %s %s", r.Method, r.URL.Path)
		}
		w.Header().Set("Content-Type", "application/json")
		for line := range bytes.Lines(stream) {
			_, _ = w.Write(line)
			w.(http.Flusher).Flush()
		}
	}))
	t.Cleanup(srv.Close)
	c := newClient(t, srv.URL)

	want := []string{"Ready", "Allocated", "Allocated", "Allocated", "Allocated", "Reserved", "RequestReady", "Ready"}
	var got []*agonessdk.GameServer
	ctx, cancel := context.WithCancel(t.Context())
	err = c.WatchGameServer(ctx, func(gs *agonessdk.GameServer) {
		got = append(got, gs)
		if len(got) == len(want) {
			cancel() // the stream would be replayed on reconnection
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("WatchGameServer = %v", err)
	}
	var states []string
	for _, gs := range got {
		states = append(states, string(gs.Status.State))
	}
	if !slices.Equal(states, want) {
		t.Errorf("states = %q, want %q", states, want)
	}
	last := got[len(got)-1]
	if last.ObjectMeta.ResourceVersion != "350" || !last.Status.Lists["players"].Contains("p1") ||
		last.ObjectMeta.Labels["agones.dev/sdk-race_phase"] != "waiting" {
		t.Errorf("last = %+v", last)
	}
	if got[0].Status.Lists["players"].Values == nil {
		t.Error("an empty list decoded as nil")
	}
}

// TestSidecarMatchesCaptures replays the captured requests, in the order
// they were made, against the fake sidecar: same status codes, same content
// type, same JSON keys, same error messages.
func TestSidecarMatchesCaptures(t *testing.T) {
	dir := wireDir(t)
	srv, mem := sdktest.Start(t, agonessdk.MemoryConfig{
		Name:    "standin-56jvc-bsm2q",
		Address: "127.0.0.1",
		Ports:   []agonessdk.Port{{Name: "default", Port: 7103}},
		Lists:   map[string]agonessdk.List{agoneswire.PlayersList: {Capacity: 2}},
		Labels:  map[string]string{"agones.dev/fleet": "standin"},
	})
	if err := mem.Ready(t.Context()); err != nil {
		t.Fatal(err)
	}
	// The order of the README; the watch stream runs alongside.
	watch := startRawWatch(t, srv.URL)
	type step struct {
		file string
		// divergence, when set, says why the fake answers differently, and
		// like: the capture whose status and shape it answers with instead.
		divergence, like string
		// watch: the state the watch stream must show before the next step.
		watch agoneswire.GameServerState
	}
	steps := []step{
		{file: "sdk-get-gameserver.http", watch: "Ready"},
		{file: "sdk-ready.http"},
		{file: "sdk-health.http"},
		{file: "sdk-health-empty-body.http"},
		{file: "sdk-label.http"},
		{file: "sdk-annotation.http"},
		{file: "sdk-list-get.http"},
		{file: "sdk-list-add.http"},
		{file: "sdk-list-add-duplicate.http"},
		{file: "sdk-list-add-2.http"},
		{file: "sdk-list-add-over-capacity.http"},
		{file: "sdk-list-remove.http"},
		{file: "sdk-list-remove-missing.http"},
		{file: "sdk-list-patch-capacity.http", like: "sdk-list-get.http",
			divergence: "the v1.60 sidecar fails this in namespace default (it looks for a fleet named fleet-example); the fake applies it as the local sidecar does"},
		{file: "sdk-list-get-after-patch.http"},
		{file: "sdk-list-get-unknown.http"},
		{file: "sdk-counter-get-unknown.http"},
		{file: "sdk-allocate.http", watch: "Allocated"},
		{file: "sdk-get-gameserver-allocated.http"},
		{file: "sdk-reserve.http", watch: "Reserved"},
		{file: "sdk-ready-again.http", watch: "Ready"},
	}
	// The watch stream: one {"result": GameServer} per line, of the same
	// shape as the captured stream's lines.
	capturedStream, err := os.ReadFile(filepath.Join(dir, "sdk-watch-stream.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	firstCaptured, _, _ := bytes.Cut(capturedStream, []byte("\n"))
	waitWatch := func(file string, state agoneswire.GameServerState) {
		t.Helper()
		for line := range watch {
			compareShape(t, "watch line", line, firstCaptured)
			var msg struct{ Result agonessdk.GameServer }
			if err := json.Unmarshal(line, &msg); err != nil {
				t.Fatal(err)
			}
			if msg.Result.Status.State == state {
				return
			}
		}
		t.Fatalf("after %s: watch stream ended before state %s", file, state)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "sdk-*.http"))
	for _, f := range files {
		if !slices.ContainsFunc(steps, func(s step) bool { return s.file == filepath.Base(f) }) {
			t.Errorf("capture %s is not replayed: add it to the steps", filepath.Base(f))
		}
	}
	for _, s := range steps {
		replayCapture(t, srv.URL, dir, s.file, s.like, s.divergence)
		if s.watch != "" {
			waitWatch(s.file, s.watch)
		}
	}
}

// replayCapture sends a captured request to the fake sidecar at base and
// compares the answer with the capture, or with the capture like when the
// fake knowingly diverges.
func replayCapture(t *testing.T, base, dir, file, like, divergence string) {
	t.Helper()
	c := loadCapture(t, filepath.Join(dir, file))
	var body io.Reader = http.NoBody
	if c.reqBody != nil {
		body = bytes.NewReader(c.reqBody)
	}
	req, err := http.NewRequestWithContext(t.Context(), c.method, base+c.path, body)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	want := c
	if like != "" {
		t.Logf("%s: known divergence: %s", file, divergence)
		want = loadCapture(t, filepath.Join(dir, like))
	}
	if resp.StatusCode != want.status {
		t.Errorf("%s: status %d, captured %d (%s)", file, resp.StatusCode, want.status, got)
		return
	}
	if g, w := resp.Header.Get("Content-Type"), want.header.Get("Content-Type"); g != w {
		t.Errorf("%s: content type %q, captured %q", file, g, w)
	}
	if len(want.body) == 0 {
		if len(got) != 0 {
			t.Errorf("%s: body %q, captured none", file, got)
		}
		return
	}
	compareShape(t, file, got, want.body)
	if want.status != http.StatusOK {
		var g, w struct{ Message string }
		_ = json.Unmarshal(got, &g)
		_ = json.Unmarshal(want.body, &w)
		if g.Message != w.Message {
			t.Errorf("%s: message %q, captured %q", file, g.Message, w.Message)
		}
	}
}

// startRawWatch reads GET /watch/gameserver line by line.
func startRawWatch(t *testing.T, base string) <-chan []byte {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, base+"/watch/gameserver", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("watch: %s %q", resp.Status, resp.Header.Get("Content-Type"))
	}
	lines := make(chan []byte, 256)
	go func() {
		defer close(lines)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			lines <- bytes.Clone(sc.Bytes())
		}
	}()
	return lines
}

// compareShape reports JSON key paths that one body has and the other lacks.
func compareShape(t *testing.T, name string, got, want []byte) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Errorf("%s: body %q: %v", name, got, err)
		return
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatalf("%s: captured body: %v", name, err)
	}
	gp, wp := map[string]bool{}, map[string]bool{}
	keyPaths(g, "", gp)
	keyPaths(w, "", wp)
	for p := range wp {
		if !gp[p] {
			t.Errorf("%s: missing %s (got %s)", name, p, got)
		}
	}
	for p := range gp {
		if !wp[p] {
			t.Errorf("%s: extra %s", name, p)
		}
	}
}

// keyPaths collects the paths of object keys in v. The keys of labels and
// annotations are data, not shape; those of lists and counters are written *.
func keyPaths(v any, prefix string, out map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			p := prefix + "." + k
			out[p] = true
			switch k {
			case "labels", "annotations":
			case "lists", "counters":
				if m, ok := e.(map[string]any); ok {
					for _, item := range m {
						keyPaths(item, p+".*", out)
					}
				}
			default:
				keyPaths(e, p, out)
			}
		}
	case []any:
		for _, e := range x {
			keyPaths(e, prefix+"[]", out)
		}
	}
}
