package tracingtest

import (
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"

	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// maxExportBytes bounds one export request: a test's batches are small.
const maxExportBytes = 8 << 20

// Span is one received span, flattened for assertions.
type Span struct {
	Name     string
	Kind     tracepb.Span_SpanKind
	TraceID  string
	SpanID   string
	ParentID string // empty for a root span
	// Attrs holds every attribute as its string form (ints and bools too).
	Attrs map[string]string
	// Events names the span's events in order; EventAttrs holds theirs.
	Events     []string
	EventAttrs []map[string]string
	Links      []string // linked span ids
	Status     tracepb.Status_StatusCode
	StatusMsg  string
	// Resource is the attributes of the process that sent the span.
	Resource map[string]string
}

// Collector serves POST /v1/traces on 127.0.0.1 and keeps the spans.
type Collector struct {
	// URL is the collector's base URL (http://127.0.0.1:port), what
	// --otlp-endpoint and OTEL_EXPORTER_OTLP_ENDPOINT take.
	URL string

	mu       sync.Mutex
	spans    []Span
	requests int
}

// NewCollector starts a collector that stops when the test ends.
func NewCollector(t testing.TB) *Collector {
	t.Helper()
	c := &Collector{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := c.receive(r); err != nil {
			t.Errorf("collector: %v", err)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/x-protobuf")
		b, _ := proto.Marshal(&collectortrace.ExportTraceServiceResponse{})
		_, _ = w.Write(b)
	}))
	t.Cleanup(srv.Close)
	c.URL = srv.URL
	return c
}

func (c *Collector) receive(r *http.Request) error {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/traces" {
		return fmt.Errorf("%s %s: want POST /v1/traces", r.Method, r.URL.Path)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-protobuf" {
		return fmt.Errorf("content type %q: want application/x-protobuf", ct)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxExportBytes))
	if err != nil {
		return err
	}
	var req collectortrace.ExportTraceServiceRequest
	if err := proto.Unmarshal(body, &req); err != nil {
		return fmt.Errorf("decode ExportTraceServiceRequest: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.requests++
	for _, rs := range req.ResourceSpans {
		res := attrs(rs.GetResource().GetAttributes())
		for _, ss := range rs.ScopeSpans {
			for _, s := range ss.Spans {
				c.spans = append(c.spans, flatten(s, res))
			}
		}
	}
	return nil
}

func flatten(s *tracepb.Span, res map[string]string) Span {
	out := Span{
		Name: s.Name, Kind: s.Kind,
		TraceID: hex.EncodeToString(s.TraceId), SpanID: hex.EncodeToString(s.SpanId),
		Attrs: attrs(s.Attributes), Status: s.GetStatus().GetCode(), StatusMsg: s.GetStatus().GetMessage(),
		Resource: res,
	}
	if len(s.ParentSpanId) > 0 {
		out.ParentID = hex.EncodeToString(s.ParentSpanId)
	}
	for _, e := range s.Events {
		out.Events = append(out.Events, e.Name)
		out.EventAttrs = append(out.EventAttrs, attrs(e.Attributes))
	}
	for _, l := range s.Links {
		out.Links = append(out.Links, hex.EncodeToString(l.SpanId))
	}
	return out
}

func attrs(kvs []*commonpb.KeyValue) map[string]string {
	m := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		v := kv.GetValue()
		switch v.Value.(type) {
		case *commonpb.AnyValue_StringValue:
			m[kv.Key] = v.GetStringValue()
		case *commonpb.AnyValue_IntValue:
			m[kv.Key] = fmt.Sprint(v.GetIntValue())
		case *commonpb.AnyValue_BoolValue:
			m[kv.Key] = fmt.Sprint(v.GetBoolValue())
		case *commonpb.AnyValue_DoubleValue:
			m[kv.Key] = fmt.Sprint(v.GetDoubleValue())
		default:
			m[kv.Key] = v.String()
		}
	}
	return m
}

// Spans returns the spans received so far.
func (c *Collector) Spans() []Span {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.spans)
}

// Requests returns how many exports were received.
func (c *Collector) Requests() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.requests
}

// Named returns the received spans of that name.
func (c *Collector) Named(name string) []Span {
	var out []Span
	for _, s := range c.Spans() {
		if s.Name == name {
			out = append(out, s)
		}
	}
	return out
}

// Children returns the received spans whose parent is the span.
func (c *Collector) Children(parent Span) []Span {
	var out []Span
	for _, s := range c.Spans() {
		if s.ParentID == parent.SpanID && s.TraceID == parent.TraceID {
			out = append(out, s)
		}
	}
	return out
}
