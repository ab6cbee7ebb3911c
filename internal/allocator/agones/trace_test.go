package agones

import (
	"errors"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/leapfrog-games/leapfrog/contract/agonesv1"
	"github.com/leapfrog-games/leapfrog/internal/allocator/backend"
)

// TestAllocationSpan: the span of a GameServerAllocation create says how it
// ended and carries one retry event per contended attempt; only an API error
// is the span's error. Without a recording parent (tracing off) nothing is
// recorded.
func TestAllocationSpan(t *testing.T) {
	forbidden := apierrors.NewForbidden(schema.GroupResource{Group: agonesv1.AllocationGroupVersion.Group, Resource: "gameserverallocations"}, "", errors.New("RBAC"))
	for _, tc := range []struct {
		name        string
		servers     int
		contention  int
		err         error
		wantOutcome string
		wantRetries int
		wantError   bool
	}{
		{name: "allocated at once", servers: 1, wantOutcome: string(agonesv1.GameServerAllocationAllocated)},
		{name: "contention then allocated", servers: 1, contention: 2, wantOutcome: string(agonesv1.GameServerAllocationAllocated), wantRetries: 2},
		{name: "contention every time", servers: 1, contention: 100, wantOutcome: string(agonesv1.GameServerAllocationContention), wantRetries: 3},
		{name: "unallocated", servers: 0, wantOutcome: string(agonesv1.GameServerAllocationUnAllocated)},
		{name: "API error", servers: 1, err: forbidden, wantOutcome: outcomeError, wantError: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fa := newFakeAgones("race", tc.servers)
			fa.contention, fa.err = tc.contention, tc.err
			a := newTestAllocator(t, fa, nil)
			rec := tracetest.NewSpanRecorder()
			tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
			t.Cleanup(func() { _ = tp.Shutdown(t.Context()) })
			ctx, parent := tp.Tracer("test").Start(t.Context(), "allocate")
			_, _ = a.Allocate(ctx, backend.AllocationRequest{PlayerIDs: []string{"p1"}})
			parent.End()

			var spans []sdktrace.ReadOnlySpan
			for _, s := range rec.Ended() {
				if s.Name() == "create GameServerAllocation" {
					spans = append(spans, s)
				}
			}
			if len(spans) != 1 {
				t.Fatalf("%d allocation spans, want 1", len(spans))
			}
			s := spans[0]
			if s.Parent().SpanID() != parent.SpanContext().SpanID() {
				t.Errorf("allocation span's parent %s, want the allocate span", s.Parent().SpanID())
			}
			attrs := attribute.NewSet(s.Attributes()...)
			if v, _ := attrs.Value(attrOutcome); v.AsString() != tc.wantOutcome {
				t.Errorf("outcome %q, want %q", v.AsString(), tc.wantOutcome)
			}
			if v, _ := attrs.Value(attrFleet); v.AsString() != "race" {
				t.Errorf("fleet %q, want match", v.AsString())
			}
			retries := 0
			for i, ev := range s.Events() {
				if ev.Name != "retry" {
					continue
				}
				retries++
				evAttrs := attribute.NewSet(ev.Attributes...)
				if v, _ := evAttrs.Value(attrAttempt); v.AsInt64() != int64(i+1) {
					t.Errorf("retry event %d: attempt %d, want %d", i, v.AsInt64(), i+1)
				}
			}
			if retries != tc.wantRetries {
				t.Errorf("%d retry events, want %d", retries, tc.wantRetries)
			}
			if (s.Status().Code == codes.Error) != tc.wantError {
				t.Errorf("status %v, want error %v", s.Status(), tc.wantError)
			}
		})
	}
	t.Run("tracing off", func(t *testing.T) {
		fa := newFakeAgones("race", 1)
		fa.contention = 1
		a := newTestAllocator(t, fa, nil)
		rec := tracetest.NewSpanRecorder()
		tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
		t.Cleanup(func() { _ = tp.Shutdown(t.Context()) })
		// Even a global provider set by some other library is not used:
		// spans are made only under a request's recording span.
		prev := otel.GetTracerProvider()
		otel.SetTracerProvider(tp)
		t.Cleanup(func() { otel.SetTracerProvider(prev) })
		if _, err := a.Allocate(t.Context(), backend.AllocationRequest{PlayerIDs: []string{"p1"}}); err != nil {
			t.Fatal(err)
		}
		if n := len(rec.Ended()); n != 0 {
			t.Fatalf("%d spans recorded without a recording parent, want 0", n)
		}
	})
}
