package main

import (
	"context"
	"net"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// idleSockets is an attacker that holds WebSocket connections to the race
// servers and never sends Hello, from a few loopback addresses other than
// the players' 127.0.0.1 (127.0.0.0/8 is all loopback on Linux): each holds
// a handshake slot until the server's Hello wait ends, and is opened again
// at once. perServer is the sockets it keeps on each server the players
// were sent to, spread over addrs.
type idleSockets struct {
	addrs     []string
	perServer int
	servers   *serverSet
}

// run attacks until ctx is done, then closes every socket it holds.
func (a *idleSockets) run(ctx context.Context) {
	var wg sync.WaitGroup
	held := map[string]bool{}
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		for _, u := range a.servers.list() {
			if held[u] {
				continue
			}
			held[u] = true
			for i := range a.perServer {
				wg.Go(func() { a.hold(ctx, u, a.addrs[i%len(a.addrs)]) })
			}
		}
		select {
		case <-ctx.Done():
			wg.Wait()
			return
		case <-tick.C:
		}
	}
}

// hold keeps one idle socket open on wsURL from addr: when the server
// closes it (or refuses it), it dials again after a short pause.
func (a *idleSockets) hold(ctx context.Context, wsURL, addr string) {
	d := websocket.Dialer{
		HandshakeTimeout: 5 * time.Second,
		NetDialContext:   (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(addr)}}).DialContext,
	}
	// A server that is gone (one race per server: replaced after each)
	// refuses every dial: give it up after a few in a row.
	for failures := 0; ctx.Err() == nil && failures < 20; {
		c, resp, err := d.DialContext(ctx, wsURL, nil)
		if err != nil && resp == nil {
			failures++
		} else {
			failures = 0
		}
		if err == nil {
			stop := context.AfterFunc(ctx, func() { c.Close() })
			for err == nil { // never writes: reads until the server closes
				_, _, err = c.ReadMessage()
			}
			stop()
			c.Close()
		}
		select {
		case <-ctx.Done():
		case <-time.After(50 * time.Millisecond):
		}
	}
}
