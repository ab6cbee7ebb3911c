package host

import "strconv"

// The host's two lifecycles (one session per allocation, and many sessions
// under a lease) are each a pure transition function from a state and an
// event to the next state and the actions to carry out, driven by a thin
// loop that turns channels, SDK answers and clock readings into events. The
// functions read no clock and call nothing: what they decide is tested over
// every event in every state without a server.

// drive steps a lifecycle with e and carries out the actions with do. An
// action whose result decides what comes next (an SDK call that may fail)
// is the last of its batch; do returns its result as an event, which is
// stepped in at once, before any other happening: one happening and all it
// leads to are one turn of the loop.
func drive[S, E, A any](s S, e E, next func(S, E) (S, []A), do func(A) (E, bool)) S {
	for {
		var acts []A
		s, acts = next(s, e)
		answered := false
		for _, a := range acts {
			if answer, ok := do(a); ok {
				e, answered = answer, true
			}
		}
		if !answered {
			return s
		}
	}
}

// enumName names a value of a lifecycle's enum: names[v], or its number
// for a value out of range.
func enumName[T ~int](v T, names []string) string {
	if v >= 0 && int(v) < len(names) {
		return names[v]
	}
	return "unknown(" + strconv.Itoa(int(v)) + ")"
}
