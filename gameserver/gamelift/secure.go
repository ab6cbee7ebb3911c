package gamelift

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/pion/dtls/v3"

	gameliftv1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/gamelift/v1"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime"
	"github.com/leapfrog-games/leapfrog/internal/panicguard"
)

// Bounds of the secure fast channel.
const (
	// DefaultHandshakeTimeout bounds a DTLS handshake and, after it, the
	// wait for the client's VerifyIdentity.
	DefaultHandshakeTimeout = 10 * time.Second
	// DefaultHandshakesPerIP is how many DTLS sessions one source IP may
	// have between their first record and a valid VerifyIdentity (players
	// behind one NAT log in one by one, a flood does not).
	DefaultHandshakesPerIP = 8
	// maxHandshakes bounds the DTLS handshakes in flight on the server.
	maxHandshakes = 256
)

// SecureConfig configures the DTLS fast channel of clients that connect
// with RT_OVER_WSS_DTLS_TLS12.
type SecureConfig struct {
	// Certificate is the server's certificate (the game port's TLS one).
	Certificate tls.Certificate
	// CACert is the PEM the login result hands clients as caCert: they
	// verify the DTLS server's certificate against it.
	CACert []byte
	// HandshakeTimeout: 0 means DefaultHandshakeTimeout.
	HandshakeTimeout time.Duration
	// HandshakesPerIP: 0 means DefaultHandshakesPerIP.
	HandshakesPerIP int
}

// secure is a Fast's DTLS side: the listener and the sessions it holds.
type secure struct {
	ln      net.Listener
	caCert  []byte
	timeout time.Duration
	perIP   int

	mu       sync.Mutex
	inFlight map[netip.Addr]int
	total    int
	sessions map[*dtls.Conn]struct{}
	wg       sync.WaitGroup
}

// ListenSecure opens the DTLS 1.2 fast channel on addr (the game port's
// number, over UDP). A DTLS session carries a player's fast messages once
// the client's VerifyIdentity (-14) names a logged-in peer of this server
// with the connect token its login result gave; no UDP_CONNECT happens
// and datagrams that are not DTLS are ignored.
func ListenSecure(addr *net.UDPAddr, cfg SecureConfig, logger *slog.Logger, metrics *realtime.Metrics) (*Fast, error) {
	if len(cfg.Certificate.Certificate) == 0 || len(cfg.CACert) == 0 {
		return nil, errors.New("secure fast channel: a certificate and the CA PEM for clients are required")
	}
	if cfg.HandshakeTimeout <= 0 {
		cfg.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if cfg.HandshakesPerIP <= 0 {
		cfg.HandshakesPerIP = DefaultHandshakesPerIP
	}
	ln, err := dtls.ListenWithOptions("udp", addr,
		dtls.WithCertificates(cfg.Certificate),
		dtls.WithExtendedMasterSecret(dtls.RequireExtendedMasterSecret),
	)
	if err != nil {
		return nil, fmt.Errorf("listen for DTLS on %v: %w", addr, err)
	}
	f := newFast(ln.Addr().(*net.UDPAddr).Port, logger, metrics)
	f.secure = &secure{
		ln: ln, caCert: cfg.CACert, timeout: cfg.HandshakeTimeout, perIP: cfg.HandshakesPerIP,
		inFlight: make(map[netip.Addr]int), sessions: make(map[*dtls.Conn]struct{}),
	}
	return f, nil
}

// Secure reports whether the fast channel speaks DTLS.
func (f *Fast) Secure() bool { return f.secure != nil }

// serveSecure accepts DTLS sessions until ctx is done, then closes them all.
func (f *Fast) serveSecure(ctx context.Context) {
	s := f.secure
	stop := context.AfterFunc(ctx, func() { s.ln.Close() })
	defer stop()
	defer func() {
		s.mu.Lock()
		for c := range s.sessions {
			c.Close()
		}
		s.mu.Unlock()
		s.wg.Wait()
	}()
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) || ctx.Err() != nil {
				return
			}
			f.log.Debug("accept a DTLS session", "err", err)
			continue
		}
		conn := nc.(*dtls.Conn)
		ip := addrOf(conn.RemoteAddr()).Addr()
		if !s.startHandshake(ip) {
			f.metrics.DatagramDropped("handshake_limited")
			conn.Close()
			continue
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			f.safeSession(ctx, conn, ip)
		}()
	}
}

// startHandshake takes a slot for a session from ip until it is
// verified, or says there is none.
func (s *secure) startHandshake(ip netip.Addr) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inFlight[ip] >= s.perIP || s.total >= maxHandshakes {
		return false
	}
	s.inFlight[ip]++
	s.total++
	return true
}

func (s *secure) endHandshake(ip netip.Addr) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.total--
	if s.inFlight[ip]--; s.inFlight[ip] <= 0 {
		delete(s.inFlight, ip)
	}
}

// track records an open session so that stopping closes it; false: stopping.
func (s *secure) track(conn *dtls.Conn, open bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if open {
		s.sessions[conn] = struct{}{}
	} else {
		delete(s.sessions, conn)
	}
}

// safeSession is session with a panic (on a client's input) ending only
// this session.
func (f *Fast) safeSession(ctx context.Context, conn *dtls.Conn, ip netip.Addr) {
	g := panicguard.Guard{Log: f.log.With("remote", conn.RemoteAddr().String()), Count: f.metrics.Recovered}
	g.Run("dtls_session", "panic in a DTLS session", func() { f.session(ctx, conn, ip) })
}

