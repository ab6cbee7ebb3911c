package hdload

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gorilla/websocket"

	"github.com/leapfrog-games/leapfrog/test/load/internal/loadstat"
)

// Mode is how the players play once their race has started.
type Mode string

// Modes.
const (
	// ModeIdle: pairs join and stay silent; the run measures what the
	// joined sockets cost the server.
	ModeIdle Mode = "idle"
	// ModeSteady: each player hops every HopEvery, from a random phase.
	ModeSteady Mode = "steady"
	// ModeSaturate: each player hops again as soon as its last hop reached
	// the opponent (closed loop), at most MaxHopRate times a second.
	ModeSaturate Mode = "saturate"
)

// Config is one run of the driver against one target.
type Config struct {
	Races int
	Mode  Mode
	// Ramp: each race's players join at a uniformly random time within it.
	Ramp time.Duration
	// Countdown is the time from both players being ready to the start: the
	// race server's own (it announces the start), or what the driver waits
	// for a target that does not.
	Countdown time.Duration
	// Settle is the wait after ramp and countdown, before measuring.
	Settle time.Duration
	// Duration is the measured window.
	Duration time.Duration
	// HopEvery is a player's pace in ModeSteady.
	HopEvery time.Duration
	// MaxHopRate caps each player's hops per second in ModeSaturate (the
	// race server closes a connection that sends faster than its input
	// budget, 20 a second by default).
	MaxHopRate float64
	// HopsPerRace ends a race once a frog has hopped this many times; then
	// its players leave and two new players start a new race within
	// RestartWithin. 0: races last the whole run.
	HopsPerRace   int
	RestartWithin time.Duration
	// DialConcurrency bounds the races whose two players are connecting at
	// once.
	DialConcurrency int
	// SocketsPerIP is how many sockets share one loopback source address
	// (127.1.x.y), as players come from many addresses.
	SocketsPerIP int
	// Timeout bounds every wait: to join, for the start, for a hop to reach
	// the opponent in ModeSaturate, for the end of a race.
	Timeout time.Duration
	// Seed makes the random start times and phases repeatable; 0 is random.
	Seed uint64
}

// Validate reports settings the driver cannot run.
func (c Config) Validate() error {
	var errs []error
	if c.Races < 1 || c.Races > MaxRaces {
		errs = append(errs, fmt.Errorf("races %d: want 1..%d", c.Races, MaxRaces))
	}
	switch c.Mode {
	case ModeIdle, ModeSteady, ModeSaturate:
	default:
		errs = append(errs, fmt.Errorf("mode %q: want idle, steady or saturate", c.Mode))
	}
	for _, d := range []struct {
		name string
		v    time.Duration
		min  time.Duration
	}{
		{"ramp", c.Ramp, 0}, {"countdown", c.Countdown, 0}, {"settle", c.Settle, 0}, {"restart-within", c.RestartWithin, 0},
		{"duration", c.Duration, time.Millisecond}, {"hop-every", c.HopEvery, time.Millisecond}, {"timeout", c.Timeout, time.Millisecond},
	} {
		if d.v < d.min || d.v > maxWait {
			errs = append(errs, fmt.Errorf("%s %v: want %v..%v", d.name, d.v, d.min, maxWait))
		}
	}
	if c.MaxHopRate <= 0 || c.MaxHopRate > 1000 {
		errs = append(errs, fmt.Errorf("max hop rate %v: want more than 0 and at most 1000 per second", c.MaxHopRate))
	}
	if c.HopsPerRace < 0 || c.HopsPerRace > 1_000_000 {
		errs = append(errs, fmt.Errorf("hops per race %d: want 0..1000000", c.HopsPerRace))
	}
	if c.DialConcurrency < 1 || c.DialConcurrency > 1024 {
		errs = append(errs, fmt.Errorf("dial concurrency %d: want 1..1024", c.DialConcurrency))
	}
	if c.SocketsPerIP < 1 || c.SocketsPerIP > 1<<16 {
		errs = append(errs, fmt.Errorf("sockets per IP %d: want 1..65536", c.SocketsPerIP))
	}
	return errors.Join(errs...)
}

