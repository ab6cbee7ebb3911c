package buildtest

import (
	"bytes"
	"sync"
)

// Output collects a test process's stdout and stderr: the process writes
// (through exec's copying goroutine) while the test reads.
type Output struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (o *Output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.Write(p)
}

// String is everything written so far.
func (o *Output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// Tail is the last n bytes written, marked as cut when there was more.
func (o *Output) Tail(n int) string {
	s := o.String()
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
