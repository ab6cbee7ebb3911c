// Package tracing sets up the OpenTelemetry traces of the Leapfrog services:
// off (a no-op tracer provider) unless an OTLP/HTTP endpoint is configured.
package tracing
