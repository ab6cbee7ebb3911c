package api

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/leapfrog-games/leapfrog/contract/matchapi"
	"github.com/leapfrog-games/leapfrog/internal/tracing"
)

// Attributes of the match path's spans. Player ids and tokens are never
// attributes: they would put personal data in the trace store and give
// every span a value of its own.
const (
	attrErrorCode = attribute.Key("leapfrog.error.code")
	attrSeats     = attribute.Key("leapfrog.seats")
	attrResult    = attribute.Key("leapfrog.allocation.result")
	attrServer    = attribute.Key("leapfrog.game_server")
	attrMatch     = attribute.Key("leapfrog.match")
	attrJoined    = attribute.Key("leapfrog.joined")
)

// traced makes a server span of each request to an API route ("POST
// /v1/match"), continuing the client's trace when it sends a W3C
// traceparent. Without a tracer provider it returns h: tracing off costs a
// request nothing.
func (s *Service) traced(route string, h http.Handler) http.Handler {
	if s.tracer == nil {
		return h
	}
	method, path, _ := strings.Cut(route, " ")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := tracing.Propagator.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		ctx, span := s.tracer.Start(ctx, route, trace.WithSpanKind(trace.SpanKindServer))
		defer span.End()
		if span.IsRecording() {
			scheme := "http"
			if r.TLS != nil {
				scheme = "https"
			}
			span.SetAttributes(
				semconv.HTTPRequestMethodKey.String(method),
				semconv.HTTPRoute(path),
				semconv.URLPath(r.URL.Path),
				semconv.URLScheme(scheme),
				semconv.ServerAddress(r.Host),
				semconv.NetworkProtocolVersion(strings.TrimPrefix(r.Proto, "HTTP/")),
				semconv.UserAgentOriginal(r.UserAgent()),
			)
		}
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(sw, r.WithContext(ctx))
		span.SetAttributes(semconv.HTTPResponseStatusCode(sw.status))
		// A server span is an error only for 5xx: a 4xx is the client's.
		if sw.status >= http.StatusInternalServerError {
			span.SetAttributes(semconv.ErrorTypeKey.String(strconv.Itoa(sw.status)))
			span.SetStatus(codes.Error, http.StatusText(sw.status))
		}
	})
}

// traceErrorCode names the API error code (no_capacity, rate_limited) on the
// request's span: the message may name a player or an address.
func traceErrorCode(ctx context.Context, code matchapi.ErrorCode) {
	if span := trace.SpanFromContext(ctx); span.IsRecording() {
		span.SetAttributes(attrErrorCode.String(string(code)))
	}
}
