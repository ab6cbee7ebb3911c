package gamelift

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	gameliftv1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/gamelift/v1"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime"
	"github.com/leapfrog-games/leapfrog/internal/panicguard"
)

// Limits of the fast channel.
const (
	// MaxDatagram bounds a datagram either way: a fast payload of
	// MaxFastPayload bytes and the packet around it, within one Ethernet frame.
	MaxDatagram = 1400
	// DefaultSourceRate is how many datagrams per second one source IP may
	// send (players behind one NAT share it: 16 connections per IP times a
	// connection's whole default input budget fits). Beyond, datagrams are dropped.
	DefaultSourceRate = 1000
	// maxSources bounds the source IPs counted in one second; datagrams
	// from further sources in that second are dropped.
	maxSources = 4096
)

// Fast is a game server's UDP fast channel for GameLift Realtime clients,
// on the same port number as its WebSocket port. A client that logged in
// over the WebSocket sends UDP_CONNECT (-5) with its peer id; it is
// accepted when the datagram comes from the WebSocket's IP and the peer id
// names exactly one such player awaiting UDP (a server of many matches has
// many peers with one id: if ambiguous, nothing is acked and the client
// keeps using the WebSocket). The server acks with -6 from this socket and
// records the source address; from then on datagrams from that address
// are the player's fast input, and fast messages to the player go there.
type Fast struct {
	pc      *net.UDPConn // nil when secure
	secure  *secure      // nil for plain UDP
	port    int
	log     *slog.Logger
	metrics *realtime.Metrics
	now     func() time.Time

	// SourceRate is the datagrams per second one source IP may send;
	// NewFast sets DefaultSourceRate. Set it before Serve.
	SourceRate int

	mu    sync.Mutex
	peers map[int32][]*Codec        // logged in, fast channel possible, by peer id
	addrs map[netip.AddrPort]*Codec // accepted UDP addresses

	// Owned by Serve's goroutine: datagrams per source IP in the current second.
	window  time.Time
	sources map[netip.Addr]int
}

// NewFast serves the fast channel on pc, which is the caller's to close
// (closing it ends Serve). metrics may be nil.
func NewFast(pc *net.UDPConn, logger *slog.Logger, metrics *realtime.Metrics) *Fast {
	f := newFast(pc.LocalAddr().(*net.UDPAddr).Port, logger, metrics)
	f.pc = pc
	return f
}

func newFast(port int, logger *slog.Logger, metrics *realtime.Metrics) *Fast {
	return &Fast{
		port: port, log: logger, metrics: metrics, now: time.Now, SourceRate: DefaultSourceRate,
		peers: make(map[int32][]*Codec), addrs: make(map[netip.AddrPort]*Codec), sources: make(map[netip.Addr]int),
	}
}

// Port is the UDP port the login result names.
func (f *Fast) Port() int { return f.port }

// NewCodec is the realtime.Server.Handler factory for a server with this
// fast channel.
func (f *Fast) NewCodec() realtime.Codec { return &Codec{fast: f} }

// Serve reads datagrams (or accepts DTLS sessions) until the socket is
// closed or ctx is done (which closes it and every DTLS session).
func (f *Fast) Serve(ctx context.Context) {
	if f.secure != nil {
		f.serveSecure(ctx)
		return
	}
	stop := context.AfterFunc(ctx, func() { f.pc.Close() })
	defer stop()
	buf := make([]byte, MaxDatagram+1) // one more: a larger datagram is seen as too large, not cut
	for {
		n, src, err := f.pc.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) || ctx.Err() != nil {
				return
			}
			f.log.Debug("read a datagram", "err", err)
			continue
		}
		f.metrics.DatagramIn()
		f.safeHandle(buf[:n], netip.AddrPortFrom(src.Addr().Unmap(), src.Port()))
	}
}

// safeHandle is handle with a panic (on a client's datagram) dropping only
// that datagram: the one goroutine reading the socket serves every player.
func (f *Fast) safeHandle(b []byte, src netip.AddrPort) {
	g := panicguard.Guard{Log: f.log, Count: func(where string) {
		f.metrics.Recovered(where)
		f.metrics.DatagramDropped("panicked")
	}}
	g.Run("datagram", "panic on a fast-channel datagram: dropping it", func() { f.handle(b, src) })
}

// handle takes one datagram; every datagram it cannot use is dropped and counted.
func (f *Fast) handle(b []byte, src netip.AddrPort) {
	if hook := datagramHook.Load(); hook != nil {
		(*hook)(b)
	}
	if len(b) > MaxDatagram {
		f.metrics.DatagramDropped("oversized")
		return
	}
	if !f.allowSource(src.Addr()) {
		f.metrics.DatagramDropped("rate_limited")
		return
	}
	p, err := decodePacket(b)
	if err != nil {
		f.metrics.DatagramDropped("malformed")
		return
	}
	switch p.OpCode {
	case OpUDPConnect:
		f.connect(p.Sender, src)
		return
	case OpUDPConnectClientAck:
		if f.bound(src) == nil {
			f.metrics.DatagramDropped("unknown_source")
		}
		return
	}
	c := f.bound(src)
	if c == nil {
		f.metrics.DatagramDropped("unknown_source")
		return
	}
	if p.GetLogin() != nil || p.GetPing() != nil {
		f.metrics.DatagramDropped("malformed")
		return
	}
	f.input(c, p)
}

