package hdload

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// ScrapeCost is what one scrape of a /metrics endpoint costs Prometheus:
// the bytes of the text exposition, and its series (sample lines), all and
// those of Leapfrog's own metrics (without the Go runtime's and the
// process's).
type ScrapeCost struct {
	Bytes, Series, LeapfrogSeries int
}

// scrape reads url as Prometheus does (text format) and counts.
func scrape(ctx context.Context, url string) (ScrapeCost, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return ScrapeCost{}, err
	}
	req.Header.Set("Accept", "text/plain;version=0.0.4")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return ScrapeCost{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return ScrapeCost{}, fmt.Errorf("scrape %s: %s", url, resp.Status)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return ScrapeCost{}, err
	}
	return countSeries(body), nil
}

// countSeries counts the sample lines of a text exposition.
func countSeries(body []byte) ScrapeCost {
	c := ScrapeCost{Bytes: len(body)}
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		c.Series++
		if strings.HasPrefix(line, "leapfrog_") {
			c.LeapfrogSeries++
		}
	}
	return c
}
