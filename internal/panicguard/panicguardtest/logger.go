package panicguardtest

import (
	"context"
	"log/slog"
	"testing"
	"time"
)

// Panic is one panic line: the guard's message and its where, panic and
// stack attributes.
type Panic struct {
	Msg, Where, Value, Stack string
}

// Log collects the panic lines of the loggers it makes; other lines are dropped.
type Log struct {
	panics chan Panic
}

// NewLog makes a Log that holds up to 64 panic lines nobody waited for.
func NewLog() *Log { return &Log{panics: make(chan Panic, 64)} }

// Logger is a logger whose panic lines go to l.
func (l *Log) Logger() *slog.Logger { return slog.New(handler{l}) }

// Next waits for the next panic line, failing t if none comes within a
// deadline that only a broken build reaches.
func (l *Log) Next(t testing.TB) Panic {
	t.Helper()
	select {
	case p := <-l.panics:
		return p
	case <-time.After(10 * time.Second):
		t.Fatal("no panic was logged")
		return Panic{}
	}
}

// None fails t if a panic line is waiting.
func (l *Log) None(t testing.TB) {
	t.Helper()
	select {
	case p := <-l.panics:
		t.Errorf("unexpected panic logged: %s (where %s): %s", p.Msg, p.Where, p.Value)
	default:
	}
}

type handler struct{ l *Log }

func (handler) Enabled(context.Context, slog.Level) bool { return true }

func (h handler) Handle(_ context.Context, r slog.Record) error {
	p := Panic{Msg: r.Message}
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "where":
			p.Where = a.Value.String()
		case "panic":
			p.Value = a.Value.String()
		case "stack":
			p.Stack = a.Value.String()
		}
		return true
	})
	if p.Stack == "" {
		return nil
	}
	select {
	case h.l.panics <- p:
	default: // a test that lets 64 go unread asserts nothing about them
	}
	return nil
}

func (h handler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h handler) WithGroup(string) slog.Handler      { return h }
