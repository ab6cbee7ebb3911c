package api

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/leapfrog-games/leapfrog/contract/matchapi"
	"github.com/leapfrog-games/leapfrog/contract/token"
	"github.com/leapfrog-games/leapfrog/internal/allocator/backend"
	"github.com/leapfrog-games/leapfrog/internal/allocator/local"
	"github.com/leapfrog-games/leapfrog/internal/gameserver/raceserver"
)

// benchParallelism makes b.RunParallel run 32 goroutines per P: 64 on the
// 2-core machines the allocator's load figures come from, like the load
// tool's -concurrency 64.
const benchParallelism = 32

// staticBackend places everyone on the same game server at no cost, so that
// a benchmark measures the HTTP layer alone.
type staticBackend struct{ a backend.Assignment }

func (s staticBackend) Allocate(context.Context, backend.AllocationRequest) (backend.Assignment, error) {
	return s.a, nil
}

// newBenchService is a Service as the allocator binary builds it (real
// clock, a Prometheus registry, rate limits and the places cap per address
// out of the way: every request comes from httptest's one address).
func newBenchService(b *testing.B, be func(*token.Issuer) backend.Backend) (*Service, *token.Issuer) {
	b.Helper()
	keys, err := token.GenerateKeyset("bench")
	if err != nil {
		b.Fatal(err)
	}
	issuer := token.NewIssuer(keys, nil)
	svc, err := New(Config{
		Backend: be(issuer), Issuer: issuer,
		GuestTTL: time.Hour, SessionTTL: time.Minute,
		GuestRate: 1e9, GuestBurst: 1 << 30, MatchRate: 1e9, MatchBurst: 1 << 30,
		MaxPlacesPerIP: 1 << 30, PlaceHold: time.Minute,
		Registry: prometheus.NewRegistry(),
	})
	if err != nil {
		b.Fatal(err)
	}
	return svc, issuer
}

// serveMatch sends POST /v1/match for the guest through the handler.
func serveMatch(svc *Service, guestToken string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/v1/match", strings.NewReader("{}"))
	req.Header.Set("Authorization", "Bearer "+guestToken)
	rec := httptest.NewRecorder()
	svc.ServeHTTP(rec, req)
	return rec
}

// BenchmarkMatchParallel answers POST /v1/match from 64 goroutines at once,
// each for a guest of its own that already holds a place (the idempotent
// path the load tool's -mode=repeat drives), without a network in between.
// backend=static is the HTTP layer alone: token check, rate limit, token
// mint, JSON, metrics. backend=local adds the embedded fleet of real match
// servers, at two fleet sizes of one match per server and as 8 high-density
// servers of 512 matches.
func BenchmarkMatchParallel(b *testing.B) {
	b.Run("backend=static", func(b *testing.B) {
		svc, issuer := newBenchService(b, func(*token.Issuer) backend.Backend {
			return staticBackend{backend.Assignment{GameServer: "leapfrog-race-bench", Address: "127.0.0.1", Port: 7001}}
		})
		runMatchParallel(b, svc, issuer)
	})
	for _, n := range []int{40, 512} {
		b.Run("backend=local/servers="+strconv.Itoa(n), func(b *testing.B) {
			svc, issuer := newBenchService(b, func(tokens *token.Issuer) backend.Backend { return newBenchFleet(b, n, 1, tokens) })
			runMatchParallel(b, svc, issuer)
		})
	}
	b.Run("backend=local/servers=8x512", func(b *testing.B) {
		svc, issuer := newBenchService(b, func(tokens *token.Issuer) backend.Backend { return newBenchFleet(b, 8, 512, tokens) })
		runMatchParallel(b, svc, issuer)
	})
}

