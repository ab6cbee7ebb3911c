// Package tracingtest is an in-process OTLP/HTTP trace collector for tests:
// it takes what the real exporter sends and lets a test look at the spans.
package tracingtest
