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
