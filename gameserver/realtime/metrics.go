package realtime

import (
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the framework's Prometheus metrics. One Metrics serves every
// session of a process; a nil *Metrics records nothing.
type Metrics struct {
	playersConnected prometheus.Gauge
	sessionsActive   prometheus.Gauge
	sessionsStarted  prometheus.Counter
	sessionsEnded    *prometheus.CounterVec
	tickDuration     prometheus.Histogram
	messages         *prometheus.CounterVec
	rejections       *prometheus.CounterVec
	noShows          prometheus.Counter
	panics           *prometheus.CounterVec
	unroutables      *prometheus.CounterVec
	datagrams        *prometheus.CounterVec
	datagramDrops    *prometheus.CounterVec

	// in and out count messages by op code, the first maxOpCodes op codes
	// of each direction with a label value of their own.
	in    opCounters
	out   opCounters
	inBad prometheus.Counter
}

// maxOpCodes bounds the op_code label values of each direction. A game's
// own op codes are few, but relayed messages, and every message of a script
// game, are counted under whatever op code the client sent: a label value
// per op code would let one client grow the server's series without end.
// Op codes past the first maxOpCodes seen count as op_code="other".
const maxOpCodes = 64

// opCounters are one direction's message counters by op code.
type opCounters struct {
	cache sync.Map // int32 -> prometheus.Counter; read without a lock on every message
	size  atomic.Int32
	mu    sync.Mutex // adds to cache
	other prometheus.Counter
}

// NewMetrics creates the metrics and registers them on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		playersConnected: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "leapfrog_realtime_players_connected", Help: "Players with a live connection.",
		}),
		sessionsActive: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "leapfrog_realtime_sessions_active", Help: "Game sessions running.",
		}),
		sessionsStarted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "leapfrog_realtime_sessions_started_total", Help: "Game sessions started.",
		}),
		sessionsEnded: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leapfrog_realtime_sessions_ended_total", Help: "Game sessions ended, by outcome.",
		}, []string{"outcome"}),
		tickDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "leapfrog_realtime_tick_duration_seconds", Help: "Time one session tick took.",
			Buckets: []float64{1e-6, 5e-6, 2e-5, 1e-4, 5e-4, 2e-3, 1e-2, 5e-2},
		}),
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leapfrog_realtime_messages_total", Help: "Game messages by direction (in, out) and op code; unhandled op codes count as op_code=\"unknown\", and op codes past the first 64 of a direction as op_code=\"other\".",
		}, []string{"direction", "op_code"}),
		rejections: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leapfrog_realtime_connection_rejections_total", Help: "Connections refused, by reason (bad_token, expired_token, wrong_server, not_reserved, session_full, server_full, server_closed, race_claim, rejected, game_failed, closed, token_used, malformed_frame, oversized_frame, handshake_timeout, handshake_slot_taken (a newcomer took the slot of a connection that sent nothing), shutting_down, rate_limited, busy, too_many_connections, too_many_connections_per_ip, bad_relay_credential (counted against the peer, not refused)).",
		}, []string{"reason"}),
		noShows: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "leapfrog_realtime_no_shows_total", Help: "Reserved places freed because the player never connected.",
		}),
		panics: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leapfrog_realtime_panics_total", Help: "Panics recovered, by where (session: the game, which ended its session; connection, handshake, dtls_session: one connection or DTLS session, which was closed; datagram: one fast-channel datagram, which was dropped; place_freed: the platform's callback for a freed place, and the session played on).",
		}, []string{"where"}),
		unroutables: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leapfrog_realtime_unroutable_messages_total", Help: "Messages a player addressed to a peer or group that were not relayed, by reason (no_relay: the game does not relay; no_peer: no such peer). The sender got CODE_INVALID_TARGET (a GameLift client has no error packet and sees nothing).",
		}, []string{"reason"}),
		datagrams: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leapfrog_realtime_datagrams_total", Help: "UDP datagrams (DTLS records, with DTLS) of the GameLift Realtime fast channel, by direction (in: every datagram read; out: every one sent).",
		}, []string{"direction"}),
		datagramDrops: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leapfrog_realtime_datagrams_dropped_total", Help: "UDP datagrams of the fast channel dropped, by reason (oversized, rate_limited, malformed, unknown_source, unknown_peer, ambiguous_peer, address_taken, queue_full, refused, oversized_out, write_failed; with DTLS also handshake_limited, handshake_failed, unverified, identity_refused; panicked: its handling panicked, see leapfrog_realtime_panics_total).",
		}, []string{"reason"}),
	}
	m.inBad = m.messages.WithLabelValues("in", "unknown")
	m.in.other = m.messages.WithLabelValues("in", "other")
	m.out.other = m.messages.WithLabelValues("out", "other")
	reg.MustRegister(m.playersConnected, m.sessionsActive, m.sessionsStarted, m.sessionsEnded,
		m.tickDuration, m.messages, m.rejections, m.noShows, m.panics, m.unroutables, m.datagrams, m.datagramDrops)
	return m
}

