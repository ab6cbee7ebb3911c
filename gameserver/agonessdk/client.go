package agonessdk

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// DefaultHTTPPort is the sidecar's REST port when AGONES_SDK_HTTP_PORT is unset.
const DefaultHTTPPort = 9358

// maxLineBytes bounds one line of the watch stream (one GameServer).
const maxLineBytes = 4 << 20

// maxErrorBytes bounds how much of an error body is read.
const maxErrorBytes = 64 << 10

// Client talks to the Agones SDK sidecar over its REST API. Every call
// retries, with capped exponential backoff until its context is done, while
// the sidecar cannot be reached (it may start after the game server) or
// answers 503; an attempt that gets no answer within the call timeout is
// retried too when sending it again cannot apply it twice. Other failures
// are returned at once.
type Client struct {
	base        string
	hc          *http.Client
	backoff     Backoff
	log         *slog.Logger
	callTimeout time.Duration
	// watchEvery: report at most one GameServer of the watch per interval.
	watchEvery time.Duration
	// A call still retrying after warnAfter is logged as a warning, then
	// every warnEvery while it waits, timed by clock.
	warnAfter, warnEvery time.Duration
	clock                Clock
}

// Defaults of WithWaitWarning: a game server started outside Agones (no
// sidecar) says so well within 5 s, then twice a minute while it waits.
const (
	DefaultWarnAfter = 2 * time.Second
	DefaultWarnEvery = 30 * time.Second
)

// DefaultCallTimeout bounds one attempt of a call (not the watch stream):
// the sidecar is on localhost and answers in milliseconds when it is well.
const DefaultCallTimeout = 5 * time.Second

var _ SDK = (*Client)(nil)

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sets the HTTP client. It must not set a Timeout, which would
// cut the watch stream: calls are bounded by their contexts.
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.hc = hc } }

// WithBackoff sets the backoff between retries and watch reconnections.
func WithBackoff(b Backoff) Option { return func(c *Client) { c.backoff = b } }

// WithCallTimeout bounds each attempt of a call (not the watch stream); it
// must be positive.
func WithCallTimeout(d time.Duration) Option { return func(c *Client) { c.callTimeout = d } }

// WithWatchInterval makes WatchGameServer decode and report at most one
// GameServer per d, the latest: changes in between are coalesced, as the
// sidecar's own batching may do. It is for a large GameServer that changes
// often (a matches list of thousands of values costs milliseconds to decode,
// and changes with every match); 0, the default, reports every change.
func WithWatchInterval(d time.Duration) Option { return func(c *Client) { c.watchEvery = d } }

// WithLogger sets the logger for retries and reconnections (debug level)
// and for calls that keep waiting for the sidecar (warning level).
func WithLogger(l *slog.Logger) Option { return func(c *Client) { c.log = l } }

// WithWaitWarning sets when a call that cannot reach the sidecar is logged
// as a warning: once it has retried for after, then every every.
func WithWaitWarning(after, every time.Duration) Option {
	return func(c *Client) { c.warnAfter, c.warnEvery = after, every }
}

// WithClock sets the clock that times the wait warnings.
func WithClock(clk Clock) Option { return func(c *Client) { c.clock = clk } }

// NewClient returns a Client for the sidecar at baseURL, such as
// "http://localhost:9358".
func NewClient(baseURL string, opts ...Option) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, fmt.Errorf("agones sdk url %q: %w", baseURL, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("agones sdk url %q: want http://host:port", baseURL)
	}
	c := &Client{
		base:        strings.TrimRight(u.String(), "/"),
		hc:          &http.Client{Transport: defaultTransport()},
		backoff:     DefaultBackoff,
		log:         slog.New(slog.DiscardHandler),
		callTimeout: DefaultCallTimeout,
		warnAfter:   DefaultWarnAfter,
		warnEvery:   DefaultWarnEvery,
		clock:       SystemClock{},
	}
	for _, o := range opts {
		o(c)
	}
	if c.callTimeout <= 0 {
		return nil, fmt.Errorf("agones sdk call timeout %v must be positive", c.callTimeout)
	}
	if c.watchEvery < 0 {
		return nil, fmt.Errorf("agones sdk watch interval %v must not be negative", c.watchEvery)
	}
	if c.warnAfter < 0 || c.warnEvery <= 0 || c.clock == nil {
		return nil, fmt.Errorf("agones sdk wait warning after %v and every %v: want after >= 0, every > 0 and a clock", c.warnAfter, c.warnEvery)
	}
	return c, nil
}

