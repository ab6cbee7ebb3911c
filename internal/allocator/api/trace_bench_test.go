package api

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/leapfrog-games/leapfrog/contract/token"
	"github.com/leapfrog-games/leapfrog/internal/allocator/backend"
	"github.com/leapfrog-games/leapfrog/internal/tracing"
	"github.com/leapfrog-games/leapfrog/internal/tracing/tracingtest"
)

// BenchmarkMatchTracing answers POST /v1/match for a guest that holds a
// place, on the static backend, with tracing off (no provider: what the
// allocator runs without --otlp-endpoint) and on (the SDK batching every
// span to an in-process OTLP/HTTP collector, every trace sampled).
func BenchmarkMatchTracing(b *testing.B) {
	for _, on := range []bool{false, true} {
		name := "tracing=off"
		if on {
			name = "tracing=on"
		}
		b.Run(name, func(b *testing.B) {
			for _, k := range []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_TRACES_SAMPLER", "OTEL_SDK_DISABLED"} {
				b.Setenv(k, "")
			}
			cfg := tracing.Config{ServiceName: "bench"}
			if on {
				cfg.Endpoint = tracingtest.NewCollector(b).URL
			}
			traces, err := tracing.New(b.Context(), cfg)
			if err != nil {
				b.Fatal(err)
			}
			// Not b.Context(): it is done by the time cleanups run, and the spans
			// still buffered would never leave.
			b.Cleanup(func() { _ = traces.Shutdown(context.Background()) })
			if traces.Enabled() != on {
				b.Fatalf("tracing enabled %v, want %v", traces.Enabled(), on)
			}
			keys, err := token.GenerateKeyset("bench")
			if err != nil {
				b.Fatal(err)
			}
			issuer := token.NewIssuer(keys, nil)
			c := Config{
				Backend: staticBackend{backend.Assignment{GameServer: "leapfrog-race-bench", Address: "127.0.0.1", Port: 7001}}, Issuer: issuer,
				GuestTTL: time.Hour, SessionTTL: time.Minute,
				GuestRate: 1e9, GuestBurst: 1 << 30, MatchRate: 1e9, MatchBurst: 1 << 30,
				MaxPlacesPerIP: 1 << 30, PlaceHold: time.Minute,
				Registry: prometheus.NewRegistry(),
			}
			if on {
				c.Tracer = traces
			}
			svc, err := New(c)
			if err != nil {
				b.Fatal(err)
			}
			raw, _, err := issuer.MintGuest(time.Hour)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if rec := serveMatch(svc, raw); rec.Code != http.StatusOK {
					b.Fatalf("match: %d %s", rec.Code, rec.Body)
				}
			}
		})
	}
}
