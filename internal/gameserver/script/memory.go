package script

import (
	"runtime"
	"runtime/metrics"
)

// Scripts allocate on the Go heap, which goja does not account per
// runtime. The bound is therefore the process's: Config.MemoryLimit caps
// the live heap, checked after init and on every tick. The cheap
// figure (objects in the heap, garbage included) is read first; only when
// it is over the limit does a collection tell live bytes from garbage.

const (
	heapObjectsMetric = "/memory/classes/heap/objects:bytes"
	heapLiveMetric    = "/gc/heap/live:bytes"
)

func readMetric(name string) uint64 {
	s := []metrics.Sample{{Name: name}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// heapLive is the live heap as of the last collection.
func heapLive() uint64 { return readMetric(heapLiveMetric) }

// overMemoryLimit reports whether the live heap exceeds limit (0: never).
func overMemoryLimit(limit uint64) (live uint64, over bool) {
	if limit == 0 {
		return 0, false
	}
	if readMetric(heapObjectsMetric) <= limit {
		return 0, false
	}
	runtime.GC()
	live = heapLive()
	return live, live > limit
}
