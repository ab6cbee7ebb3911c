package browser

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// waitTimeout bounds every wait for the page or a process: generous, as the machine may be slow and
// busy. Nothing asserts on how long things take.
const waitTimeout = 60 * time.Second

// browser is one headless Chromium with a fresh profile, for one test.
type browser struct {
	ctx context.Context // the first context: the browser lives as long as it
}

// newBrowser starts Chromium, or skips the test if it is not installed. Chromium runs in a process
// group of its own, killed when the test ends (after a graceful close), before its profile is removed.
// extra adds Chromium flags for one test.
func newBrowser(t *testing.T, extra ...chromedp.ExecAllocatorOption) *browser {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("skipping: no Chromium at %s (hack/install-test-deps.sh installs Debian's chromium): %v", chromiumPath, err)
	}
	profile := t.TempDir()
	// chromedp's defaults bring headless, no-first-run, disable-background-networking, disable-sync and
	// the flags that keep a page in a window nobody looks at from being throttled.
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 720),
	)
	opts = append(opts, extra...)
	opts = append(opts,
		chromedp.ModifyCmdFunc(func(cmd *exec.Cmd) {
			// Replaces chromedp's own setting (Pdeathsig only): a group lets the cleanup kill
			// Chromium's helpers too.
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
		}),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	var pid int
	t.Cleanup(func() { killGroup(t, pid) })
	t.Cleanup(cancelAlloc) // waits for the browser process to be reaped
	t.Cleanup(cancel)      // closes the browser
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	pid = chromedp.FromContext(ctx).Browser.Process().Pid
	return &browser{ctx: ctx}
}

// killGroup kills what is left of Chromium's process group and waits, briefly, for it to be gone.
func killGroup(t *testing.T, pgid int) {
	if pgid <= 0 {
		return
	}
	if err := syscall.Kill(-pgid, syscall.SIGKILL); errors.Is(err, syscall.ESRCH) {
		return
	}
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if err := syscall.Kill(-pgid, 0); errors.Is(err, syscall.ESRCH) {
			return
		}
	}
	t.Logf("Chromium's process group %d still has members 5 s after SIGKILL", pgid)
}

// tab is one page of the browser: a target of its own, in a window of its own (so that it always gets
// animation frames), with its own sessionStorage. It records the console and uncaught exceptions
// from the start, and the test fails at its end on any error among them that was not allowed.
type tab struct {
	t    *testing.T
	name string
	ctx  context.Context

	mu       sync.Mutex
	messages []consoleMessage
	allowed  []allowance
}

type consoleMessage struct {
	level string // "error" for what fails the test
	text  string
}

// allowance is an error message a test expects, and why it cannot be avoided.
type allowance struct {
	pattern *regexp.Regexp
	why     string
}

func (b *browser) newTab(t *testing.T, name string) *tab {
	t.Helper()
	tb := &tab{t: t, name: name}
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithListener(tb.listen))
	tb.ctx = ctx
	t.Cleanup(cancel)
	t.Cleanup(tb.checkConsole)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("%s: open a tab: %v", name, err)
	}
	return tb
}

// allow lets error messages matching pattern pass, for a reason the test states.
func (tb *tab) allow(pattern, why string) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	tb.allowed = append(tb.allowed, allowance{regexp.MustCompile(pattern), why})
}

// listen runs in the tab's event loop, in order with the replies to commands: once a command has
// returned, every message the page logged before it is recorded.
func (tb *tab) listen(ev any) {
	var m consoleMessage
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		m.level = string(ev.Type)
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			m.level = "error"
		}
		m.text = "console." + string(ev.Type) + ": " + argsText(ev.Args)
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		m.level, m.text = "error", "uncaught exception: "+d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			m.text += " " + d.Exception.Description
		}
		if d.URL != "" {
			m.text += fmt.Sprintf(" (%s:%d:%d)", d.URL, d.LineNumber+1, d.ColumnNumber+1)
		}
	case *cdplog.EventEntryAdded:
		e := ev.Entry
		m.level, m.text = string(e.Level), fmt.Sprintf("browser log (%s): %s", e.Source, e.Text)
		if e.URL != "" {
			m.text += " (" + e.URL + ")"
		}
	default:
		return
	}
	tb.mu.Lock()
	defer tb.mu.Unlock()
	tb.messages = append(tb.messages, m)
}