// newBenchFleet starts a local fleet of n game servers of matches matches each,
// all Ready (leased, with high density). A fleet that does not come up is
// tried once more: two servers drawn with the same random name make the
// fleet lose one and wait for it in vain.
func newBenchFleet(b *testing.B, n, matches int, tokens *token.Issuer) *local.Fleet {
	b.Helper()
	for attempt := 1; ; attempt++ {
		f, err := local.NewFleet(context.Background(), local.Config{
			MatchesPerServer: matches, BufferSize: n * matches, MinReplicas: n, MaxReplicas: n,
			Game: raceserver.DefaultGameOptions(), Tokens: tokens,
		}, prometheus.NewRegistry(), slog.New(slog.DiscardHandler))
		if err == nil {
			b.Cleanup(f.Close)
			return f
		}
		if attempt == 2 {
			b.Fatal(err)
		}
		b.Logf("fleet of %d: %v; trying again", n, err)
	}
}

func runMatchParallel(b *testing.B, svc *Service, issuer *token.Issuer) {
	b.SetParallelism(benchParallelism)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		raw, _, err := issuer.MintGuest(time.Hour)
		if err != nil {
			b.Error(err)
			return
		}
		// The first match takes the place; the timed ones find it again.
		if rec := serveMatch(svc, raw); rec.Code != http.StatusOK {
			b.Errorf("first match: status %d: %s", rec.Code, rec.Body)
			return
		}
		for pb.Next() {
			if rec := serveMatch(svc, raw); rec.Code != http.StatusOK {
				b.Errorf("status %d: %s", rec.Code, rec.Body)
				return
			}
		}
	})
}

// BenchmarkMatchParts times the steps of one POST /v1/match on their own,
// to tell where the HTTP layer's time goes.
func BenchmarkMatchParts(b *testing.B) {
	keys, err := token.GenerateKeyset("bench")
	if err != nil {
		b.Fatal(err)
	}
	issuer := token.NewIssuer(keys, nil)
	raw, guest, err := issuer.MintGuest(time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("verify-guest-token", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := issuer.VerifyGuest(raw); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("mint-player-session", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := issuer.MintPlayerSession(guest.PlayerID, "leapfrog-race-bench", time.Minute); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("rate-limit", func(b *testing.B) {
		svc, _ := newBenchService(b, func(*token.Issuer) backend.Backend { return staticBackend{} })
		b.ReportAllocs()
		for b.Loop() {
			if ok, _ := svc.matchLimit.Allow(guest.PlayerID, time.Now()); !ok {
				b.Fatal("rate limited")
			}
		}
	})
	b.Run("decode-body", func(b *testing.B) {
		req := httptest.NewRequest(http.MethodPost, "/v1/match", nil)
		b.ReportAllocs()
		for b.Loop() {
			req.Body = io.NopCloser(strings.NewReader("{}"))
			var m matchapi.MatchRequest
			if err := decodeBody(httptest.NewRecorder(), req, &m); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("write-json", func(b *testing.B) {
		resp := matchapi.Match{GameServer: "leapfrog-race-bench", Address: "127.0.0.1", Port: 7001,
			WSURL: "ws://127.0.0.1:7001/ws", PlayerID: guest.PlayerID, PlayerSessionToken: raw, ExpiresAt: time.Now()}
		w := discardWriter{h: http.Header{}}
		b.ReportAllocs()
		for b.Loop() {
			clear(w.h)
			writeJSON(w, http.StatusOK, resp)
		}
	})
	b.Run("metrics", func(b *testing.B) {
		m, err := newMetrics(prometheus.NewRegistry())
		if err != nil {
			b.Fatal(err)
		}
		h := m.instrument("match", http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
		req := httptest.NewRequest(http.MethodPost, "/v1/match", nil)
		w := discardWriter{h: http.Header{}}
		b.ReportAllocs()
		for b.Loop() {
			h.ServeHTTP(w, req)
			m.observeAllocation(resultJoined, time.Millisecond)
		}
	})
}

// discardWriter is a ResponseWriter that keeps nothing but its header map.
type discardWriter struct{ h http.Header }

func (w discardWriter) Header() http.Header         { return w.h }
func (w discardWriter) Write(b []byte) (int, error) { return io.Discard.Write(b) }
func (w discardWriter) WriteHeader(int)             {}
