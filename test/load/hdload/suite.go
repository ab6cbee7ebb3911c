package hdload

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"
)

// Suite is what the hd command measures in one go, each run on fresh server
// processes:
//
//  1. Idle (race server only): the relay with Races pairs of joined, silent
//     sockets: what the sockets alone cost a server.
//  2. Steady: the race server (or the relay alone) with Races races at the
//     steady pace: hop to opponent, races held, errors, memory.
//  3. Saturate > 0: the relay, the fan-out relay (the race server's frames
//     for a hop, see Relay.FanOut), then the race server, with
//     SaturateRaces races whose players hop as fast as the opponent
//     receives: the hop throughput of each and their ratios.
type Suite struct {
	Steady Config
	// Ramp is every run's; 0 picks one per run (see ramp).
	Ramp          time.Duration
	Idle          bool
	Saturate      time.Duration
	SaturateRaces int
	// RelayOnly loads the relay alone (steps 2 and 3 against the relay).
	RelayOnly bool
	Server    ServerOptions
	// Self is this tool's executable: the relay runs as `Self serve-relay`.
	Self string
	Log  *slog.Logger
}

// DefaultSuite is a small steady run of Mega Frog Race as the bots play it
// (client/bot): 100 races of 5 hops (the track is 5 hops long), a hop every
// 4.25 s (a hop takes 4 s, and a bot presses again 250 ms after landing).
func DefaultSuite() Suite {
	return Suite{
		Steady: Config{
			Races: 100, Mode: ModeSteady, Countdown: 3 * time.Second, Settle: 2 * time.Second,
			Duration: 20 * time.Second, HopEvery: 4250 * time.Millisecond, MaxHopRate: 15, HopsPerRace: 5, RestartWithin: 2 * time.Second,
			DialConcurrency: 8, SocketsPerIP: 8, Timeout: 10 * time.Second,
		},
		Idle:   true,
		Server: ServerOptions{TickRate: 10},
	}
}

// Validate fills in the zero SaturateRaces, Server.RacesPerServer and ramp
// with their defaults and reports settings the suite cannot run.
func (s *Suite) Validate() error {
	if s.SaturateRaces == 0 {
		s.SaturateRaces = s.Steady.Races
	}
	if s.Server.RacesPerServer == 0 {
		// Room for the races starting while the ones they replace end.
		s.Server.RacesPerServer = s.Steady.Races + max(2, s.Steady.Races/8)
	}
	s.Steady.Ramp = s.ramp(s.Steady)
	var errs []error
	if err := s.Steady.Validate(); err != nil {
		errs = append(errs, err)
	}
	if s.Saturate < 0 || s.Saturate > maxWait {
		errs = append(errs, fmt.Errorf("saturate %v: want 0..%v", s.Saturate, maxWait))
	}
	if s.SaturateRaces < 1 || s.SaturateRaces > MaxRaces {
		errs = append(errs, fmt.Errorf("saturate races %d: want 1..%d", s.SaturateRaces, MaxRaces))
	}
	if s.Server.RacesPerServer < 2 {
		errs = append(errs, fmt.Errorf("races per server %d: a high-density server hosts at least 2", s.Server.RacesPerServer))
	}
	if need := max(s.Steady.Races, s.SaturateRaces); !s.RelayOnly && s.Server.RacesPerServer < need {
		errs = append(errs, fmt.Errorf("races per server %d is below the %d races played at once", s.Server.RacesPerServer, need))
	}
	if s.Server.TickRate < 1 || s.Server.TickRate > 1000 {
		errs = append(errs, fmt.Errorf("tick rate %d: want 1..1000", s.Server.TickRate))
	}
	if s.Self == "" || s.Log == nil {
		errs = append(errs, errors.New("the suite needs this tool's executable and a logger"))
	}
	return errors.Join(errs...)
}

// ramp is s.Ramp, or else 5 ms per race and at least 2 s; with races that
// end, at least a race's length, so that their starts and ends stay spread
// evenly over the window instead of coming in waves.
func (s Suite) ramp(c Config) time.Duration {
	if s.Ramp > 0 {
		return s.Ramp
	}
	r := max(2*time.Second, time.Duration(c.Races)*5*time.Millisecond)
	if c.Mode == ModeSteady && c.HopsPerRace > 0 {
		r = max(r, time.Duration(c.HopsPerRace)*c.HopEvery+c.Countdown)
	}
	return r
}

// Report is every run of a suite.
type Report struct {
	Idle, Steady, RelaySaturated, FanOutSaturated, RaceSaturated *Result
}

// Errors counts the players' failures of every run.
func (r Report) Errors() int64 {
	var n int64
	for _, res := range []*Result{r.Idle, r.Steady, r.RelaySaturated, r.FanOutSaturated, r.RaceSaturated} {
		if res != nil {
			n += res.ErrorCount()
		}
	}
	return n
}

