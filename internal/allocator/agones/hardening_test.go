package agones

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"syscall"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/leapfrog-games/leapfrog/contract/agonesv1"
	"github.com/leapfrog-games/leapfrog/contract/agoneswire"
	"github.com/leapfrog-games/leapfrog/internal/allocator/backend"
)

var gsaResource = schema.GroupResource{Group: agonesv1.AllocationGroupVersion.Group, Resource: "gameserverallocations"}

// TestTransientAPIErrorsAreRetried: an API server that is overloaded,
// restarting or unreachable is retried on APIBackoff, and one that stays
// down is ErrUnavailable (503 with Retry-After), never an internal error.
func TestTransientAPIErrorsAreRetried(t *testing.T) {
	unavailable := apierrors.NewServiceUnavailable("the extensions are restarting")
	tooMany := apierrors.NewTooManyRequests("slow down", 1)
	timeout := apierrors.NewServerTimeout(gsaResource, "create", 1)
	refused := fmt.Errorf("dial tcp 127.0.0.1:6443: %w", syscall.ECONNREFUSED)
	forbidden := apierrors.NewForbidden(gsaResource, "", errors.New("RBAC"))
	tests := []struct {
		name         string
		failures     []error
		wantErr      error // nil: allocated
		wantAttempts int
	}{
		{"one 503 then allocated", []error{unavailable}, nil, 2},
		{"429, refused, then allocated", []error{tooMany, refused}, nil, 3},
		{"server timeout then allocated", []error{timeout}, nil, 2},
		{"down for every attempt", []error{unavailable, unavailable, unavailable, unavailable, unavailable}, backend.ErrUnavailable, 3},
		{"forbidden is not retried", []error{forbidden}, forbidden, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fa := newFakeAgones("race", 1)
			fa.failures = tt.failures
			a := newTestAllocator(t, fa, func(c *Config) { c.APIBackoff = wait.Backoff{Steps: 3} })
			got, err := allocate(t, a, "p1")
			if n := len(fa.requests()); n != tt.wantAttempts {
				t.Errorf("%d attempts, want %d", n, tt.wantAttempts)
			}
			if tt.wantErr == nil {
				if err != nil || got.GameServer != "race-0" {
					t.Fatalf("got %+v, %v; want race-0", got, err)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr == forbidden && errors.Is(err, backend.ErrUnavailable) {
				t.Errorf("a permanent error reported as unavailable: %v", err)
			}
		})
	}
}

func TestTimeoutIsUnavailable(t *testing.T) {
	fa := newFakeAgones("race", 1)
	fa.err = apierrors.NewServiceUnavailable("down")
	a := newTestAllocator(t, fa, func(c *Config) { c.APIBackoff = wait.Backoff{Steps: 1 << 30} })
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := a.Allocate(ctx, backend.AllocationRequest{PlayerIDs: []string{"p1"}}); !errors.Is(err, backend.ErrUnavailable) {
		t.Fatalf("err %v, want ErrUnavailable", err)
	}
}

// TestSeatsBeyondCapacityAreNotHandedOut: Agones drops list additions beyond
// capacity without failing the allocation. The allocator reads the list
// back and hands out nobody who is not in it.
func TestSeatsBeyondCapacityAreNotHandedOut(t *testing.T) {
	fa := newFakeAgones("race", 1)
	a := newTestAllocator(t, fa, nil)
	if _, err := allocate(t, a, "p"); err != nil {
		t.Fatal(err)
	}
	if _, err := allocate(t, a, "q"); err != nil {
		t.Fatal(err)
	}
	// p holds one place on a full match and asks for two seats: the
	// containsValue selector matches and p.2 is dropped.
	_, err := allocate(t, a, "p", "p.2")
	if !errors.Is(err, backend.ErrSeatsTaken) {
		t.Fatalf("err %v, want ErrSeatsTaken", err)
	}
	// With room on its server, the second seat is added and handed out.
	fb := newFakeAgones("race", 1)
	b := newTestAllocator(t, fb, nil)
	if _, err := allocate(t, b, "p"); err != nil {
		t.Fatal(err)
	}
	got, err := allocate(t, b, "p", "p.2")
	if err != nil || got.GameServer != "race-0" {
		t.Fatalf("second seat with room: %+v, %v", got, err)
	}
	if !slices.Equal(fb.servers[0].players, []string{"p", "p.2"}) {
		t.Errorf("players %v", fb.servers[0].players)
	}
}

// TestClosedServersAreNotChosen: a game server whose match is over carries
// agoneswire.ClosedLabel; every selector excludes it.
func TestClosedServersAreNotChosen(t *testing.T) {
	fa := newFakeAgones("race", 2)
	a := newTestAllocator(t, fa, nil)
	first, err := allocate(t, a, "early")
	if err != nil {
		t.Fatal(err)
	}
	fa.mu.Lock()
	for _, gs := range fa.servers {
		if gs.name == first.GameServer {
			gs.labels = map[string]string{agoneswire.ClosedLabel: agoneswire.ClosedValue}
		}
	}
	fa.mu.Unlock()
	for _, p := range []string{"late", "early"} {
		got, err := allocate(t, a, p)
		if err != nil {
			t.Fatal(err)
		}
		if got.GameServer == first.GameServer {
			t.Errorf("%s placed on %s, whose match is over", p, first.GameServer)
		}
	}
	for i, sel := range fa.requests()[0].Spec.Selectors {
		if !slices.ContainsFunc(sel.MatchExpressions, func(e metav1.LabelSelectorRequirement) bool {
			return e.Key == agoneswire.ClosedLabel && e.Operator == "NotIn" && slices.Equal(e.Values, []string{agoneswire.ClosedValue})
		}) {
			t.Errorf("selector %d does not exclude closed servers: %+v", i, sel.MatchExpressions)
		}
	}
}
