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

// TestShedding: at a cap, AdmitShedding closes the connection idle longest
// (the address's own at the per-address cap, anyone's at the total cap) and
// takes its place; busy connections and those admitted without a way to
// close them are never shed.
func TestShedding(t *testing.T) {
	type conn struct {
		count  *Count
		closed bool
	}
	for _, tc := range []struct {
		name string
		// open admits these peers in order (busy unless idle[i]); shedding
		// says which were admitted with AdmitShedding.
		open     []string
		idle     []bool
		plain    []bool // admitted with Admit: never shed
		next     string
		wantErr  error
		wantShed int // index of the connection closed, -1 none
		reason   error
	}{
		{"per address: its own idle goes", []string{"a", "b", "a"}, []bool{true, true, false}, nil, "a", nil, 0, ErrPerAddr},
		{"per address: another's idle is not taken", []string{"a", "b", "a"}, []bool{false, true, false}, nil, "a", ErrPerAddr, -1, nil},
		{"total: the idle longest goes", []string{"a", "b", "c", "d"}, []bool{false, true, true, false}, nil, "e", nil, 1, ErrTotal},
		{"total: nothing idle", []string{"a", "b", "c", "d"}, []bool{false, false, false, false}, nil, "e", ErrTotal, -1, nil},
		{"never shed without a way to close", []string{"a", "b", "c", "d"}, []bool{true, true, true, true},
			[]bool{true, true, true, true}, "e", ErrTotal, -1, nil},
		{"below the caps nothing goes", []string{"a", "b"}, []bool{true, true}, nil, "c", nil, -1, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			table, err := New(2, 4)
			if err != nil {
				t.Fatal(err)
			}
			var reasons []error
			table.OnShed(func(r error) { reasons = append(reasons, r) })
			conns := make([]*conn, len(tc.open))
			for i, peer := range tc.open {
				c := &conn{}
				if tc.plain != nil && tc.plain[i] {
					c.count, err = table.Admit(peer)
				} else {
					c.count, err = table.AdmitShedding(peer, func() { c.closed = true })
				}
				if err != nil {
					t.Fatalf("admit %d (%s): %v", i, peer, err)
				}
				c.count.SetIdle(tc.idle[i])
				conns[i] = c
			}
			before := table.Open()
			_, err = table.AdmitShedding(tc.next, func() {})
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
				t.Fatalf("admit %s: %v, want %v", tc.next, err, tc.wantErr)
			}
			for i, c := range conns {
				if c.closed != (i == tc.wantShed) {
					t.Errorf("connection %d closed %v, want %v", i, c.closed, i == tc.wantShed)
				}
			}
			switch {
			case tc.wantShed >= 0:
				if table.Open() != before || len(reasons) != 1 || !errors.Is(reasons[0], tc.reason) {
					t.Errorf("open %d (was %d), shed reasons %v: want the same count and one %v", table.Open(), before, reasons, tc.reason)
				}
				conns[tc.wantShed].count.Release() // the server closes the shed connection: no second release
				if table.Open() != before {
					t.Errorf("open %d after the shed connection's own release, want %d", table.Open(), before)
				}
			case len(reasons) != 0:
				t.Errorf("shed %v, want none", reasons)
			}
		})
	}
}

// TestSetIdleFollowsState: a connection busy again, or released, is no longer
// a candidate.
func TestSetIdleFollowsState(t *testing.T) {
	table, err := New(1, 10)
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	c, err := table.AdmitShedding("a", func() { closed = true })
	if err != nil {
		t.Fatal(err)
	}
	c.SetIdle(true)
	c.SetIdle(true) // twice: listed once
	if table.Idle() != 1 {
		t.Fatalf("idle %d, want 1", table.Idle())
	}
	c.SetIdle(false)
	if _, err := table.AdmitShedding("a", func() {}); !errors.Is(err, ErrPerAddr) || closed {
		t.Fatalf("busy again: %v (closed %v), want %v and nothing closed", err, closed, ErrPerAddr)
	}
	c.SetIdle(true)
	c.Release()
	if table.Idle() != 0 || table.Open() != 0 {
		t.Fatalf("after release: idle %d open %d, want 0 and 0", table.Idle(), table.Open())
	}
	c.SetIdle(true) // a late state report of a released connection
	if table.Idle() != 0 {
		t.Fatalf("a released connection listed idle")
	}
}

// TestRefusalNamesEveryCapReached: a connection refused by both caps at
// once is refused for both, so that each caller reports the cap it looks
// for first (the edge reads a full edge as full, the allocator a crowded
// address as per IP).
func TestRefusalNamesEveryCapReached(t *testing.T) {
	for _, tc := range []struct {
		name          string
		open          []string
		next          string
		addr, total   bool
		shedding      bool
		idle          bool // the open connections are idle
		wantAdmission bool
	}{
		{"per address only", []string{"a", "a"}, "a", true, false, false, false, false},
		{"total only", []string{"a", "b", "c", "d"}, "e", false, true, false, false, false},
		{"both", []string{"a", "a", "b", "c"}, "a", true, true, false, false, false},
		{"both, shedding, nothing idle", []string{"a", "a", "b", "c"}, "a", true, true, true, false, false},
		{"both, shedding its own idle", []string{"a", "a", "b", "c"}, "a", false, false, true, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			table := newTable(t, 2, 4)
			for _, peer := range tc.open {
				c, err := table.AdmitShedding(peer, func() {})
				if err != nil {
					t.Fatal(err)
				}
				c.SetIdle(tc.idle)
			}
			var err error
			if tc.shedding {
				_, err = table.AdmitShedding(tc.next, func() {})
			} else {
				_, err = table.Admit(tc.next)
			}
			if (err == nil) != tc.wantAdmission {
				t.Fatalf("admit %s: %v, want admitted %v", tc.next, err, tc.wantAdmission)
			}
			if errors.Is(err, ErrPerAddr) != tc.addr || errors.Is(err, ErrTotal) != tc.total {
				t.Fatalf("admit %s: %v, want per address %v, total %v", tc.next, err, tc.addr, tc.total)
			}
			if got := table.Open(); got != len(tc.open) {
				t.Fatalf("open %d, want %d", got, len(tc.open))
			}
		})
	}
}
