package agones

import (
	"errors"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/leapfrog-games/leapfrog/contract/agonesv1"
	"github.com/leapfrog-games/leapfrog/internal/allocator/backend"
)

// Attributes of the backend's spans.
const (
	attrNamespace = attribute.Key("k8s.namespace.name")
	attrFleet     = attribute.Key("agones.fleet.name")
	// attrOutcome is how a GameServerAllocation ended: Allocated,
	// UnAllocated, Contention (after its retries) or error.
	attrOutcome = attribute.Key("agones.allocation.outcome")
	attrServer  = attribute.Key("agones.gameserver.name")
	attrAttempt = attribute.Key("leapfrog.attempt")
	attrReason  = attribute.Key("leapfrog.retry.reason")
	attrJoined  = attribute.Key("leapfrog.joined")
	attrAgain   = attribute.Key("leapfrog.again")
	attrMatch   = attribute.Key("leapfrog.match")
	// attrAhead marks a lease started ahead of need, in the background.
	attrAhead = attribute.Key("leapfrog.lease.ahead")
)

// outcomeError is attrOutcome when the API failed.
const outcomeError = "error"

// retried records a retry of an allocation on its span.
func retried(span trace.Span, attempt int, reason string) {
	if span.IsRecording() {
		span.AddEvent("retry", trace.WithAttributes(attrAttempt.Int(attempt), attrReason.String(reason)))
	}
}

// endAllocation ends the span of a GameServerAllocation with its outcome.
// UnAllocated and lasting contention are answers, not failures: only an API
// error is the span's error.
func endAllocation(span trace.Span, gsa *agonesv1.GameServerAllocation, err error) {
	defer span.End()
	if !span.IsRecording() {
		return
	}
	switch {
	case err == nil:
		span.SetAttributes(attrOutcome.String(string(agonesv1.GameServerAllocationAllocated)), attrServer.String(gsa.Status.GameServerName))
	case errors.Is(err, ErrContention):
		span.SetAttributes(attrOutcome.String(string(agonesv1.GameServerAllocationContention)))
	case errors.Is(err, backend.ErrNoCapacity):
		span.SetAttributes(attrOutcome.String(string(agonesv1.GameServerAllocationUnAllocated)))
	default:
		span.SetAttributes(attrOutcome.String(outcomeError))
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
}
