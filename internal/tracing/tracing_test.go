package tracing

import (
	"runtime"
	"testing"

	"go.opentelemetry.io/otel/trace/noop"
)

func TestNew(t *testing.T) {
	for _, tc := range []struct {
		name, endpoint, envEndpoint, disabled string
		on                                    bool
	}{
		{name: "nothing set", on: false},
		{name: "flag", endpoint: "http://127.0.0.1:4318", on: true},
		{name: "standard variable", envEndpoint: "http://127.0.0.1:4318", on: true},
		{name: "SDK disabled", endpoint: "http://127.0.0.1:4318", disabled: "true", on: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(envEndpoint, tc.envEndpoint)
			t.Setenv(envTracesEndpoint, "")
			t.Setenv(envSDKDisabled, tc.disabled)
			before := runtime.NumGoroutine()
			p, err := New(t.Context(), Config{Endpoint: tc.endpoint, ServiceName: "test"})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Shutdown(t.Context())
			if p.Enabled() != tc.on {
				t.Fatalf("enabled %v, want %v", p.Enabled(), tc.on)
			}
			if !tc.on {
				// No exporter, no batching goroutine: the SDK's no-op.
				if _, ok := p.TracerProvider.(noop.TracerProvider); !ok {
					t.Errorf("provider %T, want the no-op", p.TracerProvider)
				}
				if after := runtime.NumGoroutine(); after > before {
					t.Errorf("%d goroutines after New, %d before", after, before)
				}
			}
		})
	}
}

func TestValidateEndpoint(t *testing.T) {
	for _, tc := range []struct {
		endpoint string
		ok       bool
	}{
		{"", true},
		{"http://otel-collector:4318", true},
		{"https://otel.example.com/otlp", true},
		{"otel-collector:4318", false},
		{"grpc://otel-collector:4317", false},
		{"http://", false},
		{"http://c:4318/?x=1", false},
	} {
		t.Run(tc.endpoint, func(t *testing.T) {
			if err := ValidateEndpoint(tc.endpoint); (err == nil) != tc.ok {
				t.Errorf("ValidateEndpoint(%q) = %v, want ok %v", tc.endpoint, err, tc.ok)
			}
		})
	}
}
