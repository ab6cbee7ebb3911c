package metricset

import (
	"slices"
	"testing"
)

// TestAllKnowsEachComponentsMetrics checks a few metrics of each component,
// with their labels, including vectors that have no series until their
// first event.
func TestAllKnowsEachComponentsMetrics(t *testing.T) {
	all, err := All()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, component string
		labels          []string
	}{
		{"leapfrog_allocator_allocations_total", "allocator", []string{"result"}},
		{"leapfrog_allocator_kube_api_up", "allocator", nil},
		{"leapfrog_allocator_lease_races", "allocator", []string{"state"}},
		{"leapfrog_allocator_rejected_connections_total", "allocator", []string{"reason"}},
		{"leapfrog_edge_connections_total", "edge", []string{"outcome"}},
		{"leapfrog_host_races_ended_total", "race-server", []string{"outcome"}},
		{"leapfrog_host_healthy", "race-server", nil},
		{"leapfrog_realtime_messages_total", "race-server", []string{"direction", "op_code"}},
		{"leapfrog_race_hop_broadcast_latency_seconds", "race-server", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, ok := all[tt.name]
			if !ok {
				t.Fatalf("%s not found among %d metrics", tt.name, len(all))
			}
			if m.Component != tt.component || !slices.Equal(m.Labels, tt.labels) {
				t.Errorf("got %+v, want component %s and labels %v", m, tt.component, tt.labels)
			}
		})
	}
	if m, ok := Sample(all, "leapfrog_allocator_allocation_duration_seconds_bucket"); !ok || !slices.Contains(m.Labels, "le") {
		t.Errorf("histogram bucket series not resolved: %+v %v", m, ok)
	}
	if _, ok := Sample(all, "leapfrog_allocator_requests_total"); ok {
		t.Error("a metric nobody registers was found")
	}
}
