package bot

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"
)

// Summary is the outcome of a run.
type Summary struct {
	// Races is how many races were asked for; Finished + Failed == Races.
	Races, Finished, Failed int
	// Match holds the latency of each successful match request, Hop the
	// round trip of each hop (hop sent until the bot's own FrogMoved).
	Match, Hop []time.Duration
	// EarlyPresses counts hops pressed during a hop (penalties asked for);
	// Retries counts requests retried after 429 or 503.
	EarlyPresses, Retries int
	// Failures counts failed bots by reason.
	Failures map[string]int
	// Results are the scores and winners of each party match a bot played
	// out, once per match (see resultLine); empty for races.
	Results []string
}

// OK reports whether every race finished.
func (s Summary) OK() bool { return s.Failed == 0 && s.Finished == s.Races }

// String is the one-line report:
//
//	races: 10 finished, 0 failed; match p50=2.1ms p90=3.4ms p99=5ms (n=20); hop p50=0.6ms p90=1ms p99=1.8ms (n=96)
func (s Summary) String() string {
	return fmt.Sprintf("races: %d finished, %d failed; match %s; hop %s",
		s.Finished, s.Failed, percentiles(s.Match), percentiles(s.Hop))
}

// FailureReport lists the failure reasons, most frequent first.
func (s Summary) FailureReport() string {
	type reason struct {
		text string
		n    int
	}
	var rs []reason
	for text, n := range s.Failures {
		rs = append(rs, reason{text, n})
	}
	sort.Slice(rs, func(i, j int) bool {
		if rs[i].n != rs[j].n {
			return rs[i].n > rs[j].n
		}
		return rs[i].text < rs[j].text
	})
	var b strings.Builder
	for _, r := range rs {
		fmt.Fprintf(&b, "%d× %s\n", r.n, r.text)
	}
	return b.String()
}

func percentiles(ds []time.Duration) string {
	if len(ds) == 0 {
		return "p50=- p90=- p99=- (n=0)"
	}
	sorted := slices.Clone(ds)
	slices.Sort(sorted)
	return fmt.Sprintf("p50=%v p90=%v p99=%v (n=%d)",
		round(Percentile(sorted, 50)), round(Percentile(sorted, 90)), round(Percentile(sorted, 99)), len(ds))
}

// Percentile is the nearest-rank percentile p (0 < p <= 100) of sorted.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func round(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(100 * time.Microsecond)
	default:
		return d.Round(time.Microsecond)
	}
}
