package loadstat

import (
	"os"
	"testing"
	"time"
)

func TestOwnProcess(t *testing.T) {
	rss, err := ResidentBytes(os.Getpid())
	if err != nil || rss < 1<<20 {
		t.Fatalf("resident %d bytes, %v: want at least 1 MiB", rss, err)
	}
	for end := time.Now().Add(200 * time.Millisecond); time.Now().Before(end); {
	}
	cpu, err := ProcessCPU(os.Getpid())
	if err != nil || cpu <= 0 || SelfCPU() <= 0 {
		t.Fatalf("cpu %v (self %v), %v after spinning", cpu, SelfCPU(), err)
	}
	if MachineBusy() <= 0 || LoadAverage() == "" {
		t.Fatalf("machine busy %v, load average %q", MachineBusy(), LoadAverage())
	}
	r0, w0, err := Syscalls(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.CreateTemp(t.TempDir(), "io")
	if err != nil {
		t.Fatal(err)
	}
	for range 10 {
		if _, err := f.Write([]byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	f.Close()
	if r1, w1, err := Syscalls(os.Getpid()); err != nil || w1-w0 < 10 || r1 < r0 {
		t.Fatalf("after 10 writes: reads %d->%d, writes %d->%d, %v", r0, r1, w0, w1, err)
	}
	if _, err := ResidentBytes(-1); err == nil {
		t.Fatal("a process that does not exist has a resident set")
	}
}

func TestCounts(t *testing.T) {
	if got := Counts(map[string]int{}); got != "none" {
		t.Errorf("empty: %q", got)
	}
	if got := Counts(map[string]int64{"net": 2, "503": 10, "check": 1}); got != "503:10,check:1,net:2" {
		t.Errorf("got %q", got)
	}
}