func argsText(args []*runtime.RemoteObject) string {
	parts := make([]string, 0, len(args))
	for _, a := range args {
		var s string
		switch {
		case a.Type == runtime.RemoteObjectTypeString && json.Unmarshal(a.Value, &s) == nil:
		case a.Description != "":
			s = a.Description
		default:
			s = string(a.Value)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

// checkConsole fails the test on each error message that no allowance covers, and logs the rest.
func (tb *tab) checkConsole() {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	for _, m := range tb.messages {
		if m.level != "error" {
			tb.t.Logf("%s: %s", tb.name, m.text)
			continue
		}
		i := slices.IndexFunc(tb.allowed, func(a allowance) bool { return a.pattern.MatchString(m.text) })
		if i < 0 {
			tb.t.Errorf("%s: %s", tb.name, m.text)
			continue
		}
		tb.t.Logf("%s: allowed, %s: %s", tb.name, tb.allowed[i].why, m.text)
	}
}

// do runs steps, failing the test if they do not finish within waitTimeout.
func (tb *tab) do(steps ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, waitTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		tb.t.Fatalf("%s: %v", tb.name, err)
	}
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](tb *tab, expr string) T {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, waitTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		tb.t.Fatalf("%s: evaluate %s: %v", tb.name, expr, err)
	}
	return v
}

// text is the text of the element with the given id.
func (tb *tab) text(id string) string {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, waitTimeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.ID(id)))
	if err != nil {
		tb.t.Fatalf("%s: text of #%s: %v", tb.name, id, err)
	}
	return s
}

// raceState is what window.leapfrog.state() returns (web/src/main.ts, TestState).
type raceState struct {
	Screen        string      `json:"screen"`
	Mode          string      `json:"mode"`
	Phase         string      `json:"phase"`
	Lanes         []laneState `json:"lanes"`
	MyLanes       []int       `json:"myLanes"`
	Winner        *int        `json:"winner"`
	Reason        string      `json:"reason"`
	FinishTimesMs []float64   `json:"finishTimesMs"`
	Ending        string      `json:"ending"`
	Status        string      `json:"status"`
	GameServer    string      `json:"gameServer"`
	Connections   int         `json:"connections"`
	Reconnecting  bool        `json:"reconnecting"`
	Retrying      bool        `json:"retrying"`
	ClockOffsetMs float64     `json:"clockOffsetMs"`
	RTTMs         *float64    `json:"rttMs"`
}

type laneState struct {
	Lane      int     `json:"lane"`
	Position  float64 `json:"position"`
	Hopping   bool    `json:"hopping"`
	Hops      int     `json:"hops"`
	Penalties int     `json:"penalties"`
	PenaltyMs float64 `json:"penaltyMs"`
	Connected bool    `json:"connected"`
	Finished  bool    `json:"finished"`
	Mine      bool    `json:"mine"`
	Status    string  `json:"status"`
}

func (s raceState) String() string {
	b, _ := json.Marshal(s)
	return string(b)
}

func (tb *tab) state() raceState {
	tb.t.Helper()
	return eval[raceState](tb, "window.leapfrog.state()")
}

