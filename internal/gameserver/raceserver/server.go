package raceserver

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/leapfrog-games/leapfrog/internal/logging"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/leapfrog-games/leapfrog/contract/token"
	"github.com/leapfrog-games/leapfrog/gameserver/agonessdk"
	"github.com/leapfrog-games/leapfrog/gameserver/host"
	"github.com/leapfrog-games/leapfrog/gameserver/race"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime/match"
)

// Options configure the race server process.
type Options struct {
	Listen       string
	AdminListen  string
	KeyFile      string
	SDKHTTPPort  int
	AfterSession string
	DrainGrace   time.Duration
	// RacesPerServer is how many races the process runs at once (1: one
	// per allocation); LeaseTTL is how long a high-density server waits for
	// its lease to be renewed (0: never lapses).
	RacesPerServer int
	LeaseTTL       time.Duration
	// MaxRaces and MaxAge recycle a high-density server (host.Config): it
	// closes to new races after starting MaxRaces, or MaxAge (plus up to a
	// tenth more, at random) after it became Ready; 0: no limit.
	MaxRaces int
	MaxAge   time.Duration
	// MaxConnections and MaxConnectionsPerIP cap the player port's open
	// connections (0: the realtime defaults, or for many races one per
	// player and some).
	MaxConnections      int
	MaxConnectionsPerIP int
	LogLevel            string
	// TLS: the player port serves TLS (wss://) and GameLift Realtime's
	// fast channel DTLS when a certificate is given.
	TLS    TLSOptions
	Game   GameOptions
	Script ScriptOptions
}

// watchInterval is how often a server of many races looks at its
// GameServer at most.
const watchInterval = 200 * time.Millisecond

// DefaultOptions are the flag defaults.
func DefaultOptions() Options {
	port := 9358
	if p, err := strconv.Atoi(os.Getenv("AGONES_SDK_HTTP_PORT")); err == nil && p > 0 {
		port = p
	}
	return Options{
		Listen: ":7654", AdminListen: ":8081", KeyFile: "/etc/leapfrog/keys/keys.json",
		SDKHTTPPort: port, AfterSession: host.AfterShutdown, DrainGrace: 10 * time.Second,
		RacesPerServer: 1, LeaseTTL: 15 * time.Second, LogLevel: "info", Game: DefaultGameOptions(), Script: DefaultScriptOptions(),
	}
}

// RegisterFlags adds every option to fs.
func (o *Options) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.Listen, "listen", o.Listen, "player WebSocket listen address (path /ws)")
	fs.StringVar(&o.AdminListen, "admin-listen", o.AdminListen, "admin listen address: /metrics, /healthz, /readyz")
	fs.StringVar(&o.KeyFile, "key-file", o.KeyFile, "token key file (JSON, shared with the allocator)")
	fs.IntVar(&o.SDKHTTPPort, "sdk-http-port", o.SDKHTTPPort, "Agones SDK sidecar REST port on localhost (default from AGONES_SDK_HTTP_PORT)")
	fs.StringVar(&o.AfterSession, "after-race", o.AfterSession, "after a race: shutdown, or ready to return to the Ready pool")
	fs.DurationVar(&o.DrainGrace, "drain-grace", o.DrainGrace, "on SIGTERM, time to let players go before exiting")
	fs.IntVar(&o.RacesPerServer, "races-per-server", o.RacesPerServer, "races one process runs at once: 1 is one race per allocation; above 1, high density (the Fleet's races list capacity must match)")
	fs.DurationVar(&o.LeaseTTL, "lease-ttl", o.LeaseTTL, "races-per-server > 1: an Allocated server whose lease is not renewed for this long takes no new race and leaves once empty; 0 never lapses")
	fs.IntVar(&o.MaxRaces, "max-races", o.MaxRaces, "races-per-server > 1: after starting this many races in its life the server takes no new race, lets the running ones finish and shuts down (the Fleet replaces it); 0: no limit")
	fs.DurationVar(&o.MaxAge, "max-age", o.MaxAge, "races-per-server > 1: this long after it became Ready (plus up to a tenth more, at random, so that servers started together do not all close together) the server takes no new race, lets the running ones finish and shuts down; 0: no limit")
	fs.IntVar(&o.MaxConnections, "max-connections", o.MaxConnections, "most open player connections; 0: 64, or with races-per-server > 1 enough for every player of every race")
	fs.IntVar(&o.MaxConnectionsPerIP, "max-connections-per-ip", o.MaxConnectionsPerIP, "most open player connections from one client address (through the edge, the player's address it vouches for); 0: 16")
	fs.StringVar(&o.LogLevel, "log-level", o.LogLevel, "log level: debug, info, warn, error")
	fs.StringVar(&o.TLS.CertFile, "tls-cert-file", o.TLS.CertFile, "player port certificate (PEM, with its chain): the port serves TLS on every path and GameLift Realtime's fast channel DTLS; empty: plain")
	fs.StringVar(&o.TLS.KeyFile, "tls-key-file", o.TLS.KeyFile, "private key (PEM) of tls-cert-file")
	fs.StringVar(&o.TLS.CAFile, "tls-ca-file", o.TLS.CAFile, "CA (PEM) GameLift Realtime clients verify the DTLS server against (the login result's caCert); empty: the certificates of tls-cert-file")
	o.Game.RegisterFlags(fs)
	o.Script.RegisterFlags(fs)
}