// defaultTransport bounds connecting and waiting for response headers, so
// that even the watch stream cannot hang on a sidecar that accepts and says
// nothing; the stream's body itself is unbounded.
func defaultTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: 2 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	t.ResponseHeaderTimeout = DefaultCallTimeout
	t.Proxy = nil // the sidecar is on localhost
	return t
}

// NewClientFromEnv returns a Client for the sidecar on localhost at the port
// in AGONES_SDK_HTTP_PORT, or DefaultHTTPPort.
func NewClientFromEnv(opts ...Option) (*Client, error) {
	port := DefaultHTTPPort
	if s := os.Getenv("AGONES_SDK_HTTP_PORT"); s != "" {
		p, err := strconv.Atoi(s)
		if err != nil || p <= 0 || p > 65535 {
			return nil, fmt.Errorf("AGONES_SDK_HTTP_PORT %q: not a port number", s)
		}
		port = p
	}
	return NewClient("http://"+net.JoinHostPort("localhost", strconv.Itoa(port)), opts...)
}

// Ready tells Agones the game server can take players.
func (c *Client) Ready(ctx context.Context) error {
	return c.do(ctx, http.MethodPost, "/ready", struct{}{}, nil)
}

// Health sends one health ping.
func (c *Client) Health(ctx context.Context) error {
	return c.do(ctx, http.MethodPost, "/health", struct{}{}, nil)
}

// Allocate marks the game server Allocated.
func (c *Client) Allocate(ctx context.Context) error {
	return c.do(ctx, http.MethodPost, "/allocate", struct{}{}, nil)
}

// Shutdown asks Agones to shut the game server down.
func (c *Client) Shutdown(ctx context.Context) error {
	return c.do(ctx, http.MethodPost, "/shutdown", struct{}{}, nil)
}

// Reserve marks the game server Reserved for d, rounded up to whole seconds;
// Agones moves it back to Ready afterwards. d == 0 reserves it until
// something else changes its state.
func (c *Client) Reserve(ctx context.Context, d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("reserve for %v: %w", d, ErrInvalidArgument)
	}
	secs := (d + time.Second - 1) / time.Second
	body := struct {
		Seconds Int64 `json:"seconds"`
	}{Int64(secs)}
	return c.do(ctx, http.MethodPost, "/reserve", body, nil)
}

// GameServer returns the GameServer as the sidecar knows it.
func (c *Client) GameServer(ctx context.Context) (*GameServer, error) {
	var gs GameServer
	if err := c.do(ctx, http.MethodGet, "/gameserver", nil, &gs); err != nil {
		return nil, err
	}
	return &gs, nil
}

type keyValue struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// SetLabel sets the label agones.dev/sdk-<key> on the GameServer.
func (c *Client) SetLabel(ctx context.Context, key, value string) error {
	return c.do(ctx, http.MethodPut, "/metadata/label", keyValue{key, value}, nil)
}

// SetAnnotation sets the annotation agones.dev/sdk-<key> on the GameServer.
func (c *Client) SetAnnotation(ctx context.Context, key, value string) error {
	return c.do(ctx, http.MethodPut, "/metadata/annotation", keyValue{key, value}, nil)
}

// GetList returns the named list.
func (c *Client) GetList(ctx context.Context, name string) (*List, error) {
	var l List
	if err := c.do(ctx, http.MethodGet, "/v1beta1/lists/"+url.PathEscape(name), nil, &l); err != nil {
		return nil, err
	}
	return &l, nil
}

type listValue struct {
	Value string `json:"value"`
}