// Bounds that keep a typo from starting a run without end.
const (
	// MaxRaces is 2 × 16,000 sockets: 127.1.0.0/16 has room for them.
	MaxRaces = 16_000
	maxWait  = 30 * time.Minute
)

// Result is what a run measured. Counts are over the measured window unless
// said otherwise.
type Result struct {
	Target string
	Mode   Mode
	Races  int
	Window time.Duration
	// Latency is hop to opponent: from a player's send of a hop to the
	// opponent's receipt of it.
	Latency *Histogram
	// Started and Finished count races whose start passed and races that
	// ended normally.
	Started, Finished int64
	// RacingMin and RacingMax bound the races running (started, not over)
	// at each one-second sample, HeldMin the races whose two players are in
	// (lobby, countdown or running); Joined is the sockets joined at the end.
	RacingMin, RacingMax, HeldMin, Joined int
	// Errors are every failure of the run (ramp included) by kind; Samples
	// a few of them in full. Busy counts dials the server answered 503
	// (too many handshakes) and that were retried.
	Errors  map[string]int64
	Samples []string
	Busy    int64
	// RSS of the server: before any player, at the end of the window, and
	// the most seen.
	RSSStart, RSSEnd, RSSMax int64
	// CPU time in the window: the server's, its sidecar's, the driver's
	// (the players) and everyone else's on the machine (-1 when unknown).
	ServerCPU, SidecarCPU, DriverCPU, OtherCPU time.Duration
	LoadAvg                                    [2]string
	// Frames is the frames the players received in the window;
	// ServerReads and ServerWrites the server's read and write system
	// calls (-1 when unknown).
	Frames                    int64
	ServerReads, ServerWrites int64
	// Scrape is one scrape of the server's /metrics at the end of the
	// window (targets that serve one); ScrapeErr why there is none.
	Scrape    ScrapeCost
	ScrapeErr error
}

// HopsPerSecond is the hops that reached the opponent per second of window.
func (r Result) HopsPerSecond() float64 {
	if r.Window <= 0 {
		return 0
	}
	return float64(r.Latency.Count()) / r.Window.Seconds()
}

// ErrorCount is the sum of Errors.
func (r Result) ErrorCount() int64 {
	var n int64
	for _, v := range r.Errors {
		n += v
	}
	return n
}

// Summary is the run on one line.
func (r Result) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "target=%s mode=%s races=%d sockets=%d window=%s", r.Target, r.Mode, r.Races, 2*r.Races, r.Window.Round(time.Millisecond))
	if r.Mode != ModeIdle {
		h := r.Latency
		fmt.Fprintf(&b, " hops=%d hops/s=%.0f hop_to_opponent_p50=%s p90=%s p99=%s max=%s", h.Count(), r.HopsPerSecond(),
			ms(h.Quantile(0.5)), ms(h.Quantile(0.9)), ms(h.Quantile(0.99)), ms(h.Max()))
		fmt.Fprintf(&b, " races_started=%d races_finished=%d held_min=%d racing_min=%d racing_max=%d", r.Started, r.Finished, r.HeldMin, r.RacingMin, r.RacingMax)
	} else {
		fmt.Fprintf(&b, " joined=%d", r.Joined)
	}
	fmt.Fprintf(&b, " errors=%s busy_retries=%d", loadstat.Counts(r.Errors), r.Busy)
	fmt.Fprintf(&b, " rss_start=%s rss_end=%s rss_max=%s", mib(r.RSSStart), mib(r.RSSEnd), mib(r.RSSMax))
	fmt.Fprintf(&b, " server_cpu=%.2fs (%.2f cores)", r.ServerCPU.Seconds(), r.ServerCPU.Seconds()/r.Window.Seconds())
	if r.Mode != ModeIdle {
		fmt.Fprintf(&b, " frames_to_players=%d", r.Frames)
		if r.ServerReads >= 0 {
			fmt.Fprintf(&b, " server_syscalls=read:%d,write:%d", r.ServerReads, r.ServerWrites)
		}
	}
	if r.SidecarCPU > 0 {
		fmt.Fprintf(&b, " sidecar_cpu=%.2fs", r.SidecarCPU.Seconds())
	}
	fmt.Fprintf(&b, " driver_cpu=%.2fs", r.DriverCPU.Seconds())
	if r.OtherCPU >= 0 {
		fmt.Fprintf(&b, " other_cpu=%.2fs", r.OtherCPU.Seconds())
	}
	if r.LoadAvg[0] != "" {
		fmt.Fprintf(&b, " loadavg=%s->%s", r.LoadAvg[0], r.LoadAvg[1])
	}
	if r.Scrape.Bytes > 0 {
		fmt.Fprintf(&b, " scrape_bytes=%d scrape_series=%d scrape_leapfrog_series=%d", r.Scrape.Bytes, r.Scrape.Series, r.Scrape.LeapfrogSeries)
	} else if r.ScrapeErr != nil {
		fmt.Fprintf(&b, " scrape_error=%q", r.ScrapeErr)
	}
	return b.String()
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/1e6) }