// Validate reports bad option values.
func (o Options) Validate() error {
	var errs []error
	if o.SDKHTTPPort <= 0 || o.SDKHTTPPort > 65535 {
		errs = append(errs, fmt.Errorf("sdk-http-port %d is not a port", o.SDKHTTPPort))
	}
	if o.AfterSession != host.AfterShutdown && o.AfterSession != host.AfterReady {
		errs = append(errs, fmt.Errorf("after-race %q: want shutdown or ready", o.AfterSession))
	}
	if o.DrainGrace <= 0 {
		errs = append(errs, errors.New("drain-grace must be positive"))
	}
	if o.RacesPerServer < 1 || o.RacesPerServer > host.MaxMatchesPerServer {
		errs = append(errs, fmt.Errorf("races-per-server %d must be between 1 and %d", o.RacesPerServer, host.MaxMatchesPerServer))
	}
	if o.MaxConnections < 0 || o.MaxConnectionsPerIP < 0 {
		errs = append(errs, fmt.Errorf("max-connections %d and max-connections-per-ip %d must not be negative", o.MaxConnections, o.MaxConnectionsPerIP))
	}
	if o.MaxRaces < 0 || o.MaxAge < 0 {
		errs = append(errs, fmt.Errorf("max-races %d and max-age %v must not be negative (0: no limit)", o.MaxRaces, o.MaxAge))
	}
	if (o.MaxRaces > 0 || o.MaxAge > 0) && o.RacesPerServer == 1 {
		errs = append(errs, fmt.Errorf("max-races %d and max-age %v need races-per-server above 1: a server of one race is recycled after each race (after-race=shutdown)", o.MaxRaces, o.MaxAge))
	}
	if o.LeaseTTL < 0 {
		errs = append(errs, fmt.Errorf("lease-ttl %v must not be negative (0: leases never lapse)", o.LeaseTTL))
	}
	if err := o.TLS.Validate(); err != nil {
		errs = append(errs, err)
	}
	if _, err := logging.ParseLevel(o.LogLevel); err != nil {
		errs = append(errs, err)
	}
	if err := o.Game.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := o.Script.Validate(); err != nil {
		errs = append(errs, err)
	}
	if _, err := o.Script.Party(o.Game); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Run runs the race server until ctx is done (SIGTERM), then drains.
func Run(ctx context.Context, o Options, logger *slog.Logger) error {
	keys, err := token.LoadKeyset(o.KeyFile)
	if err != nil {
		return err
	}
	tlsCfg, err := o.TLS.Load()
	if err != nil {
		return err
	}
	if o.Game.Script, err = o.Script.Program(logger, o.RacesPerServer); err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if o.Game.Party, err = o.Script.Party(o.Game); err != nil {
		return err
	}
	if o.Game.Party != nil {
		o.Game.PartyMetrics = match.NewMetrics(reg, "party", "matches")
	}
	hc := o.Game.HostConfig(token.NewIssuer(keys, nil), realtime.NewMetrics(reg), race.NewMetrics(reg), logger)
	hc.AfterSession = o.AfterSession
	hc.DrainGrace = o.DrainGrace
	hc.MatchesPerServer = o.RacesPerServer
	hc.LeaseTTL = o.LeaseTTL
	hc.MaxMatches = o.MaxRaces
	hc.MaxAge = jitter(o.MaxAge)
	hc.Metrics = host.NewMetrics(reg)
	hc.TLS = tlsCfg
	hc.Realtime.MaxConnections = o.MaxConnections
	hc.Realtime.MaxConnectionsPerIP = o.MaxConnectionsPerIP
	sdkOpts := []agonessdk.Option{agonessdk.WithLogger(logger)}
	if o.RacesPerServer > 1 {
		// Every race start and end changes the races list, and each change
		// would bring the whole GameServer back through the watch: the lease
		// needs no more than a few looks a second.
		sdkOpts = append(sdkOpts, agonessdk.WithWatchInterval(watchInterval))
	}
	sdk, err := agonessdk.NewClient(fmt.Sprintf("http://localhost:%d", o.SDKHTTPPort), sdkOpts...)
	if err != nil {
		return err
	}
	h, err := host.New(hc, sdk)
	if err != nil {
		return err
	}
	reg.MustRegister(host.HealthCollector(h))

	admin, err := net.Listen("tcp", o.AdminListen)
	if err != nil {
		return fmt.Errorf("admin listener: %w", err)
	}
	mux := AdminHandler(reg, h.Ready, h.Healthy)
	registerFaults(mux, h, logger)
	adminSrv := &http.Server{
		Handler: mux, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 30 * time.Second, MaxHeaderBytes: 16 << 10,
	}
	go func() {
		if err := adminSrv.Serve(admin); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("admin server", "err", err)
		}
	}()
	defer adminSrv.Close()

	ln, err := net.Listen("tcp", o.Listen)
	if err != nil {
		return fmt.Errorf("player listener: %w", err)
	}
	logger.Info("race server starting", "listen", ln.Addr().String(), "admin", admin.Addr().String(), "sdk_port", o.SDKHTTPPort, "after_race", o.AfterSession, "races_per_server", o.RacesPerServer, "lease_ttl", o.LeaseTTL, "max_races", o.MaxRaces, "max_age", hc.MaxAge, "tls", o.TLS.Enabled(), "fault_injection", FaultInjection)
	return h.Run(ctx, ln)
}

// jitter adds up to a tenth of d, at random: the servers of a Fleet start
// together at install and after a rollout, and would otherwise all close to
// new races at the same moment.
func jitter(d time.Duration) time.Duration {
	if d < 10 {
		return d
	}
	return d + rand.N(d/10)
}

// AdminHandler serves /metrics from reg, /healthz from healthy (false once
// the watchdog found the game loop stuck or the game crashed), and /readyz
// from ready.
func AdminHandler(reg *prometheus.Registry, ready, healthy func() bool) *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		if !healthy() {
			http.Error(w, "the game loop is stuck or crashed: this server is being replaced", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !ready() {
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	})
	return mux
}