// AddListValue adds value to the named list. The sidecar's answer (the list,
// sometimes as it was before the change) is ignored: read the list back.
func (c *Client) AddListValue(ctx context.Context, name, value string) error {
	return c.do(ctx, http.MethodPost, "/v1beta1/lists/"+url.PathEscape(name)+":addValue", listValue{value}, nil)
}

// RemoveListValue removes value from the named list; the answer is ignored
// as for AddListValue.
func (c *Client) RemoveListValue(ctx context.Context, name, value string) error {
	return c.do(ctx, http.MethodPost, "/v1beta1/lists/"+url.PathEscape(name)+":removeValue", listValue{value}, nil)
}

// SetListCapacity sets the capacity of the named list. Do not build on it:
// the v1.60 sidecar caps the capacity at the players list capacity of its
// Fleet's GameServers (answering "out of range ... [0,1000]" above it), and
// in namespace default it looks for a fleet named fleet-example and fails
// ("no gameservers for fleet").
func (c *Client) SetListCapacity(ctx context.Context, name string, capacity int64) error {
	body := struct {
		Capacity Int64 `json:"capacity"`
	}{Int64(capacity)}
	return c.do(ctx, http.MethodPatch, "/v1beta1/lists/"+url.PathEscape(name), body, nil)
}

// GetCounter returns the named counter.
func (c *Client) GetCounter(ctx context.Context, name string) (*Counter, error) {
	var n Counter
	if err := c.do(ctx, http.MethodGet, "/v1beta1/counters/"+url.PathEscape(name), nil, &n); err != nil {
		return nil, err
	}
	return &n, nil
}

// SetCounterCount sets the count of the named counter.
func (c *Client) SetCounterCount(ctx context.Context, name string, count int64) error {
	body := struct {
		Count Int64 `json:"count"`
	}{Int64(count)}
	return c.do(ctx, http.MethodPatch, "/v1beta1/counters/"+url.PathEscape(name), body, nil)
}

// SetCounterCapacity sets the capacity of the named counter.
func (c *Client) SetCounterCapacity(ctx context.Context, name string, capacity int64) error {
	body := struct {
		Capacity Int64 `json:"capacity"`
	}{Int64(capacity)}
	return c.do(ctx, http.MethodPatch, "/v1beta1/counters/"+url.PathEscape(name), body, nil)
}

// IncrementCounter adds diff (which may be negative) to the named counter.
func (c *Client) IncrementCounter(ctx context.Context, name string, diff int64) error {
	body := struct {
		CountDiff Int64 `json:"countDiff"`
	}{Int64(diff)}
	return c.do(ctx, http.MethodPatch, "/v1beta1/counters/"+url.PathEscape(name), body, nil)
}

// WatchGameServer calls fn with the current GameServer and then with every
// change the sidecar reports, until ctx is done; it returns ctx.Err(). When
// the stream ends or fails it reconnects with backoff, and fn sees the
// current state again. fn runs on the caller's goroutine, one call at a time.
func (c *Client) WatchGameServer(ctx context.Context, fn func(*GameServer)) error {
	b := c.backoff.start()
	for {
		got, err := c.watchOnce(ctx, fn)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if got {
			b.reset()
		}
		c.log.DebugContext(ctx, "agones sdk watch ended, reconnecting", "error", err)
		if err := b.wait(ctx); err != nil {
			return err
		}
	}
}

// watchOnce reads one watch stream to its end; got tells whether fn was called.
func (c *Client) watchOnce(ctx context.Context, fn func(*GameServer)) (got bool, err error) {
	resp, done, err := c.send(ctx, http.MethodGet, "/watch/gameserver", nil, 0)
	if err != nil {
		return false, err
	}
	defer done()
	if resp.StatusCode != http.StatusOK {
		return false, readAPIError(resp)
	}
	r := bufio.NewReaderSize(resp.Body, 64<<10)
	report := func(line []byte) error {
		gs, err := decodeWatchLine(line, resp.StatusCode)
		if err == nil && gs != nil {
			got = true
			fn(gs)
		}
		return err
	}
	if c.watchEvery > 0 {
		return got, c.coalesce(ctx, r, report)
	}
	var line []byte // reused: a GameServer with a long list is tens of kilobytes a line
	for {
		line, err = readLine(r, line[:0])
		if len(bytes.TrimSpace(line)) > 0 {
			if derr := report(line); derr != nil {
				return got, derr
			}
		}
		if err != nil {
			return got, streamError(err)
		}
	}
}