// session owns one DTLS session: the handshake, the wait for a valid
// VerifyIdentity (packets before it are dropped), then the player's fast
// input until the session or the player's connection ends.
func (f *Fast) session(ctx context.Context, conn *dtls.Conn, ip netip.Addr) {
	s := f.secure
	s.track(conn, true)
	defer func() {
		s.track(conn, false)
		conn.Close()
	}()
	// The source's slot is held until the session is verified: a session
	// that shakes hands and never verifies holds it for the whole timeout.
	pending := true
	defer func() {
		if pending {
			s.endHandshake(ip)
		}
	}()
	hctx, cancel := context.WithTimeout(ctx, s.timeout)
	err := conn.HandshakeContext(hctx)
	cancel()
	if err != nil {
		f.metrics.DatagramDropped("handshake_failed")
		f.log.Debug("DTLS handshake", "remote", conn.RemoteAddr().String(), "err", err)
		return
	}
	buf := make([]byte, MaxDatagram+1)
	_ = conn.SetReadDeadline(time.Now().Add(s.timeout))
	var c *Codec
	for c == nil {
		p, ok := f.readRecord(conn, buf)
		if p == nil {
			if !ok {
				return
			}
			continue
		}
		v := p.GetVerifyIdentity()
		if p.OpCode != OpVerifyIdentity || v == nil {
			f.metrics.DatagramDropped("unverified")
			continue
		}
		if c = f.verify(v.PeerId, v.ConnectToken, conn); c == nil {
			f.metrics.DatagramDropped("identity_refused")
			f.writeSecure(conn, Encode(&gameliftv1.Packet{
				OpCode: OpVerifyIdentityResult, SequenceNumber: 1, Sender: ServerPeer, TargetPlayer: v.PeerId,
				Command: &gameliftv1.Packet_VerifyIdentityResult{VerifyIdentityResult: &gameliftv1.VerifyIdentityResult{Success: false, PeerId: v.PeerId}},
			}))
			return
		}
	}
	pending = false
	s.endHandshake(ip)
	defer c.dropSecure(conn)
	_ = conn.SetReadDeadline(time.Time{})
	for {
		p, ok := f.readRecord(conn, buf)
		if !ok {
			return
		}
		if p == nil {
			continue
		}
		switch {
		case p.OpCode == OpUDPConnect, p.OpCode == OpUDPConnectClientAck, p.OpCode == OpVerifyIdentity,
			p.GetLogin() != nil, p.GetPing() != nil:
			f.metrics.DatagramDropped("malformed")
		default:
			f.input(c, p)
		}
	}
}

// readRecord reads one DTLS record as a packet: nil and true for one
// that is dropped, false when the session is over.
func (f *Fast) readRecord(conn *dtls.Conn, buf []byte) (*gameliftv1.Packet, bool) {
	n, err := conn.Read(buf)
	if err != nil {
		return nil, false
	}
	f.metrics.DatagramIn()
	if n > MaxDatagram {
		f.metrics.DatagramDropped("oversized")
		return nil, true
	}
	p, err := decodePacket(buf[:n])
	if err != nil {
		f.metrics.DatagramDropped("malformed")
		return nil, true
	}
	return p, true
}

// verify binds conn to the logged-in player whose peer id and connect
// token it names, and answers -15; nil: no such player, or the player's
// fast channel is already bound.
func (f *Fast) verify(peer int32, token string, conn *dtls.Conn) *Codec {
	f.mu.Lock()
	defer f.mu.Unlock()
	var found *Codec
	for _, x := range f.peers[peer] {
		// Every candidate is compared, so the time taken says nothing of the tokens.
		if subtle.ConstantTimeCompare([]byte(x.connectToken), []byte(token)) == 1 && x.connectToken != "" {
			found = x
		}
	}
	if found == nil {
		return nil
	}
	found.mu.Lock()
	defer found.mu.Unlock()
	if found.dtls != nil {
		return nil
	}
	found.dtls = conn
	found.seq++
	f.writeSecure(conn, Encode(&gameliftv1.Packet{
		OpCode: OpVerifyIdentityResult, SequenceNumber: found.seq, Sender: ServerPeer, TargetPlayer: peer,
		Command: &gameliftv1.Packet_VerifyIdentityResult{VerifyIdentityResult: &gameliftv1.VerifyIdentityResult{Success: true, PeerId: peer}},
	}))
	return found
}

// dropSecure forgets conn as c's fast channel.
func (c *Codec) dropSecure(conn *dtls.Conn) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dtls == conn {
		c.dtls = nil
	}
}

// writeSecure sends one record; a failure is counted, never waited on.
func (f *Fast) writeSecure(conn *dtls.Conn, b []byte) {
	if len(b) > MaxDatagram {
		f.metrics.DatagramDropped("oversized_out")
		return
	}
	if _, err := conn.Write(b); err != nil {
		f.metrics.DatagramDropped("write_failed")
		return
	}
	f.metrics.DatagramOut()
}

// newConnectToken is a login's proof for its DTLS session: 128 random bits.
func newConnectToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

// addrOf is a net.Addr's address and port, IPv4 unmapped.
func addrOf(a net.Addr) netip.AddrPort {
	ua, ok := a.(*net.UDPAddr)
	if !ok {
		return netip.AddrPort{}
	}
	ap := ua.AddrPort()
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}