func (m *Metrics) counter(oc *opCounters, dir string, op int32) prometheus.Counter {
	if c, ok := oc.cache.Load(op); ok {
		return c.(prometheus.Counter)
	}
	if oc.size.Load() >= maxOpCodes {
		return oc.other
	}
	oc.mu.Lock()
	defer oc.mu.Unlock()
	if c, ok := oc.cache.Load(op); ok {
		return c.(prometheus.Counter)
	}
	if oc.size.Load() >= maxOpCodes {
		return oc.other
	}
	c := m.messages.WithLabelValues(dir, strconv.Itoa(int(op)))
	oc.cache.Store(op, c)
	oc.size.Add(1)
	return c
}

func (m *Metrics) messageIn(op int32, handled bool) {
	if m == nil {
		return
	}
	if !handled {
		m.inBad.Inc()
		return
	}
	m.counter(&m.in, "in", op).Inc()
}

func (m *Metrics) messageOut(op int32) {
	if m != nil {
		m.counter(&m.out, "out", op).Inc()
	}
}

func (m *Metrics) playerConnected() {
	if m != nil {
		m.playersConnected.Inc()
	}
}

func (m *Metrics) playerDisconnected() {
	if m != nil {
		m.playersConnected.Dec()
	}
}

func (m *Metrics) sessionStarted() {
	if m != nil {
		m.sessionsStarted.Inc()
		m.sessionsActive.Inc()
	}
}

func (m *Metrics) sessionEnded(outcome string) {
	if m != nil {
		m.sessionsActive.Dec()
		m.sessionsEnded.WithLabelValues(outcome).Inc()
	}
}

func (m *Metrics) observeTick(d time.Duration) {
	if m != nil {
		m.tickDuration.Observe(d.Seconds())
	}
}

func (m *Metrics) rejected(reason string) {
	if m != nil {
		m.rejections.WithLabelValues(reason).Inc()
	}
}

func (m *Metrics) noShow() {
	if m != nil {
		m.noShows.Inc()
	}
}

// Recovered counts a panic recovered on a goroutine outside this package
// that handles one client's input (where: dtls_session, the GameLift fast
// channel's DTLS session, which is closed; datagram, one of its datagrams,
// which is dropped).
func (m *Metrics) Recovered(where string) { m.recovered(where) }

func (m *Metrics) recovered(where string) {
	if m != nil {
		m.panics.WithLabelValues(where).Inc()
	}
}

func (m *Metrics) unroutable(reason string) {
	if m != nil {
		m.unroutables.WithLabelValues(reason).Inc()
	}
}

// DatagramIn counts a datagram read by a fast channel.
func (m *Metrics) DatagramIn() {
	if m != nil {
		m.datagrams.WithLabelValues("in").Inc()
	}
}

// DatagramOut counts a datagram a fast channel sent.
func (m *Metrics) DatagramOut() {
	if m != nil {
		m.datagrams.WithLabelValues("out").Inc()
	}
}

// DatagramDropped counts a datagram a fast channel dropped, and why.
func (m *Metrics) DatagramDropped(reason string) {
	if m != nil {
		m.datagramDrops.WithLabelValues(reason).Inc()
	}
}
