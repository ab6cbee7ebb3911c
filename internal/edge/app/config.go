package app

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/leapfrog-games/leapfrog/internal/logging"
)

// Config is the edge's configuration; its flags are in docs/contracts.md.
type Config struct {
	Listen         string
	AdminListen    string
	Namespace      string
	Fleets         string // comma-separated
	PortName       string
	KeyFile        string
	TLSCertFile    string
	TLSKeyFile     string
	ClientIPHeader string
	MaxConnsPerIP  int
	MaxConns       int
	HandshakeWait  time.Duration
	PongWait       time.Duration
	UpstreamIdle   time.Duration
	WriteTimeout   time.Duration
	DrainGrace     time.Duration
	LogLevel       string
}

// DefaultConfig returns the flag defaults.
func DefaultConfig() Config {
	return Config{
		Listen:        ":9443",
		AdminListen:   ":9090",
		Namespace:     "default",
		Fleets:        "leapfrog-race",
		PortName:      "default",
		KeyFile:       "/etc/leapfrog/keys/keys.json",
		MaxConnsPerIP: 32,
		MaxConns:      50_000,
		HandshakeWait: 5 * time.Second,
		PongWait:      30 * time.Second,
		UpstreamIdle:  60 * time.Second,
		WriteTimeout:  5 * time.Second,
		DrainGrace:    20 * time.Second,
		LogLevel:      "info",
	}
}

// RegisterFlags adds the edge's flags to fs, defaulting to c's values.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Listen, "listen", c.Listen, "player WebSocket listener: wss:// (or ws:// without TLS files) at /race/<game server>")
	fs.StringVar(&c.AdminListen, "admin-listen", c.AdminListen, "/metrics, /healthz, /readyz")
	fs.StringVar(&c.Namespace, "namespace", c.Namespace, "namespace of the Fleets' GameServers")
	fs.StringVar(&c.Fleets, "fleet", c.Fleets, "Fleets whose Allocated GameServers are relayed to (comma-separated)")
	fs.StringVar(&c.PortName, "port-name", c.PortName, "the GameServer port players connect to")
	fs.StringVar(&c.KeyFile, "key-file", c.KeyFile, "token key file (JSON): the keys the game servers verify with")
	fs.StringVar(&c.TLSCertFile, "tls-cert-file", c.TLSCertFile, "TLS certificate (PEM), reloaded when it changes; empty serves plain ws:// (TLS ends at an Ingress or Gateway)")
	fs.StringVar(&c.TLSKeyFile, "tls-key-file", c.TLSKeyFile, "TLS private key (PEM), reloaded with the certificate")
	fs.StringVar(&c.ClientIPHeader, "client-ip-header", c.ClientIPHeader, "header whose last address is the client's (X-Forwarded-For behind a proxy); empty uses the TCP peer")
	fs.IntVar(&c.MaxConnsPerIP, "max-conns-per-ip", c.MaxConnsPerIP, "concurrent connections per client address")
	fs.IntVar(&c.MaxConns, "max-conns", c.MaxConns, "concurrent connections in all")
	fs.DurationVar(&c.HandshakeWait, "handshake-timeout", c.HandshakeWait, "time for Hello, the lookup and the dial together")
	fs.DurationVar(&c.PongWait, "pong-wait", c.PongWait, "a silent client is dropped after this; pings every 9/10 of it")
	fs.DurationVar(&c.UpstreamIdle, "upstream-idle", c.UpstreamIdle, "a silent game server connection is dropped after this")
	fs.DurationVar(&c.WriteTimeout, "write-timeout", c.WriteTimeout, "bound on one relayed write")
	fs.DurationVar(&c.DrainGrace, "drain-grace", c.DrainGrace, "on SIGTERM, time for relayed players to finish before they are told to reconnect (1012)")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "log level: debug, info, warn, error")
}

// FleetList is the Fleets, split.
func (c Config) FleetList() []string {
	var out []string
	for f := range strings.SplitSeq(c.Fleets, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// Validate reports every bad value at once.
func (c Config) Validate() error {
	var errs []error
	for name, addr := range map[string]string{"listen": c.Listen, "admin-listen": c.AdminListen} {
		if _, _, err := net.SplitHostPort(addr); err != nil {
			errs = append(errs, fmt.Errorf("%s %q: %w", name, addr, err))
		}
	}
	if c.Namespace == "" || len(c.FleetList()) == 0 || c.PortName == "" {
		errs = append(errs, errors.New("--namespace, --fleet and --port-name are required: the edge relays only to those game servers"))
	}
	if c.KeyFile == "" {
		errs = append(errs, errors.New("--key-file is required: the edge checks tokens before it dials"))
	}
	if (c.TLSCertFile == "") != (c.TLSKeyFile == "") {
		errs = append(errs, errors.New("--tls-cert-file and --tls-key-file go together"))
	}
	if c.MaxConnsPerIP < 1 || c.MaxConns < 1 {
		errs = append(errs, fmt.Errorf("max-conns-per-ip %d and max-conns %d must be at least 1", c.MaxConnsPerIP, c.MaxConns))
	}
	if c.HandshakeWait <= 0 || c.PongWait <= 0 || c.UpstreamIdle <= 0 || c.WriteTimeout <= 0 || c.DrainGrace < 0 {
		errs = append(errs, errors.New("timeouts must be positive (drain-grace may be 0)"))
	}
	if _, err := logging.ParseLevel(c.LogLevel); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
