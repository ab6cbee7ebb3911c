package host

import (
	"reflect"
	"testing"

	"github.com/leapfrog-games/leapfrog/contract/agoneswire"
	"github.com/leapfrog-games/leapfrog/gameserver/agonessdk"
)

// cell is one (phase, event kind) pair of a lifecycle.
type cell[P, K ~int] struct {
	phase P
	kind  K
}

// lifecycleCase is one row of a lifecycle's table: from, stepped with e,
// gives want and acts.
type lifecycleCase[S, E, A any] struct {
	name string
	from S
	e    E
	want S
	acts []A
}

// lifecycleTable checks a lifecycle's transition function over every event
// in every phase: each (phase, event kind) cell is either listed (rows
// start in it) or ignored with a reason, never both, so that a phase or an
// event added without deciding its cases fails. An ignored cell must
// change nothing for every sample event of its kind.
type lifecycleTable[S, E, A any, P, K ~int] struct {
	next     func(S, E) (S, []A)
	phase    func(S) P
	kind     func(E) K
	answered func(A) bool // the action's result is stepped in as an event
	phases   P
	kinds    K
	cases    []lifecycleCase[S, E, A]
	ignored  map[cell[P, K]]string
	in       func(P) S // a state in each phase, for the ignored cells
	samples  []E       // events of every kind, for the ignored cells
}

func (tb lifecycleTable[S, E, A, P, K]) run(t *testing.T) {
	t.Helper()
	rows := make(map[cell[P, K]]bool)
	for _, tt := range tb.cases {
		p, k := tb.phase(tt.from), tb.kind(tt.e)
		rows[cell[P, K]{p, k}] = true
		t.Run(tt.name, func(t *testing.T) {
			got, acts := tb.next(tt.from, tt.e)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("%v + %v: state\n%+v, want\n%+v", p, k, got, tt.want)
			}
			if !reflect.DeepEqual(acts, tt.acts) {
				t.Errorf("%v + %v: actions %v, want %v", p, k, acts, tt.acts)
			}
			// drive steps an answer in right after its batch.
			for i, a := range acts {
				if tb.answered(a) && i != len(acts)-1 {
					t.Errorf("answered action %v is not the last of %v", a, acts)
				}
			}
		})
	}
	sampled := make(map[K]bool)
	for _, e := range tb.samples {
		sampled[tb.kind(e)] = true
	}
	for p := P(0); p < tb.phases; p++ {
		for k := K(0); k < tb.kinds; k++ {
			c := cell[P, K]{p, k}
			why, skip := tb.ignored[c]
			switch {
			case rows[c] && skip:
				t.Errorf("%v in %v is both listed and ignored", k, p)
			case !rows[c] && !skip:
				t.Errorf("%v in %v is neither listed nor ignored: decide its case", k, p)
			case skip && !sampled[k]:
				t.Errorf("%v in %v is ignored, but no sample event is a %v", k, p, k)
			case skip:
				for _, e := range tb.samples {
					if tb.kind(e) != k {
						continue
					}
					if got, acts := tb.next(tb.in(p), e); !reflect.DeepEqual(got, tb.in(p)) || len(acts) != 0 {
						t.Errorf("%v + %v, ignored (%s): state %+v, actions %v", p, k, why, got, acts)
					}
				}
			}
		}
	}
	for c := range tb.ignored {
		if c.phase < 0 || c.phase >= tb.phases || c.kind < 0 || c.kind >= tb.kinds {
			t.Errorf("ignored %v in %v is out of range", c.kind, c.phase)
		}
	}
}

// gameServerSeen is a GameServer as the watch shows it: its state, Agones'
// last-allocated annotation, the lessee label and the lease renewal annotation.
func gameServerSeen(state agoneswire.GameServerState, allocated, lessee, renewed string) *agonessdk.GameServer {
	return &agonessdk.GameServer{
		ObjectMeta: agonessdk.ObjectMeta{
			Labels:      map[string]string{agoneswire.LesseeLabel: lessee},
			Annotations: map[string]string{agoneswire.LastAllocatedAnnotation: allocated, agoneswire.LeaseRenewedAnnotation: renewed},
		},
		Status: agonessdk.Status{State: state},
	}
}

func TestEnumNames(t *testing.T) {
	for _, tt := range []struct {
		got, want string
	}{
		{allocationPlaying.String(), "playing"},
		{numAllocationPhases.String(), "unknown(7)"},
		{highDensityRecycling.String(), "recycling"},
		{highDensityEventKind(-1).String(), "unknown(-1)"},
	} {
		if tt.got != tt.want {
			t.Errorf("name %q, want %q", tt.got, tt.want)
		}
	}
	// Every value has a name: a value added without one would print as a number.
	for _, n := range []struct {
		names []string
		count int
	}{
		{allocationPhaseNames, int(numAllocationPhases)},
		{allocationEventNames, int(numAllocationEvents)},
		{allocationActionNames, int(numAllocationActions)},
		{highDensityPhaseNames, int(numHighDensityPhases)},
		{highDensityEventNames, int(numHighDensityEvents)},
		{highDensityActionNames, int(numHighDensityActions)},
	} {
		if len(n.names) != n.count {
			t.Errorf("%d names %v for %d values", len(n.names), n.names, n.count)
		}
	}
}
