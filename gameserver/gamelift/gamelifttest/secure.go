package gamelifttest

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/pion/dtls/v3"

	gameliftv1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/gamelift/v1"
	"github.com/leapfrog-games/leapfrog/gameserver/gamelift"
)

// dtlsTimeout bounds the client's DTLS handshake.
const dtlsTimeout = 10 * time.Second

// FastRefused reports whether the server answered the VerifyIdentity with
// success false.
func (c *Client) FastRefused() bool { return c.refused.Load() }

// FastClosed reports whether the DTLS session ended after its handshake
// (the server closed it, or the client did).
func (c *Client) FastClosed() bool { return c.fastClosed.Load() }

// startDTLS does what the SDK does after a secure login: a DTLS 1.2
// handshake with (host, fastPort) that verifies the server against the
// login result's caCert and the host dialed, then one VerifyIdentity.
func (c *Client) startDTLS() error {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(c.caCert) {
		return errors.New("caCert holds no PEM certificate")
	}
	ip, err := net.ResolveIPAddr("ip", c.host)
	if err != nil {
		return fmt.Errorf("resolve %s: %w", c.host, err)
	}
	if c.fastPort == 0 {
		return errors.New("no DTLS endpoint: the fast port is 0")
	}
	pc, err := net.ListenUDP("udp", nil)
	if err != nil {
		return fmt.Errorf("open udp socket: %w", err)
	}
	c.udp = pc
	conn, err := dtls.ClientWithOptions(pc, &net.UDPAddr{IP: ip.IP, Port: int(c.fastPort), Zone: ip.Zone},
		dtls.WithRootCAs(pool), dtls.WithServerName(c.host), dtls.WithExtendedMasterSecret(dtls.RequireExtendedMasterSecret))
	if err != nil {
		pc.Close()
		return fmt.Errorf("dtls client: %w", err)
	}
	c.dtls.Store(conn)
	go c.runDTLS(conn)
	return nil
}

// runDTLS handshakes, verifies the identity and reads the session's
// records with the SDK's rule: a sequence number not above the last is dropped.
func (c *Client) runDTLS(conn *dtls.Conn) {
	// Closing the client cancels the handshake too.
	ctx, cancel := context.WithTimeout(context.Background(), dtlsTimeout)
	go func() {
		select {
		case <-c.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	err := conn.HandshakeContext(ctx)
	cancel()
	if err != nil {
		c.udpErrors.Add(1)
		return
	}
	if c.opts.SkipVerify {
		c.fast.Store(true)
	} else {
		peer, tok := c.peer, c.connectToken
		if c.opts.Identity != nil {
			peer, tok = c.opts.Identity(peer, tok)
		}
		if err := c.writeDTLS(&gameliftv1.Packet{OpCode: gamelift.OpVerifyIdentity, Sender: c.peer, Payload: c.opts.Payload,
			Command: &gameliftv1.Packet_VerifyIdentity{VerifyIdentity: &gameliftv1.VerifyIdentity{PeerId: peer, ConnectToken: tok}}}); err != nil {
			c.udpErrors.Add(1)
			return
		}
	}
	buf := make([]byte, 64<<10)
	for {
		n, err := conn.Read(buf)
		if err != nil {
			c.fastClosed.Store(true)
			return
		}
		p, err := decode(buf[:n])
		if err != nil || p.SequenceNumber <= c.lastSeq {
			continue
		}
		c.lastSeq = p.SequenceNumber
		c.handle(p, true)
	}
}

func (c *Client) writeDTLS(p *gameliftv1.Packet) error {
	conn := c.dtls.Load()
	if conn == nil {
		return errors.New("no DTLS session")
	}
	_, err := conn.Write(gamelift.Encode(p))
	return err
}
