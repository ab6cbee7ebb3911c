package realtime

import "time"

// A Sleeper game whose rules are a fixed tick's (what falls due at t is seen
// at the first tick at or after t; changes go out at most once a tick) keeps
// them while it sleeps by asking NextTick for the ticks a session ticking at
// the tick rate since its start would have had.

// TickPeriod is the time between two ticks at the tick rate.
func (s *Session) TickPeriod() time.Duration { return time.Second / time.Duration(s.cfg.TickRate) }

// LastTick is when OnTick last ran, or the session's start. Loop only.
func (s *Session) LastTick() time.Time { return s.lastTick }

// GridTick is the first tick at or after t of a session ticking at the tick
// rate since its start. Loop only.
func (s *Session) GridTick(t time.Time) time.Time {
	if off := t.Sub(s.started) % s.TickPeriod(); off > 0 {
		return t.Add(s.TickPeriod() - off)
	}
	return t
}

// Earliest is the earlier of a and b, where the zero time means none: a
// Sleeper's NextTick folds what it waits for with it.
func Earliest(a, b time.Time) time.Time {
	if a.IsZero() || !b.IsZero() && b.Before(a) {
		return b
	}
	return a
}