// coalesce reads the stream on its own goroutine, keeping only the latest
// line, and reports at most one line per watch interval.
func (c *Client) coalesce(ctx context.Context, r *bufio.Reader, report func([]byte) error) error {
	latest := make(chan []byte, 1) // the one producer replaces what is not taken yet
	ended := make(chan error, 1)
	// Line buffers go back and forth instead of a new one per line: every
	// change of a long list is a long line, and most are skipped.
	free := make(chan []byte, 2)
	recycle := func(b []byte) {
		select {
		case free <- b[:0]:
		default:
		}
	}
	go func() {
		for {
			var buf []byte
			select {
			case buf = <-free:
			default:
			}
			line, err := readLine(r, buf)
			if len(bytes.TrimSpace(line)) > 0 {
				select {
				case old := <-latest:
					recycle(old)
				default:
				}
				latest <- line
			} else {
				recycle(line)
			}
			if err != nil {
				ended <- streamError(err)
				return
			}
		}
	}()
	var last time.Time
	for {
		select {
		case line := <-latest:
			if wait := c.watchEvery - time.Since(last); wait > 0 {
				t := time.NewTimer(wait)
				select {
				case <-t.C:
				case <-ctx.Done():
					t.Stop()
					return ctx.Err()
				}
				select { // a newer line came meanwhile
				case newer := <-latest:
					recycle(line)
					line = newer
				default:
				}
			}
			last = time.Now()
			if err := report(line); err != nil {
				return err
			}
			recycle(line)
		case err := <-ended:
			select { // the last line before the end still counts
			case line := <-latest:
				if rerr := report(line); rerr != nil {
					return rerr
				}
			default:
			}
			return err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// decodeWatchLine decodes one line of the watch stream: a GameServer, nil
// for a line with neither result nor error, or the error the stream sent.
func decodeWatchLine(line []byte, status int) (*GameServer, error) {
	var msg struct {
		Result *GameServer `json:"result"`
		Error  *struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(line, &msg); err != nil {
		return nil, fmt.Errorf("watch gameserver: decode: %w", err)
	}
	if msg.Error != nil {
		return nil, &APIError{StatusCode: status, Code: msg.Error.Code, Message: msg.Error.Message}
	}
	return msg.Result, nil
}

// streamError is what a read error of the watch stream means.
func streamError(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return fmt.Errorf("watch gameserver: %w", err)
}

// readLine reads up to and without '\n' into line (appending), refusing
// lines over maxLineBytes.
func readLine(r *bufio.Reader, line []byte) ([]byte, error) {
	for {
		chunk, err := r.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > maxLineBytes {
			return nil, fmt.Errorf("line longer than %d bytes", maxLineBytes)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		return bytes.TrimSuffix(line, []byte("\n")), err
	}
}

// do sends one request and decodes a 200 answer into out (if not nil).
func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return fmt.Errorf("%s %s: encode: %w", method, path, err)
		}
	}
	resp, done, err := c.send(ctx, method, path, body, c.callTimeout)
	if err != nil {
		return err
	}
	defer done()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: %w", method, path, readAPIError(resp))
	}
	if out == nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBytes))
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("%s %s: decode: %w", method, path, err)
	}
	return nil
}