func mib(n int64) string { return fmt.Sprintf("%.1fMiB", float64(n)/(1<<20)) }

// driver is one run's shared state; races and their readers report here.
type driver struct {
	t     Target
	cfg   Config
	epoch time.Time
	stop  chan struct{}
	// measuring closes when the window starts: races at saturation wait for
	// it, so that the ramp is not slowed by the races already in.
	measuring chan struct{}
	// dialing holds one token per race whose players are connecting.
	dialing chan struct{}
	pool    websocket.BufferPool

	hist                      atomic.Pointer[Histogram]
	started, finished, joined atomic.Int64
	frames                    atomic.Int64 // read by the players
	racing, busy              atomic.Int64
	stopping                  atomic.Bool

	mu      sync.Mutex
	errors  map[string]int64
	samples []string
}

// Run plays cfg against t: races join over the ramp, play, and are measured
// over the window; then every player leaves. It returns an error only when
// the run could not be made (the target died, ctx ended); failures of
// players are counted in Result.Errors.
func Run(ctx context.Context, t Target, cfg Config) (Result, error) {
	if err := cfg.Validate(); err != nil {
		return Result{}, err
	}
	res := Result{Target: t.Name(), Mode: cfg.Mode, Races: cfg.Races, RacingMin: -1, HeldMin: -1}
	var err error
	if res.RSSStart, err = loadstat.ResidentBytes(t.PID()); err != nil {
		return res, err
	}
	seed := cfg.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	d := &driver{
		t: t, cfg: cfg, epoch: time.Now(), stop: make(chan struct{}), measuring: make(chan struct{}),
		dialing: make(chan struct{}, cfg.DialConcurrency), pool: &sync.Pool{},
		errors: map[string]int64{},
	}
	d.hist.Store(&Histogram{}) // the ramp's: dropped
	rng := rand.New(rand.NewPCG(seed, 0))
	var wg sync.WaitGroup
	for slot := range cfg.Races {
		at := d.epoch.Add(time.Duration(rng.Int64N(int64(cfg.Ramp) + 1)))
		wg.Go(func() { d.slot(ctx, slot, at, rand.New(rand.NewPCG(seed, uint64(slot)+1))) })
	}
	defer func() {
		d.stopping.Store(true)
		close(d.stop)
		wg.Wait()
	}()

	// Warm up: past the ramp, the countdown and the settle time, and, when
	// races last the run, until every race is joined (idle) or running, for
	// at most the timeout more.
	warm := d.epoch.Add(cfg.Ramp + cfg.Settle)
	if cfg.Mode != ModeIdle {
		warm = warm.Add(cfg.Countdown)
	}
	for time.Now().Before(warm) || (!d.allIn() && time.Since(warm) < cfg.Timeout) {
		if err := d.pause(ctx, t, 100*time.Millisecond); err != nil {
			return res, err
		}
	}

	window := &Histogram{}
	started0, finished0 := d.started.Load(), d.finished.Load()
	cpu0, side0, self0, busy0 := processCPU(t.PID()), processCPU(t.SidecarPID()), loadstat.SelfCPU(), loadstat.MachineBusy()
	reads0, writes0, sysErr := loadstat.Syscalls(t.PID())
	frames0 := d.frames.Load()
	res.LoadAvg[0] = loadstat.LoadAverage()
	d.hist.Store(window)
	close(d.measuring)
	start := time.Now()
	for {
		racing := int(d.racing.Load())
		if res.RacingMin < 0 || racing < res.RacingMin {
			res.RacingMin = racing
		}
		res.RacingMax = max(res.RacingMax, racing)
		if held := int(d.joined.Load() / 2); res.HeldMin < 0 || held < res.HeldMin {
			res.HeldMin = held
		}
		if rss, err := loadstat.ResidentBytes(t.PID()); err == nil {
			res.RSSEnd, res.RSSMax = rss, max(res.RSSMax, rss)
		}
		left := cfg.Duration - time.Since(start)
		if left <= 0 {
			break
		}
		if err := d.pause(ctx, t, min(left, time.Second)); err != nil {
			return res, err
		}
	}
	d.hist.Store(&Histogram{}) // after the window: dropped
	res.Window = time.Since(start)
	res.Latency = window
	res.Started, res.Finished = d.started.Load()-started0, d.finished.Load()-finished0
	res.Joined = int(d.joined.Load())
	res.ServerCPU, res.SidecarCPU = processCPU(t.PID())-cpu0, processCPU(t.SidecarPID())-side0
	res.DriverCPU = loadstat.SelfCPU() - self0
	res.Frames = d.frames.Load() - frames0
	res.ServerReads, res.ServerWrites = -1, -1
	if reads1, writes1, err := loadstat.Syscalls(t.PID()); sysErr == nil && err == nil {
		res.ServerReads, res.ServerWrites = reads1-reads0, writes1-writes0
	}
	res.OtherCPU = -1
	if busy1 := loadstat.MachineBusy(); busy0 >= 0 && busy1 >= 0 {
		res.OtherCPU = max(0, busy1-busy0-res.ServerCPU-res.SidecarCPU-res.DriverCPU)
	}
	res.LoadAvg[1] = loadstat.LoadAverage()
	res.Busy = d.busy.Load()
	if m, ok := t.(interface{ MetricsURL() string }); ok {
		// What one Prometheus scrape of the server costs with its races
		// still running.
		res.Scrape, res.ScrapeErr = scrape(ctx, m.MetricsURL())
	}
	d.mu.Lock()
	res.Errors, res.Samples = d.errors, d.samples
	d.errors = map[string]int64{} // what fails while everyone leaves does not count
	d.mu.Unlock()
	return res, nil
}