// input hands a packet of c's fast channel (UDP or DTLS) to its connection.
func (f *Fast) input(c *Codec, p *gameliftv1.Packet) {
	frame, err := toFrame(p, c.link.MaxPayload(), true)
	if err != nil {
		if errors.Is(err, realtime.ErrOversizedFrame) {
			f.metrics.DatagramDropped("oversized")
		} else {
			f.metrics.DatagramDropped("malformed")
		}
		return
	}
	switch err := c.link.Input(frame); {
	case err == nil:
	case errors.Is(err, realtime.ErrInputQueueFull):
		f.metrics.DatagramDropped("queue_full")
	default:
		f.metrics.DatagramDropped("refused")
	}
}

// allowSource counts a datagram from ip in the current one-second window.
func (f *Fast) allowSource(ip netip.Addr) bool {
	now := f.now()
	if now.Sub(f.window) >= time.Second || now.Before(f.window) {
		f.window = now
		clear(f.sources)
	}
	n, known := f.sources[ip]
	if !known && len(f.sources) >= maxSources {
		return false
	}
	if n >= f.SourceRate {
		return false
	}
	f.sources[ip] = n + 1
	return true
}

// connect accepts a UDP_CONNECT from src for peer and acks it from this
// socket, or drops it.
func (f *Fast) connect(peer int32, src netip.AddrPort) {
	f.mu.Lock()
	c := f.addrs[src]
	switch {
	case c != nil && c.regPeer != peer:
		f.mu.Unlock()
		f.metrics.DatagramDropped("address_taken")
		return
	case c == nil:
		var n int
		for _, x := range f.peers[peer] {
			x.mu.Lock()
			awaiting := !x.udp.IsValid()
			x.mu.Unlock()
			if awaiting && x.ip == src.Addr() {
				c = x
				n++
			}
		}
		if n != 1 {
			f.mu.Unlock()
			if n == 0 {
				f.metrics.DatagramDropped("unknown_peer")
			} else {
				f.metrics.DatagramDropped("ambiguous_peer")
			}
			return
		}
		f.addrs[src] = c
		c.mu.Lock()
		c.udp = src
		c.mu.Unlock()
	}
	f.mu.Unlock()
	// A resent UDP_CONNECT (the client did not see the ack) is acked again.
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	f.write(Encode(&gameliftv1.Packet{
		OpCode: OpUDPConnectServerAck, SequenceNumber: c.seq, Sender: ServerPeer, TargetPlayer: peer,
		Command: &gameliftv1.Packet_UdpConnect{UdpConnect: &gameliftv1.UDPConnect{}},
	}), src)
}

// bound is the player whose accepted UDP address is src, or nil.
func (f *Fast) bound(src netip.AddrPort) *Codec {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.addrs[src]
}

// register makes c's player able to connect its fast channel; with DTLS
// it returns the connect token the player's session must show.
func (f *Fast) register(c *Codec, peer int32) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c.registered {
		return c.connectToken
	}
	c.registered, c.regPeer = true, peer
	if f.secure != nil {
		c.connectToken = newConnectToken()
	}
	f.peers[peer] = append(f.peers[peer], c)
	return c.connectToken
}

// unregister forgets c: its connection is over, and so is its DTLS session.
func (f *Fast) unregister(c *Codec) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !c.registered {
		return
	}
	c.registered, c.connectToken = false, ""
	list := slices.DeleteFunc(f.peers[c.regPeer], func(x *Codec) bool { return x == c })
	if len(list) == 0 {
		delete(f.peers, c.regPeer)
	} else {
		f.peers[c.regPeer] = list
	}
	c.mu.Lock()
	if c.udp.IsValid() && f.addrs[c.udp] == c {
		delete(f.addrs, c.udp)
	}
	c.udp = netip.AddrPort{}
	session := c.dtls
	c.dtls = nil
	c.mu.Unlock()
	if session != nil {
		// Closing ends the session's goroutine; it never holds f.mu.
		session.Close()
	}
}

// write sends one datagram; a failure is counted, never waited on.
func (f *Fast) write(b []byte, to netip.AddrPort) {
	if len(b) > MaxDatagram {
		f.metrics.DatagramDropped("oversized_out")
		return
	}
	if _, err := f.pc.WriteToUDPAddrPort(b, to); err != nil {
		f.metrics.DatagramDropped("write_failed")
		return
	}
	f.metrics.DatagramOut()
}

// datagramHook, when tests set it, sees each datagram handle takes. It is
// atomic: a fast channel of an earlier test may still be reading.
var datagramHook atomic.Pointer[func(b []byte)]
