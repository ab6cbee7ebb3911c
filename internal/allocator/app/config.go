package app

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/leapfrog-games/leapfrog/internal/allocator/agones"
	"github.com/leapfrog-games/leapfrog/internal/allocator/reach"
	"github.com/leapfrog-games/leapfrog/internal/logging"
	"github.com/leapfrog-games/leapfrog/internal/tracing"
)

// Backends.
const (
	BackendLocal  = "local"
	BackendAgones = "agones"
)

// Config is the allocator's configuration; its flags are in docs/contracts.md.
type Config struct {
	Listen        string
	Backend       string
	Namespace     string
	Fleet         string
	PortName      string
	KeyFile       string
	GuestTTL      time.Duration
	SessionTTL    time.Duration
	PublicAddress string
	GuestRate     float64
	GuestBurst    int
	MatchRate     float64
	MatchBurst    int
	// MaxPlacesPerIP places (seats) held at once by the players of one
	// client address, each until its match ends; PlaceHold is the match
	// servers' no-show timeout. See docs/abuse-limits.md.
	MaxPlacesPerIP int
	PlaceHold      time.Duration
	// MaxConnsPerIP and MaxConns cap the open connections of the HTTP API
	// and, counted apart, of the local fleet's game servers together.
	MaxConnsPerIP int
	MaxConns      int
	// KubeQPS and KubeBurst pace the agones backend's requests to the
	// Kubernetes API. Every match is one request: client-go's defaults (a few
	// per second) would cap the matches per second at the same figure.
	KubeQPS   float64
	KubeBurst int
	// MatchesPerServer > 1 is the high density of docs/high-density.md: the
	// agones backend leases whole game servers and places matches on them.
	MatchesPerServer int
	// Players is the seats of a match in high density: the match rules'
	// --players, which the allocator command registers with the local
	// fleet's flags (the same value as the game servers').
	Players int
	// ReplicaID names this replica on the game servers it leases; empty
	// means env POD_NAME, else the host name.
	ReplicaID     string
	LeaseRenew    time.Duration
	LeaseLowWater int
	// ProbeTimeout bounds the dial that checks a leased game server is
	// still there (allocator/reach); 0 turns the checks off.
	ProbeTimeout time.Duration
	LogLevel     string
	// GCPercent is the garbage collector's target (Go's GOGC) when the
	// environment sets no GOGC; 0 leaves Go's own default (100).
	GCPercent int
	// EdgeURL, LocalEdge and TLSSelfSigned put the matches behind the edge
	// (see edge.go).
	EdgeURL       string
	LocalEdge     bool
	TLSSelfSigned bool
	// OTLPEndpoint is the OTLP/HTTP collector that match traces go to
	// (internal/tracing); empty leaves it to OTEL_EXPORTER_OTLP_ENDPOINT,
	// and with neither, tracing is off.
	OTLPEndpoint string
}

// DefaultConfig returns the flag defaults.
func DefaultConfig() Config {
	return Config{
		Listen:     "127.0.0.1:8080",
		Backend:    BackendLocal,
		Namespace:  "default",
		Fleet:      "leapfrog-race",
		PortName:   "default",
		GuestTTL:   24 * time.Hour,
		SessionTTL: 60 * time.Second,
		GuestRate:  5,
		GuestBurst: 20,
		MatchRate:  2,
		MatchBurst: 10,
		// One machine (a bot, the soak at low concurrency, browser tabs)
		// or a small office behind one address: 32 matches at once. A place
		// counts until its match ends, and matches end: a player finishing
		// matches one after another holds one place. Production behind
		// carrier-grade NAT raises it (the chart's allocator.maxPlacesPerIP).
		// The hold is the game servers' default no-show timeout.
		MaxPlacesPerIP:   64,
		PlaceHold:        60 * time.Second,
		MaxConnsPerIP:    256,
		KubeQPS:          200,
		KubeBurst:        400,
		MaxConns:         4096,
		MatchesPerServer: 1,
		Players:          2,
		LeaseRenew:       agones.DefaultLeaseRenew,
		ProbeTimeout:     reach.DefaultTimeout,
		LogLevel:         "info",
		// The allocator's live heap is small (about 11 MiB with 16,000
		// guests and 4,000 matches): at Go's default it collects five times a
		// second at 5,000 matches/s, and each marking takes one of two cores
		// for 5-20 ms, the p99 of matches (docs/measurements.md).
		GCPercent: 400,
	}
}

