package conncount

import (
	"errors"
	"testing"
)

func TestTable(t *testing.T) {
	type step struct {
		peer, client string
		relayed      bool
		admit, as    error // want from Admit, then from As (skipped when Admit fails)
	}
	for _, tc := range []struct {
		name  string
		steps []step
		open  int
	}{
		{"per address cap on accept", []step{
			{peer: "a"}, {peer: "a"}, {peer: "a", admit: ErrPerAddr}, {peer: "b"},
		}, 3},
		{"total cap", []step{
			{peer: "a"}, {peer: "b"}, {peer: "c"}, {peer: "d"}, {peer: "e", admit: ErrTotal},
		}, 4},
		{"relayed connections move to their client", []step{
			{peer: "edge", client: "p1", relayed: true}, {peer: "edge", client: "p2", relayed: true},
			{peer: "edge", client: "p3", relayed: true},
		}, 3},
		{"a relayed client over its cap", []step{
			{peer: "edge", client: "p1", relayed: true}, {peer: "edge", client: "p1", relayed: true},
			{peer: "edge", client: "p1", relayed: true, as: ErrPerAddr},
		}, 3},
		{"a relay's unrelayed connection counts against it on its request", []step{
			{peer: "edge", client: "p1", relayed: true},
			{peer: "edge"}, {peer: "edge"}, {peer: "edge", as: ErrPerAddr},
		}, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			table, err := New(2, 4)
			if err != nil {
				t.Fatal(err)
			}
			for i, s := range tc.steps {
				c, err := table.Admit(s.peer)
				if !errors.Is(err, s.admit) || (err == nil) != (s.admit == nil) {
					t.Fatalf("step %d: admit %v, want %v", i, err, s.admit)
				}
				if err != nil {
					continue
				}
				if err := c.As(s.client, s.relayed); !errors.Is(err, s.as) || (err == nil) != (s.as == nil) {
					t.Fatalf("step %d: as %v, want %v", i, err, s.as)
				}
			}
			if got := table.Open(); got != tc.open {
				t.Fatalf("open %d, want %d", got, tc.open)
			}
		})
	}
}

// Every place comes back on release, relayed or not, however often
// released: the maps end empty.
func TestReleaseGivesEverythingBack(t *testing.T) {
	table, err := New(2, 10)
	if err != nil {
		t.Fatal(err)
	}
	var counts []*Count
	for _, s := range []struct {
		peer, client string
		relayed      bool
	}{{"edge", "p1", true}, {"edge", "p2", true}, {"edge", "", false}, {"a", "", false}} {
		c, err := table.Admit(s.peer)
		if err != nil {
			t.Fatal(err)
		}
		_ = c.As(s.client, s.relayed)
		counts = append(counts, c)
	}
	for _, c := range counts {
		c.Release()
		c.Release()
	}
	if table.Open() != 0 || len(table.byAddr) != 0 || len(table.relays) != 0 {
		t.Fatalf("after release: open %d, by address %v, relays %v", table.Open(), table.byAddr, table.relays)
	}
}
