package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.opentelemetry.io/otel/trace"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/config"
	crlog "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/leapfrog-games/leapfrog/contract/agonesv1"
	"github.com/leapfrog-games/leapfrog/contract/agoneswire"
	"github.com/leapfrog-games/leapfrog/contract/token"
	"github.com/leapfrog-games/leapfrog/internal/allocator/agones"
	"github.com/leapfrog-games/leapfrog/internal/allocator/api"
	"github.com/leapfrog-games/leapfrog/internal/allocator/backend"
	"github.com/leapfrog-games/leapfrog/internal/allocator/connlimit"
	"github.com/leapfrog-games/leapfrog/internal/allocator/placement"
	"github.com/leapfrog-games/leapfrog/internal/allocator/reach"
	"github.com/leapfrog-games/leapfrog/internal/tracing"
)

// ErrNoLocalFleet: --backend=local in a build without the embedded fleet.
var ErrNoLocalFleet = errors.New("backend local: this build has no embedded fleet; use --backend=agones")

const (
	// shutdownTimeout bounds the wait for in-flight requests on exit.
	shutdownTimeout = 10 * time.Second
	// readyCacheTTL and readyTimeout pace /readyz's check of the API.
	readyCacheTTL = 2 * time.Second
	readyTimeout  = 2 * time.Second
)

// LocalFleet starts the embedded fleet of --backend=local. Its game servers
// verify player session tokens with tokens (the allocator's own keys); it
// registers its metrics on reg and runs until stop is called.
type LocalFleet func(ctx context.Context, tokens *token.Issuer, reg prometheus.Registerer, logger *slog.Logger) (b backend.Backend, stop func(), err error)

// Deps are what main provides besides the configuration.
type Deps struct {
	Logger *slog.Logger
	// LocalFleet starts the local backend; required for --backend=local.
	LocalFleet LocalFleet
	// Web serves the browser client at /; nil answers 404 there.
	Web http.Handler
	// Script names the GameLift Realtime script the local fleet runs
	// (empty: the Go match), for the line that tells how to play.
	Script string
	// Listener, if set, is served instead of listening on Config.Listen.
	Listener net.Listener
	// RESTConfig reaches the Kubernetes API for --backend=agones; nil means
	// the usual lookup (--kubeconfig, KUBECONFIG, in-cluster).
	RESTConfig *rest.Config
	// Ready is called once the API is being served (tests wait on it).
	Ready func(addr net.Addr)
	// Now is the clock of /readyz's cache in Agones mode (default time.Now).
	Now func() time.Time
}

// Run serves the allocator until ctx ends.
func Run(ctx context.Context, cfg Config, deps Deps) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	if cfg.Backend == BackendLocal && deps.LocalFleet == nil {
		return ErrNoLocalFleet
	}
	logger := deps.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	keys, err := loadKeys(cfg, logger)
	if err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	traces, err := tracing.New(ctx, tracing.Config{Endpoint: cfg.OTLPEndpoint, ServiceName: ServiceName})
	if err != nil {
		return err
	}
	// After the API server has shut down: the last requests' spans go too.
	defer flushTraces(traces, logger)
	var tracer trace.TracerProvider
	if traces.Enabled() {
		tracer = traces
		logger.Info("tracing matches", "otlp_endpoint", cfg.OTLPEndpoint)
	}

	ln := deps.Listener
	if ln == nil {
		if ln, err = net.Listen("tcp", cfg.Listen); err != nil {
			return fmt.Errorf("listen on %s: %w", cfg.Listen, err)
		}
	}
	defer ln.Close()

	issuer := token.NewIssuer(keys, nil)
	conns, err := connlimit.New(connlimit.Config{PerIP: cfg.MaxConnsPerIP, Total: cfg.MaxConns, Subsystem: "allocator", Registry: reg})
	if err != nil {
		return err
	}
	ln = conns.Listener(ln)
	// TLS on top of the capped listener: the cap turns connections away
	// before any handshake, and the HTTP server still sees *tls.Conn.
	if cfg.TLSSelfSigned {
		if ln, err = serveTLS(ln, logger); err != nil {
			return err
		}
	}
	newServer := func(b backend.Backend, ready func(context.Context) error, wrap func(http.Handler) http.Handler) (*manager.Server, error) {
		svc, err := api.New(api.Config{
			Backend: b, Issuer: issuer,
			GuestTTL: cfg.GuestTTL, SessionTTL: cfg.SessionTTL,
			GuestRate: cfg.GuestRate, GuestBurst: cfg.GuestBurst,
			MatchRate: cfg.MatchRate, MatchBurst: cfg.MatchBurst,
			MaxPlacesPerIP: cfg.MaxPlacesPerIP, PlaceHold: cfg.PlaceHold,
			Registry: reg, Logger: logger, Web: deps.Web, Ready: ready, MatchURL: cfg.matchURL(),
			Tracer: tracer,
		})
		if err != nil {
			return nil, err
		}
		var handler http.Handler = svc
		if wrap != nil {
			handler = wrap(svc)
		}
		timeout := shutdownTimeout
		return &manager.Server{
			Name:     "allocator",
			Listener: notifyingListener{Listener: ln, ready: deps.Ready},
			Server: &http.Server{
				Handler:           handler,
				ReadHeaderTimeout: 5 * time.Second,
				ReadTimeout:       15 * time.Second,
				WriteTimeout:      30 * time.Second,
				IdleTimeout:       2 * time.Minute,
				// Idle keep-alives are the first to go when a connection cap is
				// reached; WebSocket relays (hijacked) never are.
				ConnState:      conns.ConnState,
				MaxHeaderBytes: 16 << 10,
				ErrorLog:       slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
			},
			ShutdownTimeout: &timeout,
		}, nil
	}

	logger.Info("allocator starting", "listen", ln.Addr().String(), "backend", cfg.Backend)
	switch cfg.Backend {
	case BackendAgones:
		return runAgones(ctx, cfg, deps, reg, logger, newServer)
	default:
		return runLocal(ctx, cfg, deps, issuer, reg, logger, newServer)
	}
}