// allIn reports whether every race is where it stays for the whole run:
// joined (idle) or running (races that do not end). Races that end and
// restart are never all in.
func (d *driver) allIn() bool {
	switch {
	case d.cfg.Mode == ModeIdle:
		return d.joined.Load() >= int64(2*d.cfg.Races)
	case d.cfg.HopsPerRace == 0:
		return d.racing.Load() >= int64(d.cfg.Races)
	}
	return true
}

// processCPU is pid's CPU time, or 0 (no pid, or it is gone).
func processCPU(pid int) time.Duration {
	if pid == 0 {
		return 0
	}
	d, err := loadstat.ProcessCPU(pid)
	if err != nil {
		return 0
	}
	return d
}

// pause waits d, or returns why the run cannot go on.
func (d *driver) pause(ctx context.Context, t Target, wait time.Duration) error {
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-time.After(wait):
	}
	return t.Check()
}

// fail counts a player's failure of kind, unless the run is stopping.
func (d *driver) fail(kind string, err error) {
	if d.stopping.Load() {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.errors[kind]++
	if len(d.samples) < 5 {
		d.samples = append(d.samples, fmt.Sprintf("%s: %v", kind, err))
	}
}

func (d *driver) stopped() bool {
	select {
	case <-d.stop:
		return true
	default:
		return false
	}
}

// sleepUntil waits until at; false when the run stops first.
func (d *driver) sleepUntil(ctx context.Context, at time.Time) bool {
	t := time.NewTimer(time.Until(at))
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-d.stop:
		return false
	case <-ctx.Done():
		return false
	}
}