// waitState polls the page's state until ok holds, and returns that state.
func (tb *tab) waitState(what string, ok func(raceState) bool) raceState {
	tb.t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		st := tb.state()
		if ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			tb.t.Fatalf("%s: no %s within %v; state %v", tb.name, what, waitTimeout, st)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// open loads the page and waits until it can be played: the Online button shown and the test hook
// installed (both happen in the same boot step). It logs how long that took.
func (tb *tab) open(url string) {
	tb.t.Helper()
	start := time.Now()
	tb.do(chromedp.Navigate(url), chromedp.WaitEnabled(chromedp.ID("online"), chromedp.NodeVisible))
	ctx, cancel := context.WithTimeout(tb.ctx, waitTimeout)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`typeof window.leapfrog?.state === "function"`)); err != nil {
		tb.t.Fatalf("%s: the test hook window.leapfrog never appeared: %v", tb.name, err)
	}
	wall := time.Since(start)
	nav := eval[struct {
		ResponseEnd      float64 `json:"responseEnd"`
		DOMInteractive   float64 `json:"domInteractive"`
		DOMContentLoaded float64 `json:"domContentLoaded"`
		Load             float64 `json:"load"`
		FirstPaint       float64 `json:"firstPaint"`
	}](tb, `(() => {
		const n = performance.getEntriesByType("navigation")[0];
		const p = performance.getEntriesByName("first-contentful-paint")[0];
		return {responseEnd: n.responseEnd, domInteractive: n.domInteractive,
			domContentLoaded: n.domContentLoadedEventEnd, load: n.loadEventEnd, firstPaint: p ? p.startTime : 0};
	})()`)
	paint := "not reported yet"
	if nav.FirstPaint > 0 {
		paint = fmt.Sprintf("%.0f ms", nav.FirstPaint)
	}
	tb.t.Logf("%s: figure: interactive %d ms after the navigation was sent (as the test sees it); page timings from navigation start: "+
		"HTML received %.0f ms, DOM interactive %.0f ms, booted (DOMContentLoaded end) %.0f ms, load %.0f ms, first contentful paint %s",
		tb.name, wall.Milliseconds(), nav.ResponseEnd, nav.DOMInteractive, nav.DOMContentLoaded, nav.Load, paint)
}

// click clicks the visible element with the given id.
func (tb *tab) click(id string) {
	tb.t.Helper()
	tb.do(chromedp.Click(chromedp.ID(id), chromedp.NodeVisible))
}

// screenshot saves a PNG of the page into $LEAPFROG_ARTIFACTS, or a temporary folder, and logs where.
func (tb *tab) screenshot(name string) string {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, waitTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		tb.t.Fatalf("%s: screenshot: %v", tb.name, err)
	}
	dir := os.Getenv("LEAPFROG_ARTIFACTS")
	if dir == "" {
		dir = tb.t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.t.Fatal(err)
	}
	path := filepath.Join(dir, strings.NewReplacer("/", "-", " ", "-").Replace(tb.t.Name()+"-"+name)+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		tb.t.Fatal(err)
	}
	tb.t.Logf("%s: screenshot %s", tb.name, path)
	return path
}

// key is a keyboard key, as Input.dispatchKeyEvent describes its key down.
type key struct {
	name string
	down input.DispatchKeyEventParams
}

var (
	space = key{"Space", input.DispatchKeyEventParams{
		Type: input.DispatchKeyEventTypeKeyDown, Key: " ", Code: "Space", Text: " ", UnmodifiedText: " ",
		WindowsVirtualKeyCode: 32, NativeVirtualKeyCode: 32,
	}}
	// rightShift is told from the left one by its code, which is what the page reads
	// (KeyboardEvent.code === "ShiftRight"); location 2 is the right-hand side.
	rightShift = key{"Right Shift", input.DispatchKeyEventParams{
		Type: input.DispatchKeyEventTypeRawKeyDown, Key: "Shift", Code: "ShiftRight", Location: 2, Modifiers: 8,
		WindowsVirtualKeyCode: 16, NativeVirtualKeyCode: 16,
	}}
)

// press sends the key down and up again.
func (k key) press() chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		up := k.down
		up.Type, up.Text, up.UnmodifiedText, up.Modifiers = input.DispatchKeyEventTypeKeyUp, "", "", 0
		for _, p := range []input.DispatchKeyEventParams{k.down, up} {
			if _, err := cdp.Call(ctx, t, input.DispatchKeyEvent, p); err != nil {
				return fmt.Errorf("press %s: %w", k.name, err)
			}
		}
		return nil
	})
}