// ServiceName is the allocator's service.name in traces, unless
// OTEL_SERVICE_NAME says otherwise.
const ServiceName = "leapfrog-allocator"

// flushTraces exports the spans still buffered, within the shutdown timeout.
func flushTraces(traces *tracing.Provider, logger *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := traces.Shutdown(ctx); err != nil {
		logger.Warn("traces not all exported", "err", err)
	}
}

func loadKeys(cfg Config, logger *slog.Logger) (*token.Keyset, error) {
	if cfg.KeyFile != "" {
		return token.LoadKeyset(cfg.KeyFile)
	}
	keys, err := token.GenerateKeyset("ephemeral")
	if err != nil {
		return nil, err
	}
	logger.Warn("no --key-file: signing with an ephemeral key; tokens die with this process and only the embedded fleet can verify them")
	return keys, nil
}

func runLocal(ctx context.Context, cfg Config, deps Deps, issuer *token.Issuer, reg prometheus.Registerer, logger *slog.Logger, newServer serverFactory) error {
	b, stop, err := deps.LocalFleet(ctx, issuer, reg, logger)
	if err != nil {
		return fmt.Errorf("start local fleet: %w", err)
	}
	var wrap func(http.Handler) http.Handler
	if cfg.LocalEdge {
		e, err := newLocalEdge(b, issuer, reg, logger)
		if err != nil {
			stop()
			return err
		}
		wrap = e.route
		defer e.shutdown() // after the fleet has stopped: its players hear 1001 through the relays
	}
	defer stop()
	srv, err := newServer(b, nil, wrap)
	if err != nil {
		return err
	}
	scheme := "http://"
	if cfg.TLSSelfSigned {
		scheme = "https://"
	}
	url := scheme + srv.Listener.Addr().String() + "/"
	switch {
	case deps.Script != "":
		// The page is Mega Frog Race's client: it plays a script only if the
		// script speaks that game's messages. Every other script's players
		// are the studio's own GameLift Realtime clients.
		logger.Info("GameLift Realtime script is up: POST /v1/guest, then POST /v1/match with the guest token; "+
			"connect a GameLift Realtime client to ws://<ipAddress>:<port>/websocket of the match with its playerSessionId "+
			"(the page at / is Mega Frog Race's client: it plays only a script of that game, such as examples/megafrograce)",
			"script", deps.Script, "url", url)
	case deps.Web != nil:
		logger.Info("Mega Frog Race is up: open the page in two browser tabs (or one, for a living-room match)", "url", url)
	}
	// manager.Server logs through controller-runtime's context logger.
	return srv.Start(crlog.IntoContext(ctx, logr.FromSlogHandler(logger.Handler())))
}

