package hdload

import (
	"math/bits"
	"sync/atomic"
	"time"
)

// Histogram counts durations in log-linear buckets: exact below 64 ns, then 64
// buckets per power of two, so a quantile is off by at most 1/64 (1.6 %). It
// is safe for concurrent use; recording is a few atomic adds, so thousands of
// reader goroutines can share one.
type Histogram struct {
	counts [histBuckets]atomic.Int64
	n      atomic.Int64
	max    atomic.Int64
}

const (
	subBits     = 6
	subBuckets  = 1 << subBits // per power of two
	maxExponent = 40 - subBits // 2^40 ns is about 18 minutes: longer counts as that
	histBuckets = subBuckets + (maxExponent+1)*subBuckets
)

func bucketOf(ns int64) int {
	if ns < subBuckets {
		return int(max(ns, 0))
	}
	e := bits.Len64(uint64(ns)) - subBits - 1
	if e > maxExponent {
		return histBuckets - 1
	}
	return subBuckets + e*subBuckets + int(ns>>e) - subBuckets
}

// bucketTop is the largest duration that falls in bucket i.
func bucketTop(i int) int64 {
	if i < subBuckets {
		return int64(i)
	}
	e, sub := (i-subBuckets)/subBuckets, (i-subBuckets)%subBuckets
	return int64(sub+subBuckets+1)<<e - 1
}

// Record counts d.
func (h *Histogram) Record(d time.Duration) {
	ns := int64(d)
	h.counts[bucketOf(ns)].Add(1)
	h.n.Add(1)
	for {
		m := h.max.Load()
		if ns <= m || h.max.CompareAndSwap(m, ns) {
			return
		}
	}
}

// Count is how many durations were recorded.
func (h *Histogram) Count() int64 { return h.n.Load() }

// Max is the longest duration recorded.
func (h *Histogram) Max() time.Duration { return time.Duration(h.max.Load()) }

// Quantile is the duration below which a fraction q (0..1) of the recorded
// ones fall (nearest rank, the top of its bucket, never above Max); 0 when
// nothing was recorded.
func (h *Histogram) Quantile(q float64) time.Duration {
	n := h.n.Load()
	if n == 0 {
		return 0
	}
	rank := int64(q*float64(n) + 0.999999)
	rank = min(max(rank, 1), n)
	var seen int64
	for i := range h.counts {
		if seen += h.counts[i].Load(); seen >= rank {
			return min(time.Duration(bucketTop(i)), h.Max())
		}
	}
	return h.Max()
}
