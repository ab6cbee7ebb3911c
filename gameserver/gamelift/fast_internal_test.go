package gamelift

import (
	"net/netip"
	"testing"
	"time"
)

// TestAllowSource: each source IP gets DefaultSourceRate datagrams a second, a
// flood from one does not starve another, and at most maxSources sources
// are counted in a second.
func TestAllowSource(t *testing.T) {
	now := time.Unix(1000, 0)
	f := &Fast{now: func() time.Time { return now }, sources: make(map[netip.Addr]int), SourceRate: DefaultSourceRate}
	flood, other := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")
	allowed := 0
	for range 3 * DefaultSourceRate {
		if f.allowSource(flood) {
			allowed++
		}
	}
	if allowed != DefaultSourceRate {
		t.Errorf("a flood got %d datagrams through in a second, want %d", allowed, DefaultSourceRate)
	}
	if !f.allowSource(other) {
		t.Error("another source was refused during a flood")
	}
	now = now.Add(time.Second)
	if !f.allowSource(flood) {
		t.Error("the flooding source is still refused a second later")
	}
	for i := range maxSources + 10 {
		f.allowSource(netip.AddrFrom4([4]byte{192, 168, byte(i >> 8), byte(i)}))
	}
	if len(f.sources) > maxSources {
		t.Errorf("%d sources counted, want at most %d", len(f.sources), maxSources)
	}
}