func runAgones(ctx context.Context, cfg Config, deps Deps, reg prometheus.Registerer, logger *slog.Logger, newServer serverFactory) error {
	restCfg := deps.RESTConfig
	if restCfg == nil {
		var err error
		if restCfg, err = config.GetConfig(); err != nil {
			return fmt.Errorf("kubernetes client config: %w", err)
		}
	}
	restCfg = rest.CopyConfig(restCfg)
	restCfg.QPS, restCfg.Burst = float32(cfg.KubeQPS), cfg.KubeBurst
	scheme := runtime.NewScheme()
	if err := agonesv1.AddToScheme(scheme); err != nil {
		return err
	}
	mgr, err := manager.New(restCfg, manager.Options{
		Scheme: scheme,
		Logger: logr.FromSlogHandler(logger.Handler()),
		// The allocator serves its own /metrics, /healthz and /readyz.
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		// Every replica serves the API: nothing here needs a leader.
		LeaderElection: false,
	})
	if err != nil {
		return fmt.Errorf("controller manager: %w", err)
	}
	agonesCfg := agones.Config{Namespace: cfg.Namespace, Fleet: cfg.Fleet, PortName: cfg.PortName, PublicAddress: cfg.PublicAddress}
	backendLogger := logger.With("backend", "agones", "namespace", cfg.Namespace, "fleet", cfg.Fleet)
	var alloc backend.Backend
	if cfg.MatchesPerServer > 1 {
		alloc, err = leaser(ctx, mgr, restCfg, scheme, cfg, agonesCfg, deps.Now, reg, backendLogger)
	} else {
		alloc, err = agones.New(mgr.GetClient(), agonesCfg, backendLogger)
	}
	if err != nil {
		return err
	}
	probe, err := apiProbe(restCfg, deps.Now)
	if err != nil {
		return err
	}
	if err := reg.Register(probe.Collector()); err != nil {
		return fmt.Errorf("register the API probe's metric: %w", err)
	}
	served, ready := alloc, probe.Ready
	if l, ok := alloc.(*agones.Leaser); ok {
		// Matches on leased servers need no API and go on through an
		// outage: the replica stays ready while it can place matches.
		ready = func(ctx context.Context) error {
			err := probe.Ready(ctx)
			if err != nil && l.CanPlace() {
				return nil
			}
			return err
		}
	} else {
		// Every match is an allocation; the players lists of the Fleet's
		// servers tell when a place given is no longer held.
		players := agones.NewPlayers()
		fleet, err := fleetCache(mgr, restCfg, scheme, cfg)
		if err != nil {
			return err
		}
		informer, err := fleet.GetInformer(ctx, &agonesv1.GameServer{})
		if err != nil {
			return fmt.Errorf("watch GameServers in %s: %w", cfg.Namespace, err)
		}
		if err := players.Watch(ctx, informer); err != nil {
			return err
		}
		if err := mgr.Add(manager.RunnableFunc(fleet.Start)); err != nil {
			return fmt.Errorf("add the GameServer watch to the manager: %w", err)
		}
		served = trackedBackend{Backend: agones.FailFast{Backend: alloc, Probe: probe}, Players: players}
	}
	srv, err := newServer(served, ready, nil)
	if err != nil {
		return err
	}
	if err := mgr.Add(srv); err != nil {
		return fmt.Errorf("add API server to the manager: %w", err)
	}
	return mgr.Start(ctx)
}