// RegisterFlags adds the allocator's flags to fs, defaulting to c's values.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Listen, "listen", c.Listen, "HTTP listen address: API, browser client, /metrics, /healthz, /readyz")
	fs.StringVar(&c.Backend, "backend", c.Backend, "where game servers come from: local (embedded fleet) or agones")
	fs.StringVar(&c.Namespace, "namespace", c.Namespace, "agones: namespace of the Fleet and the allocations")
	fs.StringVar(&c.Fleet, "fleet", c.Fleet, "agones: Fleet name (selector label agones.dev/fleet)")
	fs.StringVar(&c.PortName, "port-name", c.PortName, "agones: the GameServer port to hand out")
	fs.StringVar(&c.KeyFile, "key-file", c.KeyFile, "token key file (JSON); empty with --backend=local means an ephemeral key")
	fs.DurationVar(&c.GuestTTL, "guest-ttl", c.GuestTTL, "guest identity lifetime")
	fs.DurationVar(&c.SessionTTL, "session-ttl", c.SessionTTL, "player session token lifetime")
	fs.StringVar(&c.PublicAddress, "public-address", c.PublicAddress, "agones: address to hand out instead of the game server's (e.g. for kind)")
	fs.Float64Var(&c.GuestRate, "guest-rate", c.GuestRate, "guest identities per second per client IP")
	fs.IntVar(&c.GuestBurst, "guest-burst", c.GuestBurst, "burst of guest identities per client IP")
	fs.Float64Var(&c.MatchRate, "match-rate", c.MatchRate, "match requests per second per player")
	fs.IntVar(&c.MatchBurst, "match-burst", c.MatchBurst, "burst of match requests per player")
	fs.IntVar(&c.MaxPlacesPerIP, "max-places-per-ip", c.MaxPlacesPerIP, "most places (seats) the players from one client IP hold at once; a place counts until its match ends (docs/abuse-limits.md)")
	fs.DurationVar(&c.PlaceHold, "place-hold", c.PlaceHold, "the game servers' --no-show-timeout: a match placed but never reported by its server is forgotten after it")
	fs.IntVar(&c.MaxConnsPerIP, "max-conns-per-ip", c.MaxConnsPerIP, "most open connections from one client IP (the API; the local fleet's game servers apart)")
	fs.IntVar(&c.MaxConns, "max-conns", c.MaxConns, "most open connections in all (the API; the local fleet's game servers apart)")
	fs.Float64Var(&c.KubeQPS, "kube-api-qps", c.KubeQPS, "agones: requests per second to the Kubernetes API (each match is one)")
	fs.IntVar(&c.KubeBurst, "kube-api-burst", c.KubeBurst, "agones: burst of requests to the Kubernetes API")
	fs.IntVar(&c.MatchesPerServer, "races-per-server", c.MatchesPerServer, "agones: matches per game server, as the Fleet's matches list capacity; above 1 game servers are leased whole (docs/high-density.md)")
	fs.StringVar(&c.ReplicaID, "replica-id", c.ReplicaID, "agones, races-per-server > 1: this replica's name on the game servers it leases (empty: env POD_NAME, else the host name)")
	fs.DurationVar(&c.LeaseRenew, "lease-renew", c.LeaseRenew, "agones, races-per-server > 1: lease renewal period (game servers lapse a lease after their --lease-ttl, 15s)")
	fs.IntVar(&c.LeaseLowWater, "lease-low-water", c.LeaseLowWater, "agones, races-per-server > 1: lease one more game server when fewer matches than this are free (0: races-per-server/4)")
	fs.DurationVar(&c.ProbeTimeout, "probe-timeout", c.ProbeTimeout, "agones, races-per-server > 1: timeout of the TCP dial that checks a leased game server can still be reached when its players ask again (0: no checks, Agones' health alone)")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "log level: debug, info, warn, error")
	fs.IntVar(&c.GCPercent, "gc-percent", c.GCPercent, "garbage collection target percent (Go's GOGC), unless the environment sets GOGC; 0 = Go's default; GOMEMLIMIT still caps the heap")
	fs.StringVar(&c.OTLPEndpoint, "otlp-endpoint", c.OTLPEndpoint, "OTLP/HTTP collector base URL for match traces, e.g. http://otel-collector:4318 (spans go to /v1/traces); empty: off unless OTEL_EXPORTER_OTLP_ENDPOINT is set (docs/operations.md, Traces)")
	c.registerEdgeFlags(fs)
}

