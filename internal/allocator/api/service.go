package api

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/trace"

	"github.com/leapfrog-games/leapfrog/contract/token"
	"github.com/leapfrog-games/leapfrog/internal/allocator/backend"
	"github.com/leapfrog-games/leapfrog/internal/allocator/ratelimit"
	"github.com/leapfrog-games/leapfrog/internal/tracing"
)

// Defaults for the optional fields of Config.
const (
	DefaultRetryAfter      = 2 * time.Second
	DefaultAllocateTimeout = 10 * time.Second
	DefaultMaxTrackedKeys  = 100_000
	// DefaultMaxPlacesPerIP and DefaultPlaceHold: players from one client
	// address may hold at most this many places (seats) at once, a place
	// counting until its match ends (the hold after it was given, the match
	// servers' no-show timeout, with a backend that cannot tell): sized
	// for one machine or a small NAT; see docs/abuse-limits.md.
	DefaultMaxPlacesPerIP = 64
	DefaultPlaceHold      = 60 * time.Second
	// maxBodyBytes bounds request bodies; the largest valid one is {"seats":2}.
	maxBodyBytes = 1 << 10
)

// Registry is where the service registers its metrics and what /metrics
// serves: usually one *prometheus.Registry.
type Registry interface {
	prometheus.Registerer
	prometheus.Gatherer
}

// Config configures a Service.
type Config struct {
	Backend backend.Backend
	Issuer  *token.Issuer
	// GuestTTL and SessionTTL are the lifetimes of guest identities and player
	// session tokens.
	GuestTTL   time.Duration
	SessionTTL time.Duration
	// GuestRate and GuestBurst limit guest identities per client address;
	// MatchRate and MatchBurst limit match requests per player. Rates are per
	// second.
	GuestRate  float64
	GuestBurst int
	MatchRate  float64
	MatchBurst int
	// MaxPlacesPerIP caps the places (seats) the players from one client
	// address hold at once. A place counts until its match ends when the
	// backend is a PlaceTracker, else for PlaceHold after it was last
	// given (the time a place stays reserved for a player who never
	// connects). Defaults DefaultMaxPlacesPerIP and DefaultPlaceHold. A
	// player asking again for its own place counts once.
	MaxPlacesPerIP int
	PlaceHold      time.Duration
	Registry       Registry
	Logger         *slog.Logger

	// Web serves GET / and everything no other route takes (the browser
	// client). Nil answers 404 there.
	Web http.Handler
	// MatchURL builds each match's ws_url; nil means DirectURL.
	MatchURL MatchURL
	// Ready, if set, is asked by /readyz; nil means ready whenever serving.
	Ready func(ctx context.Context) error
	// RetryAfter is the wait advised with 503 no_capacity (default 2 s).
	RetryAfter time.Duration
	// AllocateTimeout bounds one allocation (default 10 s).
	AllocateTimeout time.Duration
	// MaxTrackedKeys bounds each rate limiter's memory (default 100000).
	MaxTrackedKeys int
	// Now is the clock of the rate limiters (default time.Now).
	Now func() time.Time
	// Tracer, if set, makes a span of each API request and of the steps of
	// a match (internal/tracing); nil turns tracing off at no cost.
	Tracer trace.TracerProvider
}

// Service is the allocator's HTTP handler.
type Service struct {
	backend         backend.Backend
	issuer          *token.Issuer
	guestTTL        time.Duration
	sessionTTL      time.Duration
	guestLimit      *ratelimit.Keyed
	matchLimit      *ratelimit.Keyed
	places          *placeBook
	maxPlacesPerIP  int
	placeHold       time.Duration
	ready           func(ctx context.Context) error
	matchURL        MatchURL
	retryAfter      time.Duration
	allocateTimeout time.Duration
	now             func() time.Time
	logger          *slog.Logger
	metrics         *metrics
	tracer          trace.Tracer
	mux             *http.ServeMux
}

var _ http.Handler = (*Service)(nil)