// leaser builds the high density's backend: a Leaser placing matches with the
// placement engine, watching the Fleet's GameServers and renewing its leases
// while the manager runs.
func leaser(ctx context.Context, mgr manager.Manager, restCfg *rest.Config, scheme *runtime.Scheme, cfg Config, agonesCfg agones.Config, now func() time.Time, reg prometheus.Registerer, logger *slog.Logger) (*agones.Leaser, error) {
	id, err := cfg.replicaID()
	if err != nil {
		return nil, err
	}
	engine, err := placement.New(placement.Config{SeatsPerMatch: cfg.Players, Pending: cfg.PlaceHold, StartLeeway: token.ClockSkewLeeway,
		SeatHold: token.AcceptedFor(cfg.SessionTTL), ShowGrace: placement.DefaultShowGrace, MatchPrefix: agones.MatchPrefix(id), Now: now})
	if err != nil {
		return nil, fmt.Errorf("placement engine: %w", err)
	}
	leaseCfg := agones.LeaseConfig{
		Config: agonesCfg, ReplicaID: id, MatchesPerServer: cfg.MatchesPerServer,
		Renew: cfg.LeaseRenew, LowWater: cfg.LeaseLowWater, Now: now,
	}
	if cfg.ProbeTimeout > 0 {
		prober, err := reach.New(reach.Config{Timeout: cfg.ProbeTimeout, Now: now}, reg)
		if err != nil {
			return nil, err
		}
		leaseCfg.Probe = prober
	}
	l, err := agones.NewLeaser(mgr.GetClient(), engine, leaseCfg, reg, logger.With("replica", id))
	if err != nil {
		return nil, err
	}
	fleet, err := fleetCache(mgr, restCfg, scheme, cfg)
	if err != nil {
		return nil, err
	}
	informer, err := fleet.GetInformer(ctx, &agonesv1.GameServer{})
	if err != nil {
		return nil, fmt.Errorf("watch GameServers in %s: %w", cfg.Namespace, err)
	}
	if err := l.Watch(ctx, informer); err != nil {
		return nil, err
	}
	// The Fleet's GameServerSets tell its generations apart: a rollout's
	// new one takes the matches as soon as it has room.
	sets, err := fleet.GetInformer(ctx, &agonesv1.GameServerSet{})
	if err != nil {
		return nil, fmt.Errorf("watch GameServerSets in %s: %w", cfg.Namespace, err)
	}
	if err := l.WatchSets(ctx, sets); err != nil {
		return nil, err
	}
	for _, r := range []manager.Runnable{manager.RunnableFunc(fleet.Start), l} {
		if err := mgr.Add(r); err != nil {
			return nil, fmt.Errorf("add the lease loop to the manager: %w", err)
		}
	}
	logger.Info("high density: game servers are leased whole", "replica", id, "matches_per_server", cfg.MatchesPerServer, "match_prefix", agones.MatchPrefix(id))
	return l, nil
}

// fleetCache watches the Fleet's GameServers and GameServerSets, and only
// those, in a cache of their own: the manager would not start the API
// server's peers, nor stop, until its own caches synced, and the allocator
// serves matches (and shuts down) through an API outage. Informers are made
// on first ask (GetInformer), so a mode that never asks for GameServerSets
// (one match per server: no RBAC for them) never watches them. Start runs it.
func fleetCache(mgr manager.Manager, restCfg *rest.Config, scheme *runtime.Scheme, cfg Config) (cache.Cache, error) {
	fleetOnly := labels.SelectorFromSet(labels.Set{agoneswire.FleetLabel: cfg.Fleet})
	informers, err := cache.New(restCfg, cache.Options{
		Scheme:            scheme,
		Mapper:            mgr.GetRESTMapper(),
		DefaultNamespaces: map[string]cache.Config{cfg.Namespace: {}},
		ByObject: map[client.Object]cache.ByObject{
			&agonesv1.GameServer{}:    {Label: fleetOnly},
			&agonesv1.GameServerSet{}: {Label: fleetOnly},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("GameServer cache: %w", err)
	}
	return informers, nil
}

// trackedBackend is a one-race-per-server Agones backend with the watch
// that tells the API when the places it gave are no longer held.
type trackedBackend struct {
	backend.Backend
	*agones.Players
}

var (
	_ api.PlaceTracker = trackedBackend{}
	_ api.PlaceTracker = (*agones.Leaser)(nil)
)

// apiProbe checks that the allocation API is served, with the allocator's
// own credentials: discovery of allocation.agones.dev/v1 goes through the
// kube-apiserver to the Agones extensions, which serve the allocations.
func apiProbe(restCfg *rest.Config, now func() time.Time) (*agones.APIProbe, error) {
	dc, err := discovery.NewDiscoveryClientForConfig(restCfg)
	if err != nil {
		return nil, fmt.Errorf("kubernetes discovery client: %w", err)
	}
	path := "/apis/" + agonesv1.AllocationGroupVersion.String()
	return agones.NewAPIProbe(func(ctx context.Context) error {
		return dc.RESTClient().Get().AbsPath(path).Do(ctx).Error()
	}, readyCacheTTL, readyTimeout, now)
}

// serverFactory builds the API server for a backend; ready, if set, is what
// /readyz asks; wrap, if set, puts a handler (the local edge) in front of the
// API.
type serverFactory func(b backend.Backend, ready func(context.Context) error, wrap func(http.Handler) http.Handler) (*manager.Server, error)

// notifyingListener calls ready when the server starts accepting.
type notifyingListener struct {
	net.Listener
	ready func(net.Addr)
}

func (l notifyingListener) Accept() (net.Conn, error) {
	if l.ready != nil {
		l.ready(l.Addr())
	}
	return l.Listener.Accept()
}