// Validate reports every bad value at once.
func (c Config) Validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		errs = append(errs, fmt.Errorf("listen %q: %w", c.Listen, err))
	}
	switch c.Backend {
	case BackendLocal:
	case BackendAgones:
		if c.Namespace == "" || c.Fleet == "" || c.PortName == "" {
			errs = append(errs, errors.New("backend agones needs --namespace, --fleet and --port-name"))
		}
		if c.KeyFile == "" {
			errs = append(errs, errors.New("backend agones needs --key-file: the game servers verify tokens with the same keys"))
		}
	default:
		errs = append(errs, fmt.Errorf("backend %q: want local or agones", c.Backend))
	}
	if c.GuestTTL <= 0 || c.SessionTTL <= 0 {
		errs = append(errs, fmt.Errorf("guest-ttl %v and session-ttl %v must be positive", c.GuestTTL, c.SessionTTL))
	}
	if !(c.GuestRate > 0) || !(c.MatchRate > 0) || c.GuestBurst < 1 || c.MatchBurst < 1 {
		errs = append(errs, fmt.Errorf("rates (guest %v, match %v) must be positive and bursts (guest %d, match %d) at least 1",
			c.GuestRate, c.MatchRate, c.GuestBurst, c.MatchBurst))
	}
	if c.MaxPlacesPerIP < 1 || c.PlaceHold <= 0 {
		errs = append(errs, fmt.Errorf("max-places-per-ip %d must be at least 1 and place-hold %v positive", c.MaxPlacesPerIP, c.PlaceHold))
	}
	if !(c.KubeQPS > 0) || c.KubeBurst < 1 {
		errs = append(errs, fmt.Errorf("kube-api-qps %v must be positive and kube-api-burst %d at least 1", c.KubeQPS, c.KubeBurst))
	}
	if c.MaxConnsPerIP < 1 || c.MaxConns < 1 || c.MaxConnsPerIP > c.MaxConns {
		errs = append(errs, fmt.Errorf("max-conns-per-ip %d and max-conns %d: want 1 <= per IP <= total", c.MaxConnsPerIP, c.MaxConns))
	}
	errs = append(errs, c.validateLease())
	if _, err := logging.ParseLevel(c.LogLevel); err != nil {
		errs = append(errs, err)
	}
	if c.GCPercent < 0 || c.GCPercent > 10000 {
		errs = append(errs, fmt.Errorf("gc-percent %d: want 0 (Go's default) to 10000", c.GCPercent))
	}
	errs = append(errs, c.validateEdge(), tracing.ValidateEndpoint(c.OTLPEndpoint))
	return errors.Join(errs...)
}

// maxMatchesPerServer is the most values an Agones list holds.
const maxMatchesPerServer = 1000

// validateLease checks the high density's flags.
func (c Config) validateLease() error {
	var errs []error
	if c.MatchesPerServer < 1 || c.MatchesPerServer > maxMatchesPerServer {
		errs = append(errs, fmt.Errorf("races-per-server %d: want 1 to %d (an Agones list's capacity)", c.MatchesPerServer, maxMatchesPerServer))
	}
	if c.Players < 1 {
		errs = append(errs, fmt.Errorf("players %d: want at least 1", c.Players))
	}
	if c.LeaseRenew <= 0 || c.LeaseLowWater < 0 || c.ProbeTimeout < 0 {
		errs = append(errs, fmt.Errorf("lease-renew %v must be positive, lease-low-water %d and probe-timeout %v not negative", c.LeaseRenew, c.LeaseLowWater, c.ProbeTimeout))
	}
	if c.MatchesPerServer > 1 && c.Backend != BackendAgones {
		errs = append(errs, fmt.Errorf("races-per-server %d is for --backend=agones", c.MatchesPerServer))
	}
	return errors.Join(errs...)
}

// replicaID is ReplicaID, else env POD_NAME, else the host name.
func (c Config) replicaID() (string, error) {
	if c.ReplicaID != "" {
		return c.ReplicaID, nil
	}
	if pod := os.Getenv("POD_NAME"); pod != "" {
		return pod, nil
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		return "", fmt.Errorf("no --replica-id, no env POD_NAME and no host name: %w", err)
	}
	return host, nil
}