// RunSuite runs s, printing each run's summary line to out as it ends and
// the derived figures at the end.
func RunSuite(ctx context.Context, s Suite, out io.Writer) (Report, error) {
	var rep Report
	if err := s.Validate(); err != nil {
		return rep, err
	}
	// Each process holds two sockets a race: the players here, the server there.
	files := uint64(2*max(s.Steady.Races, s.SaturateRaces) + 1024)
	if got, err := RaiseFileLimit(files); err != nil {
		return rep, err
	} else if got < files {
		return rep, fmt.Errorf("open files limit %d: %d races want about %d (ulimit -Hn)", got, max(s.Steady.Races, s.SaturateRaces), files)
	}
	s.Server.Self = s.Self
	if !s.RelayOnly && s.Server.Binary == "" {
		dir, err := os.MkdirTemp("", "hd-load-bin-")
		if err != nil {
			return rep, err
		}
		defer os.RemoveAll(dir)
		s.Log.Info("building the race server")
		if s.Server.Binary, err = BuildRaceServer(ctx, dir); err != nil {
			return rep, err
		}
	}
	relay := func() (Target, error) { return StartRelay(ctx, s.Self, 0) }
	fanOut := func() (Target, error) { return StartRelay(ctx, s.Self, time.Second/time.Duration(s.Server.TickRate)) }
	server := func(c Config) func() (Target, error) {
		return func() (Target, error) { return StartRaceServer(ctx, s.Server, c) }
	}
	steadyTarget := server(s.Steady)
	if s.RelayOnly {
		steadyTarget = relay
	}
	one := func(name string, start func() (Target, error), c Config) (*Result, error) {
		c.Ramp = s.ramp(c)
		s.Log.Info("run", "name", name, "races", c.Races, "mode", c.Mode, "ramp", c.Ramp, "window", c.Duration)
		t, err := start()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		res, err := Run(ctx, t, c)
		if cerr := t.Close(); err == nil && cerr != nil {
			s.Log.Warn("stop the server", "run", name, "err", cerr)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		fmt.Fprintln(out, res.Summary())
		for _, e := range res.Samples {
			fmt.Fprintln(out, "  example failure:", e)
		}
		return &res, nil
	}
	var err error
	if s.Idle && !s.RelayOnly {
		c := s.Steady
		c.Mode, c.Duration = ModeIdle, 2*time.Second
		if rep.Idle, err = one("idle sockets on the relay", relay, c); err != nil {
			return rep, err
		}
	}
	if rep.Steady, err = one("steady pace", steadyTarget, s.Steady); err != nil {
		return rep, err
	}
	if s.Saturate > 0 {
		c := s.Steady
		c.Mode, c.Races, c.Duration, c.HopsPerRace = ModeSaturate, s.SaturateRaces, s.Saturate, 0
		if rep.RelaySaturated, err = one("relay at saturation", relay, c); err != nil {
			return rep, err
		}
		if rep.FanOutSaturated, err = one("fan-out relay at saturation", fanOut, c); err != nil {
			return rep, err
		}
		if !s.RelayOnly {
			if rep.RaceSaturated, err = one("race server at saturation", server(c), c); err != nil {
				return rep, err
			}
		}
	}
	rep.print(out)
	return rep, nil
}

func (r Report) print(out io.Writer) {
	// Per race in at the end of the window (joined: lobby, countdown or
	// running), not per race asked for: under load some may still be joining.
	if st := r.Steady; st != nil && st.Target == "race" && st.Joined >= 2 {
		in := float64(st.Joined / 2)
		grown := float64(st.RSSEnd - st.RSSStart)
		fmt.Fprintf(out, "memory: race server grew %s with %.0f races in (%d sockets), %.1f KiB per race with its sockets",
			mib(int64(grown)), in, st.Joined, grown/1024/in)
		if id := r.Idle; id != nil && id.Joined > 0 {
			perSocket := float64(id.RSSEnd-id.RSSStart) / float64(id.Joined)
			fmt.Fprintf(out, "; the relay grew %s with %d idle joined sockets (%.1f KiB each): %.1f KiB per race beyond idle sockets",
				mib(id.RSSEnd-id.RSSStart), id.Joined, perSocket/1024, (grown-perSocket*float64(st.Joined))/1024/in)
		}
		fmt.Fprintln(out)
	}
	if a, b, f := r.RaceSaturated, r.RelaySaturated, r.FanOutSaturated; a != nil && b != nil && f != nil &&
		b.HopsPerSecond() > 0 && f.HopsPerSecond() > 0 {
		fmt.Fprintf(out, "throughput at saturation: race server %.0f hops/s, relay %.0f hops/s (ratio %.2f),"+
			" fan-out relay %.0f hops/s (ratio %.2f); server CPU per hop: race server %.1f us, relay %.1f us, fan-out relay %.1f us\n",
			a.HopsPerSecond(), b.HopsPerSecond(), a.HopsPerSecond()/b.HopsPerSecond(),
			f.HopsPerSecond(), a.HopsPerSecond()/f.HopsPerSecond(), a.cpuPerHop(), b.cpuPerHop(), f.cpuPerHop())
		fmt.Fprintf(out, "work per hop at saturation: frames to the players: race server %.2f, relay %.2f, fan-out relay %.2f;"+
			" server system calls (read+write): race server %s, relay %s, fan-out relay %s\n",
			a.perHop(a.Frames), b.perHop(b.Frames), f.perHop(f.Frames), a.syscallsPerHop(), b.syscallsPerHop(), f.syscallsPerHop())
	}
}

// perHop is n per hop delivered in the window.
func (r Result) perHop(n int64) float64 {
	if r.Latency.Count() == 0 {
		return 0
	}
	return float64(n) / float64(r.Latency.Count())
}

// syscallsPerHop is "reads+writes" per hop, or "unknown".
func (r Result) syscallsPerHop() string {
	if r.ServerReads < 0 {
		return "unknown"
	}
	return fmt.Sprintf("%.2f+%.2f", r.perHop(r.ServerReads), r.perHop(r.ServerWrites))
}

// cpuPerHop is the server's CPU time per hop delivered in the window, in µs.
func (r Result) cpuPerHop() float64 {
	if r.Latency.Count() == 0 {
		return 0
	}
	return float64(r.ServerCPU.Microseconds()) / float64(r.Latency.Count())
}
