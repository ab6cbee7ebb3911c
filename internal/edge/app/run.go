package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/certwatcher"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/config"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/leapfrog-games/leapfrog/contract/agonesv1"
	"github.com/leapfrog-games/leapfrog/contract/token"
	"github.com/leapfrog-games/leapfrog/internal/edge"
	"github.com/leapfrog-games/leapfrog/internal/edge/kube"
)

// Deps are what main (or a test) provides besides the configuration.
type Deps struct {
	Logger *slog.Logger
	// RESTConfig reaches the Kubernetes API; nil means the usual lookup
	// (--kubeconfig, KUBECONFIG, in-cluster, ~/.kube/config).
	RESTConfig *rest.Config
	// Listener and AdminListener, if set, are served instead of listening
	// on Config.Listen and Config.AdminListen.
	Listener, AdminListener net.Listener
	// Ready is called once both are being served (tests wait on it).
	Ready func(players, admin net.Addr)
}

// Run serves the edge until ctx ends, then drains for DrainGrace.
func Run(ctx context.Context, cfg Config, deps Deps) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	logger := deps.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	keys, err := token.LoadKeyset(cfg.KeyFile)
	if err != nil {
		return err
	}
	restCfg := deps.RESTConfig
	if restCfg == nil {
		if restCfg, err = config.GetConfig(); err != nil {
			return fmt.Errorf("kubernetes client config: %w", err)
		}
	}
	scheme := runtime.NewScheme()
	if err := agonesv1.AddToScheme(scheme); err != nil {
		return err
	}
	// The resolver's selector also scopes the cache: the edge holds, and
	// can reach, only the configured Fleets' GameServers.
	selector, err := kube.FleetSelector(cfg.FleetList())
	if err != nil {
		return err
	}
	mgr, err := manager.New(restCfg, manager.Options{
		Scheme: scheme,
		Logger: logr.FromSlogHandler(logger.Handler()),
		Cache: cache.Options{
			DefaultNamespaces: map[string]cache.Config{cfg.Namespace: {}},
			ByObject:          map[client.Object]cache.ByObject{&agonesv1.GameServer{}: {Label: selector}},
		},
		Metrics:                 metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress:  "0",
		LeaderElection:          false, // every replica relays
		GracefulShutdownTimeout: ptr(cfg.DrainGrace + 10*time.Second),
	})
	if err != nil {
		return fmt.Errorf("controller manager: %w", err)
	}
	resolver, err := kube.NewResolver(mgr.GetCache(), kube.Config{Namespace: cfg.Namespace, Fleets: cfg.FleetList(), PortName: cfg.PortName})
	if err != nil {
		return err
	}
	informer, err := mgr.GetCache().GetInformer(ctx, &agonesv1.GameServer{})
	if err != nil {
		return fmt.Errorf("watch GameServers in %s: %w", cfg.Namespace, err)
	}
	notify := func(any) { resolver.Notify() }
	if _, err := informer.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc: func(obj any) { notify(obj) }, UpdateFunc: func(_, obj any) { notify(obj) }, DeleteFunc: notify,
	}); err != nil {
		return fmt.Errorf("watch GameServers: %w", err)
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	h, err := edge.NewHandler(edge.Config{
		Tokens: token.NewIssuer(keys, nil), Resolver: resolver, Registry: reg, Logger: logger,
		HandshakeTimeout: cfg.HandshakeWait, PongWait: cfg.PongWait, UpstreamIdle: cfg.UpstreamIdle,
		WriteTimeout: cfg.WriteTimeout, MaxConnsPerIP: cfg.MaxConnsPerIP, MaxConns: cfg.MaxConns,
		ClientIPHeader: cfg.ClientIPHeader,
	})
	if err != nil {
		return err
	}

	ln, err := listen(deps.Listener, cfg.Listen)
	if err != nil {
		return err
	}
	adminLn, err := listen(deps.AdminListener, cfg.AdminListen)
	if err != nil {
		ln.Close()
		return err
	}
	if cfg.TLSCertFile != "" {
		cw, err := certwatcher.New(cfg.TLSCertFile, cfg.TLSKeyFile)
		if err != nil {
			return fmt.Errorf("tls certificate: %w", err)
		}
		if err := mgr.Add(cw); err != nil {
			return err
		}
		ln = tls.NewListener(ln, &tls.Config{GetCertificate: cw.GetCertificate, MinVersion: tls.VersionTLS12})
	}

	var synced, draining atomic.Bool
	go func() { synced.Store(mgr.GetCache().WaitForCacheSync(ctx)) }()
	if err := mgr.Add(adminServer(adminLn, reg, func() error {
		switch {
		case draining.Load():
			return errors.New("draining")
		case !synced.Load():
			return errors.New("GameServer watch not synced yet")
		}
		return nil
	}, logger)); err != nil {
		return err
	}
	if err := mgr.Add(&playerServer{ln: ln, h: h, cfg: cfg, draining: &draining, logger: logger}); err != nil {
		return err
	}
	if deps.Ready != nil {
		deps.Ready(ln.Addr(), adminLn.Addr())
	}
	logger.Info("edge starting", "listen", ln.Addr().String(), "tls", cfg.TLSCertFile != "", "namespace", cfg.Namespace, "fleets", cfg.FleetList())
	return mgr.Start(ctx)
}

func listen(given net.Listener, addr string) (net.Listener, error) {
	if given != nil {
		return given, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	return ln, nil
}

func adminServer(ln net.Listener, reg *prometheus.Registry, ready func() error, logger *slog.Logger) *manager.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if err := ready(); err != nil {
			http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	return &manager.Server{Name: "admin", Listener: ln, Server: &http.Server{
		Handler: mux, ReadHeaderTimeout: 5 * time.Second, ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}}
}

// playerServer serves the players' WebSockets. On stop it reports not
// ready, keeps relaying for DrainGrace (the load balancer takes the replica
// out meanwhile), then tells the players left to reconnect.
type playerServer struct {
	ln       net.Listener
	h        *edge.Handler
	cfg      Config
	draining *atomic.Bool
	logger   *slog.Logger
}

func (s *playerServer) Start(ctx context.Context) error {
	mux := http.NewServeMux()
	mux.Handle(edge.Pattern, s.h)
	srv := &http.Server{
		Handler: mux, ReadHeaderTimeout: 5 * time.Second, MaxHeaderBytes: 16 << 10,
		ErrorLog: slog.NewLogLogger(s.logger.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(s.ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("serve players: %w", err)
	case <-ctx.Done():
	}
	s.draining.Store(true)
	s.logger.Info("edge draining", "grace", s.cfg.DrainGrace)
	drain, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.DrainGrace)
	defer cancel()
	_ = srv.Shutdown(drain) // stops accepting; hijacked connections are the handler's
	if err := s.h.Shutdown(drain); err != nil {
		s.logger.Info("edge drained: the players left were told to reconnect", "err", err)
	}
	return nil
}

func ptr[T any](v T) *T { return &v }
