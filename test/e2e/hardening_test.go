package e2e

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/leapfrog-games/leapfrog/client"
	racev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/race/v1"
	"github.com/leapfrog-games/leapfrog/test/internal/playtest"
)

// from is an HTTP client whose connections come from the loopback address
// ip (127.0.0.0/8 is all loopback on Linux): another player's address.
func from(t *testing.T, base, ip string) *client.Client {
	t.Helper()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{Proxy: nil, DialContext: d.DialContext}}
	c, err := client.New(base, hc)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestHoardingAddressLeavesPlaces is the attack of many guests from one
// address asking for places every second and never connecting: the address
// gets its cap, and a player from elsewhere still gets a place.
func TestHoardingAddressLeavesPlaces(t *testing.T) {
	// Three servers, six places; the attacker's address may hold two.
	a := startAllocator(t, "--local-max", "3", "--local-buffer", "3", "--local-min", "3", "--max-places-per-ip", "2")
	attacker := from(t, a.URL, "127.0.0.1")
	var guests []client.Guest
	for range 8 {
		g, err := attacker.Guest(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		guests = append(guests, g)
	}
	held := map[string]bool{}
	for range 3 { // bounded rounds of the attack
		for _, g := range guests {
			_, err := attacker.Match(t.Context(), g.GuestToken, 1)
			if err == nil {
				held[g.PlayerID] = true
				continue
			}
			apiErr, ok := errors.AsType[*client.APIError](err)
			if !ok || apiErr.StatusCode != http.StatusTooManyRequests || apiErr.Code != "rate_limited" {
				t.Fatalf("hoarder %s: %v, want 429 rate_limited", g.PlayerID, err)
			}
		}
	}
	if len(held) != 2 {
		t.Fatalf("the attacking address holds %d places, want 2", len(held))
	}
	player := from(t, a.URL, "127.0.0.2")
	g, err := player.Guest(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	m, err := player.Match(t.Context(), g.GuestToken, 1)
	if err != nil {
		t.Fatalf("a player from another address: %v", err)
	}
	playtest.Join(t, m.WSURL, g.PlayerID, m.PlayerSessionToken)
}

// idleKeepAlive opens a connection from ip, makes one request on it and
// leaves it idle; it returns false if the server closed it instead.
func idleKeepAlive(t *testing.T, ip, addr, path string) bool {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial %s from %s: %v", addr, ip, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	_ = c.SetDeadline(time.Now().Add(waitFor))
	if _, err := fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path); err != nil {
		return false
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return true
}

// TestIdleConnectionFloodLeavesTheAllocatorUp: one address opens many idle
// keep-alive connections to the API and to a race server port. At the
// API's per-IP cap each new connection takes the place of the address's
// connection idle longest (the address keeps at most its cap open); at a
// race server's, they are closed on accept. The allocator keeps answering
// others.
func TestIdleConnectionFloodLeavesTheAllocatorUp(t *testing.T) {
	a := startAllocator(t, "--max-conns-per-ip", "8", "--max-conns", "64")
	api := a.URL[len("http://"):]
	m := a.match(t, a.guest(t))
	u, err := url.Parse(m.WSURL)
	if err != nil {
		t.Fatal(err)
	}
	const flood = 100
	for _, target := range []struct {
		addr, path     string
		minSrv, maxSrv int
		// metric{reason="per_ip"} must reach minCounted: connections shed
		// (API) or refused (race server) at the per-IP cap.
		metric     string
		minCounted int
	}{
		// The server marks a connection idle just after the response its
		// client has read: the next connection may come a moment before.
		{api, "/healthz", flood * 9 / 10, flood, "leapfrog_allocator_shed_connections_total", flood*9/10 - 8},
		{u.Host, "/ws", 0, 8, "leapfrog_local_fleet_rejected_connections_total", flood - 8},
	} {
		served := 0
		for range flood {
			if idleKeepAlive(t, "127.0.0.3", target.addr, target.path) {
				served++
			}
		}
		if served < target.minSrv || served > target.maxSrv {
			t.Errorf("%s: %d of %d idle connections from one address served, want %d to %d", target.addr, served, flood, target.minSrv, target.maxSrv)
		}
		s, err := a.scrape(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if err := s.atLeast(float64(target.minCounted), target.metric, "reason", "per_ip"); err != nil {
			t.Error(err)
		}
	}
	other := from(t, a.URL, "127.0.0.4")
	g, err := other.Guest(t.Context())
	if err != nil {
		t.Fatalf("the API stopped answering others: %v", err)
	}
	m2, err := other.Match(t.Context(), g.GuestToken, 1)
	if err != nil {
		t.Fatalf("match for another address: %v", err)
	}
	playtest.Join(t, m2.WSURL, g.PlayerID, m2.PlayerSessionToken)
}

// TestPausedAllocatorKeepsItsRaces: SIGSTOP of the whole allocator for
// longer than --local-unhealthy-after, then SIGCONT, while two players sit
// connected on a race server. The embedded race servers could not ping
// health while stopped and must not be replaced for it (that closed every
// player with 1001): the race is then played to its finish.
func TestPausedAllocatorKeepsItsRaces(t *testing.T) {
	a := startAllocator(t, "--local-unhealthy-after", "3s")
	ga, gb := a.guest(t), a.guest(t)
	ma, mb := a.match(t, ga), a.match(t, gb)
	players := []playtest.Player{
		playtest.Join(t, ma.WSURL, ga.PlayerID, ma.PlayerSessionToken),
		playtest.Join(t, mb.WSURL, gb.PlayerID, mb.PlayerSessionToken),
	}
	a.signal(t, syscall.SIGSTOP)
	time.Sleep(5 * time.Second) // the fault itself: a pause longer than the health window
	a.signal(t, syscall.SIGCONT)
	playtest.CheckOneWinner(t, players, playtest.Race(t, players...))
	poll(t, "the allocator to log the pause", func() error {
		if !strings.Contains(a.output.String(), "local fleet resumed after a pause") {
			return errors.New("no pause in the log")
		}
		return nil
	})
}

// TestIdleRacesKeepTheirAddressAtItsCap is the idle-races attack on real
// processes: two guests of one address are paired, connect, start their
// race and never hop. Before, a place counted for --place-hold only, so the
// address took its cap again after the hold while its race ran on; now its
// places count until the race ends, and the race ends after
// --idle-race-timeout with the reason idle, which gives them back.
func TestIdleRacesKeepTheirAddressAtItsCap(t *testing.T) {
	const hold, idle = 1 * time.Second, 2 * time.Second
	a := startAllocator(t, "--max-places-per-ip", "2", "--place-hold", hold.String(), "--idle-race-timeout", idle.String())
	attacker := from(t, a.URL, "127.0.0.1")
	match := func() (client.Guest, client.Match, error) {
		g, err := attacker.Guest(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		m, err := attacker.Match(t.Context(), g.GuestToken, 1)
		return g, m, err
	}
	var players []playtest.Player
	for range 2 {
		g, m, err := match()
		if err != nil {
			t.Fatalf("place under the cap: %v", err)
		}
		p := playtest.Join(t, m.WSURL, g.PlayerID, m.PlayerSessionToken)
		if err := p.Conn.SendSceneReady(); err != nil {
			t.Fatal(err)
		}
		players = append(players, p)
	}
	// Past the hold, the race runs on without a hop: no place for the address.
	for deadline := time.Now().Add(hold + time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if _, _, err := match(); err == nil {
			t.Fatal("the address got a third place while its two players hold a running race")
		} else if apiErr, ok := errors.AsType[*client.APIError](err); !ok || apiErr.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("over the cap: %v, want 429", err)
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*idle)
	defer cancel()
	for {
		ev, err := playtest.NextEvent(ctx, players[0].Conn)
		if err != nil {
			t.Fatalf("wait for the idle race to end: %v", err)
		}
		if r, ok := ev.(client.RaceResult); ok {
			if r.Reason != racev1.RaceResult_REASON_IDLE || r.WinnerLane != -1 {
				t.Fatalf("result %v, want reason idle and no winner", r.RaceResult)
			}
			break
		}
	}
	// The race is over: its places come back once the fleet has seen it end.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		_, _, err := match()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no place for the address after its race ended: %v", err)
		}
	}
}
