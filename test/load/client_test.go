package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func testClient(t *testing.T, rawURL string) *client {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	cl := newClient(config{allocator: u, timeout: 5 * time.Second})
	t.Cleanup(cl.close)
	return cl
}

// The client keeps its connection for the next request, sends the headers
// and body net/http expects, and reads chunked answers.
func TestClientKeepsConnectionsAndSpeaksHTTP(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || r.URL.Path != "/v1/match" || r.Header.Get("Authorization") != "Bearer tok" ||
			r.Header.Get("Content-Type") != "application/json" || string(body) != `{"seats":2}` || r.Host == "" {
			http.Error(w, fmt.Sprintf("bad request %s %s %v %q", r.Method, r.URL.Path, r.Header, body), http.StatusBadRequest)
			return
		}
		w.(http.Flusher).Flush() // a chunked answer
		fmt.Fprint(w, `{"ok":true}`)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	cl := testClient(t, srv.URL)
	for range 5 {
		code, data, err := cl.do(context.Background(), http.MethodPost, "/v1/match", "tok", []byte(`{"seats":2}`))
		if err != nil || code != http.StatusOK || string(data) != `{"ok":true}` {
			t.Fatalf("answer %d %q %v", code, data, err)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections for 5 requests in a row, want 1", n)
	}
}

// An answer with Connection: close is read whole and its connection is not
// used again; a kept connection the server closed while idle is replaced,
// and the request sent again on the new one.
func TestClientReplacesClosedConnections(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var conns, requests atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			n := conns.Add(1)
			go func() {
				defer c.Close()
				req, err := http.ReadRequest(bufio.NewReader(c))
				if err != nil {
					return
				}
				requests.Add(1)
				// The first connection answers and then closes without saying
				// so (an idle timeout); the second says Connection: close.
				header := ""
				if n == 2 {
					header = "Connection: close\r\n"
				}
				fmt.Fprintf(c, "HTTP/1.1 200 OK\r\n%sContent-Length: %d\r\n\r\n%s", header, len(req.URL.Path), req.URL.Path)
			}()
		}
	}()
	cl := testClient(t, "http://"+ln.Addr().String())
	for i, path := range []string{"/a", "/b", "/c"} {
		code, data, err := cl.do(context.Background(), http.MethodGet, path, "", nil)
		if err != nil || code != http.StatusOK || string(data) != path {
			t.Fatalf("request %d: %d %q %v", i, code, data, err)
		}
		time.Sleep(20 * time.Millisecond) // let the server's close arrive
	}
	if c, r := conns.Load(), requests.Load(); c != 3 || r != 3 {
		t.Errorf("%d connections, %d requests: want 3 and 3 (one resent on a new connection, none on a closed one)", c, r)
	}
}

// An answer over maxBody is an error, not a truncated success.
func TestClientRefusesOversizedAnswers(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, strings.Repeat("x", maxBody+1))
	}))
	defer srv.Close()
	_, _, err := testClient(t, srv.URL).do(context.Background(), http.MethodGet, "/metrics", "", nil)
	if err == nil || !strings.Contains(err.Error(), "over") {
		t.Fatalf("err %v, want the answer refused as too big", err)
	}
}
