package app

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/leapfrog-games/leapfrog/contract/token"
	"github.com/leapfrog-games/leapfrog/internal/allocator/api"
	"github.com/leapfrog-games/leapfrog/internal/allocator/backend"
	"github.com/leapfrog-games/leapfrog/internal/edge"
	"github.com/leapfrog-games/leapfrog/internal/selfsigned"
)

const (
	// edgeDrain bounds how long local mode waits for relayed players on exit.
	edgeDrain = 2 * time.Second
	// localEdgeConns bounds the local edge's connections from one address.
	localEdgeConns = 10_000
)

func (c *Config) registerEdgeFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.EdgeURL, "edge-url", c.EdgeURL, "public base URL of the edge (wss://play.example.com): ws_url becomes <edge-url>/race/<game server>; empty hands out the game server's own ws://address:port/ws")
	fs.BoolVar(&c.LocalEdge, "local-edge", c.LocalEdge, "local: serve the matches through the edge at /race/<game server> on --listen (one origin), and hand that out as ws_url")
	fs.BoolVar(&c.TLSSelfSigned, "tls-self-signed", c.TLSSelfSigned, "local: serve HTTPS (and wss://) on --listen with a self-signed certificate generated at start")
}

func (c Config) validateEdge() error {
	var errs []error
	if c.EdgeURL != "" {
		u, err := url.Parse(c.EdgeURL)
		if err != nil || (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			errs = append(errs, fmt.Errorf("edge-url %q: want ws:// or wss://host[:port][/prefix]", c.EdgeURL))
		}
	}
	if c.Backend != BackendLocal && (c.LocalEdge || c.TLSSelfSigned) {
		errs = append(errs, errors.New("local-edge and tls-self-signed are for --backend=local; with agones, run the edge binary"))
	}
	if c.LocalEdge && c.EdgeURL != "" {
		errs = append(errs, errors.New("local-edge serves the edge on --listen: leave edge-url empty"))
	}
	return errors.Join(errs...)
}

// matchURL is how the match response's ws_url is made.
func (c Config) matchURL() api.MatchURL {
	switch {
	case c.EdgeURL != "":
		return api.EdgeURL(c.EdgeURL)
	case c.LocalEdge:
		return api.SameOriginEdgeURL
	default:
		return nil
	}
}

// serveTLS wraps ln in TLS with a fresh self-signed certificate for the
// listen address and localhost.
func serveTLS(ln net.Listener, logger *slog.Logger) (net.Listener, error) {
	host, _, _ := net.SplitHostPort(ln.Addr().String())
	cert, _, err := selfsigned.Certificate(30*24*time.Hour, host, "127.0.0.1", "::1", "localhost")
	if err != nil {
		return nil, fmt.Errorf("self-signed certificate: %w", err)
	}
	logger.Warn("serving HTTPS with a self-signed certificate: browsers will ask to accept it", "hosts", cert.Leaf.DNSNames, "ips", cert.Leaf.IPAddresses)
	return tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}), nil
}

// localEdge is the edge of local mode: the same relay the edge binary runs,
// resolving game servers from the embedded fleet.
type localEdge struct {
	h *edge.Handler
}

func newLocalEdge(b backend.Backend, issuer *token.Issuer, reg prometheus.Registerer, logger *slog.Logger) (*localEdge, error) {
	res, ok := b.(edge.Resolver)
	if !ok {
		return nil, errors.New("local-edge: the local fleet cannot resolve game servers")
	}
	h, err := edge.NewHandler(edge.Config{
		Tokens: issuer, Resolver: res, Registry: reg, Logger: logger.With("component", "edge"),
		// Local mode serves one machine: its players and bots all come from loopback.
		MaxConnsPerIP: localEdgeConns,
	})
	if err != nil {
		return nil, err
	}
	return &localEdge{h: h}, nil
}

// route serves the matches at edge.Pattern and everything else with next.
func (e *localEdge) route(next http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle(edge.Pattern, e.h)
	mux.Handle("/", next)
	return mux
}

// shutdown closes the relays still open once the fleet has stopped.
func (e *localEdge) shutdown() {
	ctx, cancel := context.WithTimeout(context.Background(), edgeDrain)
	defer cancel()
	_ = e.h.Shutdown(ctx)
}