// send performs a request, retrying while the sidecar is unreachable or
// unavailable. A 503 answer is retried too: the sidecar's REST gateway
// answers it while its gRPC server is not up yet. Each attempt is bounded by
// timeout (0: only by ctx), and one that timed out is retried when it is safe
// to send twice. done closes the answer's body and ends its attempt.
func (c *Client) send(ctx context.Context, method, path string, body []byte, timeout time.Duration) (resp *http.Response, done func(), err error) {
	b := c.backoff.start()
	var wait waitReport
	for attempt := 1; ; attempt++ {
		actx, cancel := ctx, context.CancelFunc(func() {})
		if timeout > 0 {
			actx, cancel = context.WithTimeout(ctx, timeout)
		}
		req, err := http.NewRequestWithContext(actx, method, c.base+path, bytes.NewReader(body))
		if err != nil {
			cancel()
			return nil, nil, fmt.Errorf("%s %s: %w", method, path, err)
		}
		if body == nil {
			req.Body, req.GetBody, req.ContentLength = nil, nil, 0
		} else {
			req.Header.Set("Content-Type", "application/json")
		}
		req.Header.Set("Accept", "application/json")
		resp, err := c.hc.Do(req)
		var retry error
		switch {
		case err != nil && ctx.Err() != nil:
			cancel()
			// The caller gave up, maybe while a failing dial was returning:
			// report that, so errors.Is(err, context.Canceled) holds.
			return nil, nil, fmt.Errorf("%s %s: %w (last error: %v)", method, path, ctx.Err(), err)
		case err != nil && isConnectError(err):
			retry = err
		case err != nil && actx.Err() != nil && idempotent(method, path):
			retry = fmt.Errorf("no answer within %v: %w", timeout, err)
		case err != nil:
			cancel()
			return nil, nil, fmt.Errorf("%s %s: %w", method, path, err)
		case resp.StatusCode == http.StatusServiceUnavailable:
			retry = readAPIError(resp)
			resp.Body.Close()
		default:
			return resp, func() { resp.Body.Close(); cancel() }, nil
		}
		cancel()
		c.log.DebugContext(ctx, "agones sdk sidecar not reachable, retrying", "method", method, "path", path,
			"attempt", attempt, "error", retry)
		c.warnWaiting(ctx, &wait, method, path, retry)
		if werr := b.wait(ctx); werr != nil {
			return nil, nil, fmt.Errorf("%s %s: %w (last error: %v)", method, path, werr, retry)
		}
	}
}

// waitReport times the warnings of one call that keeps retrying.
type waitReport struct{ since, next time.Time }

// warnWaiting says, at warning level, that a call keeps waiting for the
// sidecar: silent retries are right while the sidecar starts, but a process
// started without one (not under Agones) would otherwise wait in silence.
func (c *Client) warnWaiting(ctx context.Context, w *waitReport, method, path string, err error) {
	now := c.clock.Now()
	if w.since.IsZero() {
		w.since, w.next = now, now.Add(c.warnAfter)
	}
	if now.Before(w.next) {
		return
	}
	w.next = now.Add(c.warnEvery)
	c.log.WarnContext(ctx, "the Agones SDK sidecar does not answer; still waiting for it. "+
		"A game server runs as an Agones GameServer, with the SDK sidecar beside it; "+
		"to play on one machine without Kubernetes, run the allocator's local backend instead: "+
		"make run (SCRIPT=<script folder> for a Realtime script), or allocator --backend=local --game=script --script-dir=<folder>",
		"sdk_url", c.base, "call", method+" "+path, "waiting", now.Sub(w.since).Round(time.Millisecond).String(), "last_error", err)
}

// idempotent reports whether sending a request twice does what sending it
// once does, so that an attempt without an answer may be sent again: every
// call but adding a list value and adding to a counter (removing a value
// twice only answers "not found", which callers expect).
func idempotent(method, path string) bool {
	switch {
	case method == http.MethodGet, method == http.MethodPut:
		return true
	case method == http.MethodPost:
		return !strings.HasSuffix(path, ":addValue")
	default: // PATCH: a countDiff is not; the rest are rarely used
		return false
	}
}

// isConnectError reports whether err happened before the request was sent,
// so that sending it again cannot apply it twice.
func isConnectError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// readAPIError turns a non-200 answer into an *APIError.
func readAPIError(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBytes))
	e := &APIError{StatusCode: resp.StatusCode}
	var body struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	if json.Unmarshal(b, &body) == nil && (body.Code != 0 || body.Message != "") {
		e.Code, e.Message = body.Code, body.Message
	} else {
		e.Message = strings.TrimSpace(string(b))
	}
	return e
}
