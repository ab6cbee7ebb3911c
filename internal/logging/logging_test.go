package logging

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

func TestParseLevel(t *testing.T) {
	for _, tt := range []struct {
		in      string
		want    slog.Level
		wantErr bool
	}{{"debug", slog.LevelDebug, false}, {"WARN", slog.LevelWarn, false}, {"error", slog.LevelError, false}, {"loud", 0, true}} {
		got, err := ParseLevel(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseLevel(%q) = %v, %v", tt.in, got, err)
		}
	}
	var buf bytes.Buffer
	l := NewJSON(&buf, slog.LevelWarn)
	l.Info("hidden")
	l.Warn("shown", "k", 1)
	if out := buf.String(); strings.Contains(out, "hidden") || !strings.Contains(out, `"msg":"shown","k":1`) {
		t.Errorf("output %q", out)
	}
}