// slot plays races one after the other on one pair of player places: the
// first from at, the next ones after a random pause.
func (d *driver) slot(ctx context.Context, slot int, at time.Time, rng *rand.Rand) {
	for gen := 0; ; gen++ {
		if !d.sleepUntil(ctx, at) {
			return
		}
		ok := d.race(ctx, slot, fmt.Sprintf("r%d-%d", slot, gen), rng)
		pause := time.Duration(rng.Int64N(int64(d.cfg.RestartWithin) + 1))
		if !ok {
			pause += time.Second // a failing server is not hammered
		}
		at = time.Now().Add(pause)
	}
}

// raceRun is one race as its two players' readers see it.
type raceRun struct {
	id     string
	events chan playerEvent
	done   chan struct{} // closed when the race's goroutine is gone
	// stamps[lane][seq%len] is when lane sent hop seq, in ns since epoch.
	stamps [2][stampRing]stamp
	// delivered[lane] holds the last hop of lane the opponent received.
	delivered [2]chan int64
	// seen[lane] is the last hop of lane the opponent received; only the
	// opponent's reader touches it.
	seen [2]int64
}

const stampRing = 64

type stamp struct{ seq, at atomic.Int64 }

type playerEvent struct {
	player int
	Event
	closed error // set when the socket closed or failed
}

// post hands a reader's event to the race unless the race is over.
func (r *raceRun) post(e playerEvent) {
	select {
	case r.events <- e:
	case <-r.done:
	}
}

type player struct {
	index int
	lane  atomic.Int64 // -1 until joined
	ws    *websocket.Conn
}

// race plays one race; it reports false when it failed.
func (d *driver) race(ctx context.Context, slot int, id string, rng *rand.Rand) bool {
	r := &raceRun{id: id, events: make(chan playerEvent, 16), done: make(chan struct{})}
	for i := range r.delivered {
		r.delivered[i] = make(chan int64, 1)
	}
	var players [2]*player
	defer func() {
		close(r.done)
		for _, p := range players {
			if p != nil {
				_ = p.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
				_ = p.ws.Close()
			}
		}
	}()
	// Both players connect back to back: a server that pairs them (the
	// relay) waits for the second only so long.
	select {
	case d.dialing <- struct{}{}:
	case <-d.stop:
		return false
	}
	for i := range players {
		hello, err := d.t.Hello(id, i)
		if err != nil {
			<-d.dialing
			d.fail("hello", err)
			return false
		}
		ws, err := d.dial(ctx, 2*slot+i, hello)
		if err != nil {
			<-d.dialing
			if !d.stopped() {
				d.fail("dial", err)
			}
			return false
		}
		p := &player{index: i, ws: ws}
		p.lane.Store(-1)
		players[i] = p
		go d.read(r, p)
	}
	<-d.dialing
	deadline := time.Now().Add(d.cfg.Timeout)
	for joined := 0; joined < 2; {
		e, ok := d.next(r, deadline, "join")
		if !ok {
			return false
		}
		if e.Kind == EventJoined {
			joined++
		}
	}
	d.joined.Add(2)
	defer d.joined.Add(-2)
	if d.cfg.Mode == ModeIdle {
		_, ok := d.next(r, time.Now().Add(maxWait), "idle")
		return ok
	}
	lanes := [2]int{int(players[0].lane.Load()), int(players[1].lane.Load())}
	if lanes[0] == lanes[1] || lanes[0] < 0 || lanes[0] > 1 || lanes[1] < 0 || lanes[1] > 1 {
		d.fail("lanes", fmt.Errorf("race %s: players got lanes %v", id, lanes))
		return false
	}
	if ready := d.t.SceneReady(); ready != nil {
		for _, p := range players {
			if err := d.write(p, ready); err != nil {
				d.fail("write", err)
				return false
			}
		}
	}
	startAt := time.Now().Add(d.cfg.Countdown)
	if d.t.AnnouncesStart() {
		deadline := time.Now().Add(d.cfg.Countdown + d.cfg.Timeout)
		for {
			e, ok := d.next(r, deadline, "start")
			if !ok {
				return false
			}
			if e.Kind == EventStart {
				startAt = e.At
				break
			}
		}
	}
	// The server's clock is this machine's: hop a little after the start so
	// that no press lands before it.
	startAt = startAt.Add(2 * time.Millisecond)
	d.started.Add(1)
	if !d.wait(r, startAt) {
		return false
	}
	d.racing.Add(1)
	defer d.racing.Add(-1)
	if d.cfg.Mode == ModeSaturate && !waitFor(d, r, d.measuring) {
		return false
	}
	ok := d.hop(r, players, lanes, rng)
	if ok {
		d.finished.Add(1)
	}
	return ok
}

