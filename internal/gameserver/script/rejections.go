package script

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/dop251/goja"
)

// Node.js checks for unhandled rejections once the microtasks of a
// macrotask have run: a promise rejected and then handled within the same
// drain does not count. goja drains its job queue when a call from Go
// returns, so the check runs after each guarded call, on the promises the
// tracker saw rejected and not handled since.

func (g *Game) trackRejections() {
	g.rt.SetPromiseRejectionTracker(func(p *goja.Promise, op goja.PromiseRejectionOperation) {
		switch op {
		case goja.PromiseRejectionReject:
			g.rejected = append(g.rejected, p)
		case goja.PromiseRejectionHandle:
			for i, q := range g.rejected {
				if q == p {
					g.rejected = append(g.rejected[:i], g.rejected[i+1:]...)
					break
				}
			}
		}
	})
}

// checkRejections handles the rejections left unhandled by the last call:
// the script's process.on('unhandledRejection') listeners get them; without
// one, RejectionsThrow makes the first an error (the session ends) and
// RejectionsWarn logs each.
func (g *Game) checkRejections() error {
	for len(g.rejected) > 0 {
		p := g.rejected[0]
		g.rejected = g.rejected[1:]
		reason := p.Result()
		handled, err := g.emitProcess("unhandledRejection", reason, g.rt.ToValue(p))
		if err != nil {
			g.rejected = nil
			return err // the listener threw: an uncaught exception
		}
		if handled {
			continue
		}
		text, at := g.describeReason(reason)
		if g.prog.cfg.UnhandledRejections == RejectionsWarn {
			g.log.Warn("unhandled promise rejection", "reason", text, "at", at)
			continue
		}
		g.rejected = nil
		return &rejectionError{reason: text, at: at}
	}
	return nil
}

// rejectionError is an unhandled rejection that ends the session.
type rejectionError struct{ reason, at string }

func (e *rejectionError) Error() string {
	if e.at == "" {
		return fmt.Sprintf("%v: %s", ErrUnhandledRejection, e.reason)
	}
	return fmt.Sprintf("%v: %s (at %s)", ErrUnhandledRejection, e.reason, e.at)
}

func (e *rejectionError) Unwrap() error { return ErrUnhandledRejection }

// stackPosition finds a frame's file:line:column in goja's stack text.
var stackPosition = regexp.MustCompile(`\(?([^\s()]+:\d+:\d+)(\(\d+\))?\)?`)

// describeReason is the rejection's reason as Node prints it (the error's
// "Name: message", or the inspected value) and where it was made: the
// first frame of the error's stack.
func (g *Game) describeReason(reason goja.Value) (text, at string) {
	inspect, _ := goja.AssertFunction(g.part("inspect"))
	if obj, ok := reason.(*goja.Object); ok {
		if stack := obj.Get("stack"); stack != nil && !goja.IsUndefined(stack) {
			lines := strings.Split(stack.String(), "\n")
			text = lines[0]
			for _, l := range lines[1:] {
				if m := stackPosition.FindStringSubmatch(l); m != nil {
					at = m[1]
					break
				}
			}
			return text, at
		}
	}
	v, err := inspect(goja.Undefined(), reason)
	if err != nil {
		return reason.String(), ""
	}
	return v.String(), ""
}

// emitProcess calls the script's process.on(name) listeners with a and b;
// handled is false when it has none (or never touched process).
func (g *Game) emitProcess(name string, a, b goja.Value) (handled bool, err error) {
	if g.process == nil {
		return false, nil
	}
	emit, _ := goja.AssertFunction(g.module("_process").ToObject(g.rt).Get("emitProcess"))
	v, err := g.enter(emit, []goja.Value{g.process, g.rt.ToValue(name), a, b})
	if err != nil {
		return false, err
	}
	return v.ToBoolean(), nil
}
