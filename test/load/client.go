package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// client speaks HTTP/1.1 to the allocator itself, over keep-alive
// connections it keeps idle between requests, one per request in flight.
// Go's http.Client hands every request to two goroutines of its connection
// (a writer and a reader) and back: on the 2-core machine that also runs the
// allocator that cost the load tool about as much CPU per request as the
// allocator spends answering GET /healthz, taken from the same cores as the
// allocator under test. The answers are still read by net/http
// (http.ReadResponse).
type client struct {
	addr    string // host:port to dial
	host    string // the Host header
	timeout time.Duration

	mu   sync.Mutex
	idle []*clientConn
}

type clientConn struct {
	nc  net.Conn
	br  *bufio.Reader
	req []byte // the request being sent, reused
}

func newClient(cfg config) *client {
	return &client{addr: cfg.allocator.Host, host: cfg.allocator.Host, timeout: cfg.timeout}
}

// do sends one request and reads the whole answer (at most maxBody bytes).
// A request on a kept connection the server had closed meanwhile is sent
// again once on a new one, as http.Client does.
func (cl *client) do(ctx context.Context, method, path, bearer string, body []byte) (int, []byte, error) {
	for attempt := 0; ; attempt++ {
		cc, reused, err := cl.get(ctx)
		if err != nil {
			return 0, nil, err
		}
		code, data, keep, err := cc.roundTrip(ctx, cl, method, path, bearer, body)
		if err != nil {
			cc.nc.Close()
			if reused && attempt == 0 && staleConn(err) {
				continue
			}
			return 0, nil, fmt.Errorf("%s %s: %w", method, path, err)
		}
		if keep {
			cl.put(cc)
		} else {
			cc.nc.Close()
		}
		return code, data, nil
	}
}

// staleConn reports whether err is what a kept connection closed by the
// server gives: the request was not answered, so sending it again is safe.
func staleConn(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

func (cl *client) get(ctx context.Context) (*clientConn, bool, error) {
	cl.mu.Lock()
	if n := len(cl.idle); n > 0 {
		cc := cl.idle[n-1]
		cl.idle = cl.idle[:n-1]
		cl.mu.Unlock()
		return cc, true, nil
	}
	cl.mu.Unlock()
	d := net.Dialer{Timeout: cl.timeout, KeepAlive: 30 * time.Second}
	nc, err := d.DialContext(ctx, "tcp", cl.addr)
	if err != nil {
		return nil, false, err
	}
	return &clientConn{nc: nc, br: bufio.NewReaderSize(nc, 4<<10)}, false, nil
}

func (cl *client) put(cc *clientConn) {
	cl.mu.Lock()
	cl.idle = append(cl.idle, cc)
	cl.mu.Unlock()
}

// close closes the idle connections.
func (cl *client) close() {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	for _, cc := range cl.idle {
		cc.nc.Close()
	}
	cl.idle = nil
}

// roundTrip writes the request and reads its answer, within the client's
// timeout (or ctx's deadline, if sooner). keep says whether the connection
// may carry another request.
func (cc *clientConn) roundTrip(ctx context.Context, cl *client, method, path, bearer string, body []byte) (code int, data []byte, keep bool, err error) {
	deadline := time.Now().Add(cl.timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if err := cc.nc.SetDeadline(deadline); err != nil {
		return 0, nil, false, err
	}
	b := append(cc.req[:0], method...)
	b = append(b, ' ')
	b = append(b, path...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, cl.host...)
	if bearer != "" {
		b = append(b, "\r\nAuthorization: Bearer "...)
		b = append(b, bearer...)
	}
	if body != nil {
		b = append(b, "\r\nContent-Type: application/json\r\nContent-Length: "...)
		b = strconv.AppendInt(b, int64(len(body)), 10)
	}
	b = append(b, "\r\n\r\n"...)
	b = append(b, body...)
	cc.req = b
	if _, err := cc.nc.Write(b); err != nil {
		return 0, nil, false, err
	}
	resp, err := http.ReadResponse(cc.br, nil)
	if err != nil {
		return 0, nil, false, err
	}
	data, err = io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	resp.Body.Close()
	if err != nil {
		return 0, nil, false, fmt.Errorf("read answer: %w", err)
	}
	if len(data) > maxBody {
		return 0, nil, false, fmt.Errorf("answer over %d bytes", maxBody)
	}
	return resp.StatusCode, data, !resp.Close, nil
}
