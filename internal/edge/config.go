package edge

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/leapfrog-games/leapfrog/contract/token"
)

// Pattern is the route the Handler serves: one path per game server, so a
// whole installation is one public name (wss://play.example.com/match/<name>).
// The name in the path is only a routing hint checked against the token.
const Pattern = "GET /race/{gameServer}"

// PathPrefix is the part of Pattern before the game server's name.
const PathPrefix = "/race/"

// ErrUnknownGameServer: the game server is not one the edge relays to: not
// found, in another namespace or Fleet, not allocated, or without the game
// port. A Resolver's refusals wrap it.
var ErrUnknownGameServer = errors.New("no such game server among the relayed fleets")

// Resolver finds where a game server listens. The address comes from a source
// the edge trusts (the Kubernetes API, the local fleet), never from the client.
//
// Resolve returns host:port of gameServer's game port, or an error wrapping
// ErrUnknownGameServer. It may wait, until ctx ends, for a change it expects
// (an allocation its watch has not seen yet).
type Resolver interface {
	Resolve(ctx context.Context, gameServer string) (string, error)
}

// Config configures a Handler. Zero durations and limits take the defaults
// named on each field.
type Config struct {
	// Tokens verifies player session tokens: the keys the game servers use.
	Tokens *token.Issuer
	// Resolver finds game servers.
	Resolver Resolver
	// Registry is where the metrics go.
	Registry prometheus.Registerer
	Logger   *slog.Logger
	// UpstreamPath is the game servers' WebSocket path; "" means /ws.
	UpstreamPath string
	// HandshakeTimeout bounds the wait for Hello, the lookup and the dial
	// together; 0 means 5 s, the game server's own deadline for Hello.
	HandshakeTimeout time.Duration
	// PongWait is how long a silent client lives; pings go out every
	// PongWait*9/10. 0 means 30 s.
	PongWait time.Duration
	// UpstreamIdle is how long a silent game server lives (game servers ping
	// every 27 s by default). 0 means 60 s.
	UpstreamIdle time.Duration
	// WriteTimeout bounds one relayed write; 0 means 5 s. A peer that reads
	// slower than that is closed; the game server's own slow-client rule
	// (close 4010) normally acts first, as backpressure reaches it.
	WriteTimeout time.Duration
	// MaxFrameBytes is the read limit on either side; 0 means 1 MiB, the
	// game server's own hard limit, so that oversized frames get the same
	// answer through the edge as directly.
	MaxFrameBytes int64
	// MaxConnsPerIP bounds concurrent relayed connections per client
	// address; 0 means 32.
	MaxConnsPerIP int
	// MaxConns bounds all concurrent connections; 0 means 50,000.
	MaxConns int
	// ClientIPHeader, if set (e.g. X-Forwarded-For behind an Ingress),
	// names the header whose last address is the client's; otherwise the
	// TCP peer is.
	ClientIPHeader string
	// DialContext dials game servers; nil means a net.Dialer.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
}

func (c Config) withDefaults() (Config, error) {
	var errs []error
	if c.Tokens == nil {
		errs = append(errs, errors.New("edge: a token issuer is required"))
	}
	if c.Resolver == nil {
		errs = append(errs, errors.New("edge: a resolver is required"))
	}
	if c.Registry == nil {
		errs = append(errs, errors.New("edge: a metrics registry is required"))
	}
	if c.HandshakeTimeout < 0 || c.PongWait < 0 || c.UpstreamIdle < 0 || c.WriteTimeout < 0 || c.MaxFrameBytes < 0 || c.MaxConnsPerIP < 0 || c.MaxConns < 0 {
		errs = append(errs, fmt.Errorf("edge: timeouts and limits must not be negative"))
	}
	if err := errors.Join(errs...); err != nil {
		return c, err
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.UpstreamPath == "" {
		c.UpstreamPath = "/ws"
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&c.HandshakeTimeout, 5*time.Second)
	def(&c.PongWait, 30*time.Second)
	def(&c.UpstreamIdle, 60*time.Second)
	def(&c.WriteTimeout, 5*time.Second)
	if c.MaxFrameBytes == 0 {
		c.MaxFrameBytes = 1 << 20
	}
	if c.MaxConnsPerIP == 0 {
		c.MaxConnsPerIP = 32
	}
	if c.MaxConns == 0 {
		c.MaxConns = 50_000
	}
	if c.DialContext == nil {
		c.DialContext = (&net.Dialer{KeepAlive: 30 * time.Second}).DialContext
	}
	return c, nil
}
