package hdload

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestBucketsCoverEveryDuration(t *testing.T) {
	prev := -1
	for _, ns := range []int64{0, 1, 63, 64, 65, 127, 128, 129, 1000, 1e6, 5e6, 1e9, 1 << 39, 1<<40 - 1} {
		i := bucketOf(ns)
		if i < prev {
			t.Fatalf("bucket of %d ns is %d, before the bucket %d of a shorter one", ns, i, prev)
		}
		prev = i
		if top := bucketTop(i); top < ns || (i > 0 && bucketTop(i-1) >= ns) {
			t.Fatalf("%d ns in bucket %d with top %d (previous top %d)", ns, i, top, bucketTop(i-1))
		}
	}
	if bucketOf(1<<50) != histBuckets-1 || bucketOf(-5) != 0 {
		t.Fatalf("out of range: %d, %d", bucketOf(1<<50), bucketOf(-5))
	}
}

func TestQuantilesWithinOneBucket(t *testing.T) {
	var h Histogram
	if h.Quantile(0.99) != 0 || h.Count() != 0 {
		t.Fatal("an empty histogram has quantiles")
	}
	r := rand.New(rand.NewPCG(1, 2))
	var all []time.Duration
	for range 100_000 {
		d := time.Duration(r.ExpFloat64() * float64(2*time.Millisecond))
		all = append(all, d)
		h.Record(d)
	}
	slices.Sort(all)
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999, 1} {
		exact := all[int(q*float64(len(all))+0.999999)-1]
		got := h.Quantile(q)
		if got < exact || float64(got-exact) > float64(exact)/subBuckets+1 {
			t.Errorf("q%v = %v, exact %v: off by more than one bucket", q, got, exact)
		}
	}
	if h.Max() != all[len(all)-1] || h.Count() != int64(len(all)) {
		t.Errorf("max %v count %d, want %v %d", h.Max(), h.Count(), all[len(all)-1], len(all))
	}
}
