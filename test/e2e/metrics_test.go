package e2e

import (
	"context"
	"fmt"
	"net/http"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape is one read of /metrics, by family name.
type scrape map[string]*dto.MetricFamily

// scrape reads and parses /metrics in the text format.
func (a *allocator) scrape(ctx context.Context) (scrape, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.URL+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := loopback.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /metrics: %s", resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("parse /metrics: %w", err)
	}
	return families, nil
}

// value is the value of the first series of the counter or gauge name whose
// labels include the name, value pairs of labels; ok is false when there is
// no such series.
func (s scrape) value(name string, labels ...string) (v float64, ok bool) {
	f := s[name]
	if f == nil {
		return 0, false
	}
	for _, m := range f.GetMetric() {
		if !hasLabels(m, labels) {
			continue
		}
		switch {
		case m.GetCounter() != nil:
			return m.GetCounter().GetValue(), true
		case m.GetGauge() != nil:
			return m.GetGauge().GetValue(), true
		case m.GetUntyped() != nil:
			return m.GetUntyped().GetValue(), true
		}
	}
	return 0, false
}

func hasLabels(m *dto.Metric, pairs []string) bool {
	for i := 0; i+1 < len(pairs); i += 2 {
		found := false
		for _, l := range m.GetLabel() {
			if l.GetName() == pairs[i] && l.GetValue() == pairs[i+1] {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// series names a series in messages: name{k="v",...}.
func series(name string, labels ...string) string {
	s := name + "{"
	for i := 0; i+1 < len(labels); i += 2 {
		if i > 0 {
			s += ","
		}
		s += fmt.Sprintf("%s=%q", labels[i], labels[i+1])
	}
	return s + "}"
}

// atLeast checks that the series is there with a value of at least want.
func (s scrape) atLeast(want float64, name string, labels ...string) error {
	v, ok := s.value(name, labels...)
	switch {
	case !ok:
		return fmt.Errorf("%s is missing", series(name, labels...))
	case v < want:
		return fmt.Errorf("%s = %v, want at least %v", series(name, labels...), v, want)
	}
	return nil
}