// New builds the service and registers its metrics on cfg.Registry.
func New(cfg Config) (*Service, error) {
	switch {
	case cfg.Backend == nil:
		return nil, errors.New("api: a backend is required")
	case cfg.Issuer == nil:
		return nil, errors.New("api: a token issuer is required")
	case cfg.Registry == nil:
		return nil, errors.New("api: a metrics registry is required")
	case cfg.GuestTTL <= 0 || cfg.SessionTTL <= 0:
		return nil, fmt.Errorf("api: guest TTL %v and session TTL %v must be positive", cfg.GuestTTL, cfg.SessionTTL)
	case cfg.RetryAfter < 0 || cfg.AllocateTimeout < 0 || cfg.PlaceHold < 0 || cfg.MaxTrackedKeys < 0 || cfg.MaxPlacesPerIP < 0:
		return nil, fmt.Errorf("api: retry after %v, allocate timeout %v, place hold %v, max tracked keys %d and max places per IP %d must not be negative",
			cfg.RetryAfter, cfg.AllocateTimeout, cfg.PlaceHold, cfg.MaxTrackedKeys, cfg.MaxPlacesPerIP)
	}
	s := &Service{
		backend:         cfg.Backend,
		issuer:          cfg.Issuer,
		guestTTL:        cfg.GuestTTL,
		sessionTTL:      cfg.SessionTTL,
		ready:           cfg.Ready,
		matchURL:        cfg.MatchURL,
		retryAfter:      cmp.Or(cfg.RetryAfter, DefaultRetryAfter),
		allocateTimeout: cmp.Or(cfg.AllocateTimeout, DefaultAllocateTimeout),
		maxPlacesPerIP:  cmp.Or(cfg.MaxPlacesPerIP, DefaultMaxPlacesPerIP),
		placeHold:       cmp.Or(cfg.PlaceHold, DefaultPlaceHold),
		now:             cfg.Now,
		logger:          cfg.Logger,
		mux:             http.NewServeMux(),
	}
	if s.now == nil {
		s.now = time.Now
	}
	if cfg.Tracer != nil {
		s.tracer = cfg.Tracer.Tracer(tracing.Scope)
	}
	if s.matchURL == nil {
		s.matchURL = DirectURL
	}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	maxKeys := cmp.Or(cfg.MaxTrackedKeys, DefaultMaxTrackedKeys)
	var err error
	if s.guestLimit, err = ratelimit.New(cfg.GuestRate, cfg.GuestBurst, maxKeys); err != nil {
		return nil, fmt.Errorf("api: guest %w", err)
	}
	if s.matchLimit, err = ratelimit.New(cfg.MatchRate, cfg.MatchBurst, maxKeys); err != nil {
		return nil, fmt.Errorf("api: match %w", err)
	}
	tracker, _ := cfg.Backend.(PlaceTracker)
	if s.places, err = newPlaceBook(s.maxPlacesPerIP, s.placeHold, maxKeys, tracker); err != nil {
		return nil, fmt.Errorf("api: places %w", err)
	}
	if s.metrics, err = newMetrics(cfg.Registry); err != nil {
		return nil, fmt.Errorf("api: %w", err)
	}

	web := cfg.Web
	if web == nil {
		web = http.NotFoundHandler()
	}
	s.route("POST /v1/guest", "guest", s.traced("POST /v1/guest", s.apiHandler(s.guest)))
	s.route("POST /v1/match", "match", s.traced("POST /v1/match", s.apiHandler(s.match)))
	s.route("/v1/guest", "guest", s.methodNotAllowed(http.MethodPost))
	s.route("/v1/match", "match", s.methodNotAllowed(http.MethodPost))
	s.route("/v1/", "unknown", s.apiHandler(func(w http.ResponseWriter, r *http.Request) error {
		return fmt.Errorf("%w: no API route %s", errNotFound, r.URL.Path)
	}))
	s.route("GET /healthz", "healthz", http.HandlerFunc(healthz))
	s.route("GET /readyz", "readyz", http.HandlerFunc(s.readyz))
	s.route("GET /metrics", "metrics", promhttp.HandlerFor(cfg.Registry, promhttp.HandlerOpts{}))
	s.route("/", "web", web)
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux.ServeHTTP(w, r)
}

func (s *Service) route(pattern, name string, h http.Handler) {
	s.mux.Handle(pattern, s.metrics.instrument(name, h))
}

// apiHandler adapts a handler that returns its failure, so that every API
// error is written by writeError.
func (s *Service) apiHandler(h func(http.ResponseWriter, *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

func (s *Service) methodNotAllowed(allow string) http.Handler {
	return s.apiHandler(func(w http.ResponseWriter, r *http.Request) error {
		w.Header().Set("Allow", allow)
		return fmt.Errorf("%w: %s %s, use %s", errMethodNotAllowed, r.Method, r.URL.Path, allow)
	})
}

func healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
}

func (s *Service) readyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if s.ready != nil {
		if err := s.ready(r.Context()); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = fmt.Fprintf(w, "not ready: %v\n", err)
			return
		}
	}
	_, _ = w.Write([]byte("ok\n"))
}
