package tracing

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// The standard variables that turn the exporter on without the flag, and
// the one that turns the SDK off whatever else is set.
const (
	envEndpoint       = "OTEL_EXPORTER_OTLP_ENDPOINT"
	envTracesEndpoint = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
	envSDKDisabled    = "OTEL_SDK_DISABLED"
)

// tracesPath is where an OTLP/HTTP collector takes traces under its base
// URL, as OTEL_EXPORTER_OTLP_ENDPOINT is read.
const tracesPath = "/v1/traces"

// Propagator reads and writes the W3C traceparent and tracestate headers:
// an incoming traceparent continues the client's trace.
var Propagator propagation.TextMapPropagator = propagation.TraceContext{}

// Config says where spans go.
type Config struct {
	// Endpoint is the collector's OTLP/HTTP base URL (http://collector:4318),
	// read like OTEL_EXPORTER_OTLP_ENDPOINT: spans go to its /v1/traces.
	// Empty leaves the standard environment variables to decide: with
	// neither OTEL_EXPORTER_OTLP_ENDPOINT nor
	// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT set, tracing is off.
	Endpoint string
	// ServiceName is service.name unless OTEL_SERVICE_NAME (or
	// OTEL_RESOURCE_ATTRIBUTES) says otherwise.
	ServiceName string
}

// ValidateEndpoint checks a Config.Endpoint: empty, or an http or https URL
// with a host.
func ValidateEndpoint(endpoint string) error {
	if endpoint == "" {
		return nil
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return fmt.Errorf("otlp-endpoint %q: %w", endpoint, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
		return fmt.Errorf("otlp-endpoint %q: want an http:// or https:// URL of the collector, such as http://otel-collector:4318", endpoint)
	}
	return nil
}

// Provider is the tracer provider of one process and its shutdown.
type Provider struct {
	trace.TracerProvider
	sdk *sdktrace.TracerProvider
}

// Enabled reports whether spans are exported.
func (p *Provider) Enabled() bool { return p.sdk != nil }

// Shutdown exports the spans still buffered and stops the exporter; ctx
// bounds the wait. It is a no-op when tracing is off.
func (p *Provider) Shutdown(ctx context.Context) error {
	if p.sdk == nil {
		return nil
	}
	if err := p.sdk.Shutdown(ctx); err != nil {
		return fmt.Errorf("flush traces: %w", err)
	}
	return nil
}

// New returns the no-op provider when tracing is off (no exporter, no
// goroutine), else one that batches spans to the collector over OTLP/HTTP.
// Sampling is the SDK's: OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG,
// by default parentbased_always_on, so a client's sampled traceparent is
// followed. The exporter honours the other OTEL_EXPORTER_OTLP_* variables
// (headers, timeout, compression, certificates).
func New(ctx context.Context, cfg Config) (*Provider, error) {
	if err := ValidateEndpoint(cfg.Endpoint); err != nil {
		return nil, err
	}
	if !On(cfg.Endpoint) {
		return &Provider{TracerProvider: noop.NewTracerProvider()}, nil
	}
	var opts []otlptracehttp.Option
	if cfg.Endpoint != "" {
		// An explicit URL wins over the environment's endpoint.
		opts = append(opts, otlptracehttp.WithEndpointURL(strings.TrimSuffix(cfg.Endpoint, "/")+tracesPath))
	}
	exp, err := otlptracehttp.New(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("otlp trace exporter: %w", err)
	}
	res, err := resource.Merge(
		resource.NewSchemaless(attribute.String("service.name", cfg.ServiceName)),
		resource.Environment(), // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win
	)
	if err != nil && !errors.Is(err, resource.ErrPartialResource) {
		return nil, fmt.Errorf("trace resource: %w", err)
	}
	sdk := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	return &Provider{TracerProvider: sdk, sdk: sdk}, nil
}

// On reports whether spans are exported: an endpoint given, or one of the
// standard endpoint variables set, and the SDK not disabled.
func On(endpoint string) bool {
	if strings.EqualFold(strings.TrimSpace(os.Getenv(envSDKDisabled)), "true") {
		return false
	}
	return endpoint != "" || os.Getenv(envEndpoint) != "" || os.Getenv(envTracesEndpoint) != ""
}

// Scope names the tracer of every Leapfrog span (the instrumentation scope).
const Scope = "github.com/leapfrog-games/leapfrog"

// AttrMode names the backend that placed a match's players: ModeOneMatch (a
// GameServerAllocation per match), ModeHighDensity (matches placed on leased
// game servers) or ModeLocal (the embedded fleet).
const AttrMode = attribute.Key("leapfrog.allocation.mode")

// The values of AttrMode.
const (
	ModeOneMatch    = "one-race"
	ModeHighDensity = "high-density"
	ModeLocal       = "local"
)

// Start starts a child of ctx's span with the tracer provider that made that
// span, so packages down a request's path need no provider of their own.
// When ctx's span is not recording (tracing off, or a trace not sampled) it
// returns ctx and that span, on which End and the setters do nothing: the
// child would not be recorded either, and nothing is allocated.
func Start(ctx context.Context, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	parent := trace.SpanFromContext(ctx)
	if !parent.IsRecording() {
		return ctx, parent
	}
	return parent.TracerProvider().Tracer(Scope).Start(ctx, name, opts...)
}

// SetMode names the backend on ctx's span (the match's allocate span).
func SetMode(ctx context.Context, mode string) {
	if span := trace.SpanFromContext(ctx); span.IsRecording() {
		span.SetAttributes(AttrMode.String(mode))
	}
}

// End ends a span, recording err (if any) as its error.
func End(span trace.Span, err error) {
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}
