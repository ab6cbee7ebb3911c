package agones

import (
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// service stands in for the allocator's Kubernetes Service with
// sessionAffinity ClientIP in front of the allocator processes of the rig:
// every player of the suite comes from 127.0.0.1, so each of its front
// ports plays one client address, stuck to one replica. A replica taken
// out (its pod terminating, its endpoint removed) moves its addresses to
// the others; a replica added takes its share of the addresses, as new
// clients and expired affinities do. Requests already sent to a replica
// finish there.
type service struct {
	mu       sync.Mutex
	backends []*url.URL
	fronts   []*front
	// failed counts the requests the stand-in could not pass on (502).
	failed atomic.Int64
}

// front is one client address of the service.
type front struct {
	url     string
	backend *url.URL // guarded by service.mu
}

// newService starts n front ports routing to the replicas at backends.
func newService(t *testing.T, n int, backends ...string) *service {
	t.Helper()
	s := &service{}
	transport := &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 256, IdleConnTimeout: 30 * time.Second}
	for range n {
		f := &front{}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		f.url = "http://" + ln.Addr().String()
		proxy := &httputil.ReverseProxy{
			Rewrite: func(r *httputil.ProxyRequest) {
				s.mu.Lock()
				to := f.backend
				s.mu.Unlock()
				r.SetURL(to)
			},
			Transport: transport,
			ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
				s.failed.Add(1)
				t.Logf("service: %s %s: %v", r.Method, r.URL.Path, err)
				w.WriteHeader(http.StatusBadGateway)
			},
		}
		srv := &http.Server{Handler: proxy, ReadHeaderTimeout: 5 * time.Second}
		go func() { _ = srv.Serve(ln) }()
		t.Cleanup(func() { srv.Close() })
		s.fronts = append(s.fronts, f)
	}
	for _, b := range backends {
		s.add(t, b)
	}
	return s
}

// add puts a replica behind the service and spreads the addresses again.
func (s *service) add(t *testing.T, base string) {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.backends = append(s.backends, u)
	s.spreadLocked()
}

// remove takes a replica out: no new request goes to it.
func (s *service) remove(base string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.backends = slices.DeleteFunc(s.backends, func(u *url.URL) bool { return u.String() == base })
	s.spreadLocked()
}

// spreadLocked gives each address a replica, round robin.
func (s *service) spreadLocked() {
	if len(s.backends) == 0 {
		return
	}
	for i, f := range s.fronts {
		f.backend = s.backends[i%len(s.backends)]
	}
}

// urls are the service's addresses, one per client address.
func (s *service) urls() []string {
	out := make([]string, len(s.fronts))
	for i, f := range s.fronts {
		out[i] = f.url
	}
	return out
}