// next waits for the race's next lifecycle event until deadline; a refusal,
// a closed socket or the deadline fail the race (what is waited for names
// the timeout). ok is false when the race cannot go on.
func (d *driver) next(r *raceRun, deadline time.Time, what string) (playerEvent, bool) {
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	select {
	case e := <-r.events:
		return e, d.check(r, e)
	case <-t.C:
		d.fail("timeout-"+what, fmt.Errorf("race %s: no %s within the timeout", r.id, what))
	case <-d.stop:
	}
	return playerEvent{}, false
}

// check counts a failure event; it reports whether the race goes on.
func (d *driver) check(r *raceRun, e playerEvent) bool {
	switch {
	case e.closed != nil:
		d.fail("closed", fmt.Errorf("race %s player %d: %w", r.id, e.player, e.closed))
		return false
	case e.Kind == EventRefused:
		d.fail("refused-"+e.Text, fmt.Errorf("race %s player %d: %s", r.id, e.player, e.Text))
		return false
	}
	return true
}

// wait sleeps until at, watching the race's events.
func (d *driver) wait(r *raceRun, at time.Time) bool {
	t := time.NewTimer(time.Until(at))
	defer t.Stop()
	return waitFor(d, r, t.C)
}

// waitFor waits for ch, watching the race's events; false when the race
// failed or the run stops first.
func waitFor[T any](d *driver, r *raceRun, ch <-chan T) bool {
	for {
		select {
		case <-ch:
			return true
		case e := <-r.events:
			if !d.check(r, e) {
				return false
			}
		case <-d.stop:
			return false
		}
	}
}

