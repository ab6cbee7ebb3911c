package app

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/leapfrog-games/leapfrog/client"
	"github.com/leapfrog-games/leapfrog/contract/token"
	"github.com/leapfrog-games/leapfrog/internal/allocator/backend"
	"github.com/leapfrog-games/leapfrog/internal/allocator/local"
	"github.com/leapfrog-games/leapfrog/internal/gameserver/raceserver"
)

func TestValidateEdge(t *testing.T) {
	for _, tt := range []struct {
		name string
		edit func(*Config)
		ok   bool
	}{
		{"edge url", func(c *Config) { c.EdgeURL = "wss://play.example.com" }, true},
		{"edge url with a prefix", func(c *Config) { c.EdgeURL = "wss://example.com:8443/games" }, true},
		{"http edge url", func(c *Config) { c.EdgeURL = "https://play.example.com" }, false},
		{"edge url without host", func(c *Config) { c.EdgeURL = "wss://" }, false},
		{"edge url with a query", func(c *Config) { c.EdgeURL = "wss://a.example?x=1" }, false},
		{"local edge", func(c *Config) { c.LocalEdge, c.TLSSelfSigned = true, true }, true},
		{"local edge and edge url", func(c *Config) { c.LocalEdge, c.EdgeURL = true, "wss://a.example" }, false},
		{"local edge with agones", func(c *Config) { c.Backend, c.KeyFile, c.LocalEdge = BackendAgones, "/k.json", true }, false},
		{"self-signed with agones", func(c *Config) { c.Backend, c.KeyFile, c.TLSSelfSigned = BackendAgones, "/k.json", true }, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			tt.edit(&c)
			if err := c.Validate(); (err == nil) != tt.ok {
				t.Errorf("Validate() = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

// Local mode over HTTPS: the page's origin serves the API and, through the
// edge, the matches over wss://; the match hands out that URL, and a player
// with the self-signed certificate trusted joins a real game server.
func TestRunLocalEdgeOverTLS(t *testing.T) {
	cfg := DefaultConfig()
	cfg.LocalEdge, cfg.TLSSelfSigned = true, true
	deps := Deps{LocalFleet: func(ctx context.Context, tokens *token.Issuer, reg prometheus.Registerer, logger *slog.Logger) (backend.Backend, func(), error) {
		f, err := local.NewFleet(ctx, local.Config{Host: "127.0.0.1", BufferSize: 1, MaxReplicas: 2, Game: raceserver.DefaultGameOptions(), Tokens: tokens}, reg, logger)
		if err != nil {
			return nil, nil, err
		}
		return f, f.Close, nil
	}}
	base, stop := started(t, cfg, deps)
	base = "https://" + strings.TrimPrefix(base, "http://")
	addr := strings.TrimPrefix(base, "https://")

	// Trust the certificate the allocator made, as a user accepting it would.
	probe, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(probe.ConnectionState().PeerCertificates[0])
	probe.Close()
	trusted := &tls.Config{RootCAs: pool}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: trusted}, Timeout: 10 * time.Second}

	call := func(path, bearer string, want int) map[string]any {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, base+path, strings.NewReader("{}"))
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatalf("POST %s over TLS with the self-signed certificate trusted: %v", path, err)
		}
		defer resp.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != want {
			t.Fatalf("POST %s: %d %v %v", path, resp.StatusCode, out, err)
		}
		return out
	}
	g := call("/v1/guest", "", http.StatusCreated)
	m := call("/v1/match", g["guest_token"].(string), http.StatusOK)
	wantURL := "wss://" + addr + "/race/" + m["game_server"].(string)
	if m["ws_url"] != wantURL || m["address"] != "127.0.0.1" || m["port"].(float64) <= 0 {
		t.Fatalf("match %v, want ws_url %s and the direct address and port", m, wantURL)
	}
	c, err := client.Dial(t.Context(), m["ws_url"].(string), m["player_session_token"].(string), client.DialOptions{
		Dialer: &websocket.Dialer{TLSClientConfig: trusted, HandshakeTimeout: 5 * time.Second},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	select {
	case ev := <-c.Events():
		if w, ok := ev.(client.Welcome); !ok || w.GameServer != m["game_server"] {
			t.Fatalf("first event %#v, want Welcome from %v", ev, m["game_server"])
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no Welcome through the edge over wss://")
	}
	c.Close()
	if err := stop(); err != nil {
		t.Errorf("Run: %v", err)
	}
}
