package reach

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"
)

// Verdict is what a Prober knows of a server.
type Verdict string

// The verdicts.
const (
	// Unknown: never probed, the probe was refused by the rate limit, or
	// the server was never reached (see Prober).
	Unknown Verdict = "unknown"
	// Reachable: the last probe connected.
	Reachable Verdict = "reachable"
	// Unreachable: the last probe failed, and an earlier one had connected.
	Unreachable Verdict = "unreachable"
)

// Defaults of Config.
const (
	DefaultTimeout = time.Second
	DefaultFresh   = time.Second
	DefaultRate    = 20
	DefaultBurst   = 40
)

// Target is a game server to probe: its name (the key of what is known)
// and the address and port its players connect to.
type Target struct {
	Name, Address string
	Port          int32
}

// Config configures a Prober. Zero values take the defaults.
type Config struct {
	// Timeout bounds one probe (a TCP dial).
	Timeout time.Duration
	// Fresh is how long a probe's answer is reused: asking players share
	// one probe per server and period.
	Fresh time.Duration
	// Rate and Burst bound the probes per second in all, whoever asks: no
	// client can make the allocator scan the fleet.
	Rate  float64
	Burst int
	// Dial connects; nil means a net.Dialer.
	Dial func(ctx context.Context, network, address string) (net.Conn, error)
	// Now is the clock of Fresh and of the rate limit; nil means time.Now.
	Now func() time.Time
}

// Prober probes game servers with a TCP dial to their port: a process
// killed (SIGKILL, a crash, OOM) leaves no listener, and the dial is
// refused at once; a node gone times out. At most one probe per server is
// in flight, and its answer is reused for Config.Fresh.
//
// A failed probe of a server no probe ever reached is Unknown, not
// Unreachable: an allocator without a route to the servers' addresses
// (players may have one that it does not) must never take the whole fleet
// out of placement. Safe for concurrent use.
type Prober struct {
	cfg    Config
	limit  *rate.Limiter
	probes *prometheus.CounterVec

	mu      sync.Mutex
	servers map[string]*state
}

// state is what is known of one server.
type state struct {
	verdict Verdict
	at      time.Time // when the last probe ended
	reached bool      // a probe has connected once
	// inflight is closed when the running probe ends; nil when none runs.
	inflight chan struct{}
}

// New checks cfg and returns a Prober; its metrics go to reg (nil: not
// exported).
func New(cfg Config, reg prometheus.Registerer) (*Prober, error) {
	if cfg.Timeout < 0 || cfg.Fresh < 0 || cfg.Rate < 0 || cfg.Burst < 0 {
		return nil, fmt.Errorf("reach: timeout %v, fresh %v, rate %v and burst %d must not be negative", cfg.Timeout, cfg.Fresh, cfg.Rate, cfg.Burst)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Fresh == 0 {
		cfg.Fresh = DefaultFresh
	}
	if cfg.Rate == 0 {
		cfg.Rate = DefaultRate
	}
	if cfg.Burst == 0 {
		cfg.Burst = DefaultBurst
	}
	if cfg.Dial == nil {
		cfg.Dial = (&net.Dialer{}).DialContext
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	p := &Prober{
		cfg: cfg, limit: rate.NewLimiter(rate.Limit(cfg.Rate), cfg.Burst), servers: make(map[string]*state),
		probes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leapfrog_allocator_server_probes_total",
			Help: "Reachability probes of game servers (a TCP dial to their port) by result: reachable, unreachable, unknown (failed, never reached before) or limited (not sent: over the rate limit).",
		}, []string{"result"}),
	}
	for _, r := range []string{string(Reachable), string(Unreachable), string(Unknown), resultLimited} {
		p.probes.WithLabelValues(r)
	}
	if reg != nil {
		if err := reg.Register(p.probes); err != nil {
			return nil, fmt.Errorf("reach: register metrics: %w", err)
		}
	}
	return p, nil
}

// resultLimited is the probes counter's label of a probe not sent.
const resultLimited = "limited"

// Check returns what is known of t: it probes t first unless a probe of t
// ended within Fresh, and waits for the probe (its own or another caller's)
// until it ends or ctx does. Over the rate limit no probe is sent, and the
// last answer stands.
func (p *Prober) Check(ctx context.Context, t Target) Verdict {
	done := p.start(t)
	if done != nil {
		select {
		case <-done:
		case <-ctx.Done():
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if st := p.servers[t.Name]; st != nil && st.verdict != "" {
		return st.verdict
	}
	return Unknown
}

// start begins a probe of t if none runs and the last is stale; it returns
// the channel of the probe under way, nil if none.
func (p *Prober) start(t Target) <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := p.servers[t.Name]
	if st == nil {
		st = &state{}
		p.servers[t.Name] = st
	}
	now := p.cfg.Now()
	if st.inflight != nil || (!st.at.IsZero() && now.Sub(st.at) < p.cfg.Fresh) {
		return st.inflight
	}
	if !p.limit.AllowN(now, 1) {
		p.probes.WithLabelValues(resultLimited).Inc()
		return nil
	}
	st.inflight = make(chan struct{})
	go p.probe(t, st, st.inflight)
	return st.inflight
}

// probe dials t once and records the answer in st.
func (p *Prober) probe(t Target, st *state, done chan struct{}) {
	ctx, cancel := context.WithTimeout(context.Background(), p.cfg.Timeout)
	conn, err := p.cfg.Dial(ctx, "tcp", net.JoinHostPort(t.Address, strconv.Itoa(int(t.Port))))
	cancel()
	if err == nil {
		_ = conn.Close() // the connection is the answer: a close error says nothing more
	}
	p.mu.Lock()
	st.at, st.inflight = p.cfg.Now(), nil
	switch {
	case err == nil:
		st.verdict, st.reached = Reachable, true
	case st.reached:
		st.verdict = Unreachable
	default:
		st.verdict = Unknown
	}
	verdict := st.verdict
	p.mu.Unlock()
	p.probes.WithLabelValues(string(verdict)).Inc()
	close(done)
}

// Forget drops what is known of the server: a server out of placement for
// good (deleted, its lease dropped) is not probed again.
func (p *Prober) Forget(name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.servers, name)
}