// hop plays the race: lanes[i] is player i's lane. It returns when the
// race is over (true), failed or the run stops (false).
func (d *driver) hop(r *raceRun, players [2]*player, lanes [2]int, rng *rand.Rand) bool {
	var (
		sent, acked [2]int64
		next        [2]time.Time // steady: the next hop's time
		last        [2]time.Time // the last hop's send
		buf         []byte
		gap         = time.Duration(float64(time.Second) / d.cfg.MaxHopRate)
		limit       = int64(d.cfg.HopsPerRace)
	)
	now := time.Now()
	for i := range next {
		next[i] = now.Add(time.Duration(rng.Int64N(int64(d.cfg.HopEvery))))
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	var endBy time.Time // once every hop is sent: the end must come by then
	for {
		now = time.Now()
		wake := now.Add(time.Hour)
		for i, p := range players {
			lane := lanes[i]
			if limit > 0 && sent[i] >= limit {
				continue
			}
			var due time.Time
			switch d.cfg.Mode {
			case ModeSteady:
				due = next[i]
			case ModeSaturate:
				if acked[lane] < sent[i] {
					if stall := last[i].Add(d.cfg.Timeout); !now.Before(stall) {
						d.fail("timeout-hop", fmt.Errorf("race %s lane %d: hop %d did not reach the opponent within %v", r.id, lane, sent[i], d.cfg.Timeout))
						return false
					} else if stall.Before(wake) {
						wake = stall
					}
					continue
				}
				due = last[i].Add(gap)
			}
			if now.Before(due) {
				if due.Before(wake) {
					wake = due
				}
				continue
			}
			sent[i]++
			st := &r.stamps[lane][sent[i]%stampRing]
			st.at.Store(int64(now.Sub(d.epoch)))
			st.seq.Store(sent[i])
			buf = d.t.AppendHop(buf[:0], lane, sent[i])
			if err := d.write(p, buf); err != nil {
				// The server may have ended the race and closed the socket
				// while this hop was due: then its result is waiting.
				if d.over(r) {
					return true
				}
				d.fail("write", err)
				return false
			}
			last[i] = now
			if next[i] = next[i].Add(d.cfg.HopEvery); next[i].Before(now) {
				next[i] = now.Add(d.cfg.HopEvery) // late: keep the pace, do not burst
			}
			wake = now // look again: the other lane may be due too
		}
		if limit > 0 && sent[0] >= limit && sent[1] >= limit {
			if !d.t.EndsRaces() && acked[lanes[0]] >= limit && acked[lanes[1]] >= limit {
				return true
			}
			if endBy.IsZero() {
				endBy = now.Add(d.cfg.Timeout)
			}
			if !now.Before(endBy) {
				d.fail("timeout-over", fmt.Errorf("race %s: not over %v after the last hop", r.id, d.cfg.Timeout))
				return false
			}
			wake = endBy
		}
		if !wake.After(now) {
			continue
		}
		timer.Reset(wake.Sub(now))
		select {
		case <-timer.C:
		case seq := <-r.delivered[0]:
			acked[0] = max(acked[0], seq)
		case seq := <-r.delivered[1]:
			acked[1] = max(acked[1], seq)
		case e := <-r.events:
			if e.Kind == EventOver && e.closed == nil {
				return true
			}
			if !d.check(r, e) {
				return false
			}
		case <-d.stop:
			return false
		}
		timer.Stop()
	}
}

// write sends one frame as the player's only writer.
func (d *driver) write(p *player, b []byte) error {
	_ = p.ws.SetWriteDeadline(time.Now().Add(d.cfg.Timeout))
	return p.ws.WriteMessage(websocket.BinaryMessage, b)
}

// over reports whether the race's result is among its pending events: a
// reader posts it before it sees the close that follows.
func (d *driver) over(r *raceRun) bool {
	for {
		select {
		case e := <-r.events:
			if e.Kind == EventOver && e.closed == nil {
				return true
			}
		default:
			return false
		}
	}
}

// read is a player's only reader: hops of the opponent are timed here, the
// rest goes to the race.
func (d *driver) read(r *raceRun, p *player) {
	var buf bytes.Buffer
	for {
		_, rd, err := p.ws.NextReader()
		if err == nil {
			buf.Reset()
			_, err = buf.ReadFrom(rd)
		}
		now := time.Now()
		if err != nil {
			r.post(playerEvent{player: p.index, closed: err})
			return
		}
		d.frames.Add(1)
		e, err := d.t.Parse(buf.Bytes())
		if err != nil {
			d.fail("frame", fmt.Errorf("race %s player %d: %w", r.id, p.index, err))
			continue
		}
		switch e.Kind {
		case EventNone:
		case EventHop:
			if int64(e.Lane) != p.lane.Load() && e.Lane >= 0 && e.Lane < 2 {
				d.delivered(r, e.Lane, e.Seq, now)
			}
		case EventJoined:
			if e.Lane < 0 {
				e.Lane = p.index
			}
			p.lane.Store(int64(e.Lane))
			r.post(playerEvent{player: p.index, Event: e})
		default:
			r.post(playerEvent{player: p.index, Event: e})
		}
	}
}

// delivered times hop seq of lane, received at now by the opponent.
func (d *driver) delivered(r *raceRun, lane int, seq int64, now time.Time) {
	st := &r.stamps[lane][seq%stampRing]
	if st.seq.Load() != seq {
		d.fail("mismatch", fmt.Errorf("race %s: lane %d hop %d reached the opponent but was not sent (or long ago)", r.id, lane, seq))
		return
	}
	d.hist.Load().Record(now.Sub(d.epoch) - time.Duration(st.at.Load()))
	if last := r.seen[lane]; seq != last+1 {
		d.fail("gap", fmt.Errorf("race %s: lane %d hop %d reached the opponent after hop %d", r.id, lane, seq, last))
	}
	r.seen[lane] = max(r.seen[lane], seq)
	ch := r.delivered[lane]
	for { // keep only the latest; this reader is the only sender
		select {
		case ch <- seq:
			return
		default:
		}
		select {
		case <-ch:
		default:
		}
	}
}

// dial opens player socket number sock from its own loopback address and
// sends hello; a server busy with handshakes (503) is asked again.
func (d *driver) dial(ctx context.Context, sock int, hello []byte) (*websocket.Conn, error) {
	n := sock / d.cfg.SocketsPerIP
	src := &net.TCPAddr{IP: net.IPv4(127, 1, byte(n/250), byte(n%250+1))}
	dialer := &websocket.Dialer{
		NetDialContext:   (&net.Dialer{LocalAddr: src, Timeout: d.cfg.Timeout, Control: bindAddressOnly}).DialContext,
		HandshakeTimeout: d.cfg.Timeout,
		ReadBufferSize:   1024,
		WriteBufferSize:  1024,
		WriteBufferPool:  d.pool,
	}
	for attempt := 0; ; attempt++ {
		ws, resp, err := dialer.DialContext(ctx, d.t.URL(), nil)
		if resp != nil && resp.Body != nil {
			resp.Body.Close()
		}
		if err != nil {
			if resp != nil && resp.StatusCode == http.StatusServiceUnavailable && attempt < 100 && !d.stopped() {
				d.busy.Add(1)
				time.Sleep(time.Duration(20+rand.IntN(50)) * time.Millisecond)
				continue
			}
			if resp != nil {
				return nil, fmt.Errorf("HTTP %d: %w", resp.StatusCode, err)
			}
			return nil, err
		}
		ws.SetReadLimit(1 << 20)
		_ = ws.SetWriteDeadline(time.Now().Add(d.cfg.Timeout))
		if err := ws.WriteMessage(websocket.BinaryMessage, hello); err != nil {
			ws.Close()
			return nil, fmt.Errorf("send hello: %w", err)
		}
		return ws, nil
	}
}

// ipBindAddressNoPort is IP_BIND_ADDRESS_NO_PORT (linux/in.h).
const ipBindAddressNoPort = 0x18

// bindAddressOnly makes bind take only the source address and leave the
// port to connect. A bind to port 0 searches the ephemeral ports under a
// kernel lock; with thousands of sockets and races starting all the time,
// that search held up every loopback packet for tens of milliseconds, and
// hop latency with it.
func bindAddressOnly(_, _ string, c syscall.RawConn) error {
	var serr error
	if err := c.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IP, ipBindAddressNoPort, 1)
	}); err != nil {
		return err
	}
	if serr != nil {
		return fmt.Errorf("set IP_BIND_ADDRESS_NO_PORT: %w", serr)
	}
	return nil
}
