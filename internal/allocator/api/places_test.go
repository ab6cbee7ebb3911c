package api

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/leapfrog-games/leapfrog/internal/allocator/backend"
)

// trackingBackend is a fakeBackend that knows when matches end, as the
// placement engine and the local fleet do.
type trackingBackend struct {
	*fakeBackend
	mu    sync.Mutex
	ended map[string]bool // game server: its match is over
}

var _ PlaceTracker = (*trackingBackend)(nil)

func (b *trackingBackend) Holding(player string, a backend.Assignment) bool {
	b.fakeBackend.mu.Lock()
	placed, ok := b.byPlayer[player]
	b.fakeBackend.mu.Unlock()
	b.mu.Lock()
	defer b.mu.Unlock()
	return ok && placed.GameServer == a.GameServer && !b.ended[a.GameServer]
}

// endAll ends every match placed so far.
func (b *trackingBackend) endAll() {
	b.fakeBackend.mu.Lock()
	defer b.fakeBackend.mu.Unlock()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, a := range b.byPlayer {
		b.ended[a.GameServer] = true
	}
}

// TestIdleAddressHoldsNoMoreThanItsCap is the idle-races attack: every
// second a new guest from one address asks for a place, connects and idles
// (its match never ends by itself). When the backend cannot tell when matches
// end, a place counts for the hold only, and the address takes its cap
// again every hold: 8 more matches a minute, 40 in five minutes. With a
// backend that knows, the address holds its cap and no more until its
// matches end, however long it waits.
func TestIdleAddressHoldsNoMoreThanItsCap(t *testing.T) {
	const cap, minutes = 8, 5
	tests := []struct {
		name      string
		tracks    bool
		wantHeld  int // places given to the address over the five minutes
		wantAfter int // given in the minute after all its matches ended
	}{
		{"backend cannot tell: the cap lifts every hold", false, cap * minutes, cap},
		{"backend tracks matches: the cap holds until they end", true, cap, cap},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeBackend{}
			tracker := &trackingBackend{fakeBackend: fake, ended: map[string]bool{}}
			f := newFixture(t, func(c *Config) {
				c.MaxPlacesPerIP, c.PlaceHold = cap, time.Minute
				if tt.tracks {
					c.Backend = tracker
				} else {
					c.Backend = fake
				}
			})
			const attacker = "192.0.2.66"
			ask := func(seconds int) int {
				given := 0
				for range seconds {
					g := f.guestFrom(t, attacker)
					switch r := f.serveFrom(t, attacker, "/v1/match", "Bearer "+g.GuestToken, "{}"); r.status {
					case http.StatusOK:
						given++
					case http.StatusTooManyRequests:
						if ra := r.header.Get("Retry-After"); ra == "" || ra == "0" {
							t.Fatalf("429 without Retry-After: %q", ra)
						}
					default:
						t.Fatalf("match: %d %s", r.status, r.body)
					}
					f.clock.Advance(time.Second)
				}
				return given
			}
			if got := ask(minutes * 60); got != tt.wantHeld {
				t.Fatalf("the idle address was given %d places in %d minutes, want %d", got, minutes, tt.wantHeld)
			}
			if tt.tracks {
				if got := f.svc.places.Held(attacker, f.clock.Now()); got != cap {
					t.Fatalf("held %d, want %d", got, cap)
				}
				tracker.endAll()
			}
			if got := ask(60); got != tt.wantAfter {
				t.Fatalf("after its matches ended the address was given %d places in a minute, want %d", got, tt.wantAfter)
			}
		})
	}
}

// TestPlacesCountSeats: a device asking for two seats holds two places of
// its address's cap, and asking again counts once.
func TestPlacesCountSeats(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.MaxPlacesPerIP = 3 })
	const ip = "192.0.2.7"
	two := f.guestFrom(t, ip)
	for range 2 {
		if r := f.serveFrom(t, ip, "/v1/match", "Bearer "+two.GuestToken, `{"seats":2}`); r.status != http.StatusOK {
			t.Fatalf("two seats: %d %s", r.status, r.body)
		}
	}
	if r := f.serveFrom(t, ip, "/v1/match", "Bearer "+f.guestFrom(t, ip).GuestToken, `{"seats":2}`); r.status != http.StatusTooManyRequests {
		t.Fatalf("two more seats over a cap of 3: %d, want 429", r.status)
	}
	if r := f.serveFrom(t, ip, "/v1/match", "Bearer "+f.guestFrom(t, ip).GuestToken, "{}"); r.status != http.StatusOK {
		t.Fatalf("the third seat: %d %s", r.status, r.body)
	}
}

// TestPlaceBookManyPlayersBehindOneAddress: thousands of players behind one
// address (a load test, a big NAT) asking again and again keep the cap,
// never count twice, and a match costs no pass over all of them.
func TestPlaceBookManyPlayersBehindOneAddress(t *testing.T) {
	t0 := time.Now()
	const n = 5000
	b, err := newPlaceBook(n, time.Minute, 10, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		id := fmt.Sprint("p", i)
		if ok, _, _ := b.Take("ip", id, 1, t0); !ok {
			t.Fatalf("player %d refused under the cap", i)
		}
		b.Give("ip", id, 1, backend.Assignment{GameServer: "gs"}, t0.Add(time.Duration(i)*time.Millisecond))
	}
	for range 10 * n {
		if ok, _, had := b.Take("ip", "p0", 1, t0.Add(time.Second)); !ok || !had {
			t.Fatal("a player holding a place was refused it, or counted anew")
		}
	}
	if ok, after, _ := b.Take("ip", "new", 1, t0.Add(30*time.Second)); ok || after != 30*time.Second {
		t.Fatalf("over the cap: %v, %v; want refused until p0's hold ends in 30s", ok, after)
	}
	if ok, _, _ := b.Take("ip", "new", 1, t0.Add(time.Minute+time.Millisecond)); !ok {
		t.Fatal("refused once the first places' holds ended")
	}
}

func TestPlaceBookBoundsTheAddresses(t *testing.T) {
	t0 := time.Now()
	b, _ := newPlaceBook(1, time.Minute, 2, nil)
	for _, ip := range []string{"ip1", "ip2"} {
		b.Take(ip, "p-"+ip, 1, t0)
		b.Give(ip, "p-"+ip, 1, backend.Assignment{GameServer: "gs"}, t0)
	}
	// A third address is refused while the others hold places: forgetting
	// one of them would lift its cap.
	if ok, after, _ := b.Take("ip3", "c", 1, t0); ok || after != time.Minute {
		t.Fatalf("third address: %v, %v; want refused for the hold", ok, after)
	}
	if ok, _, _ := b.Take("ip3", "c", 1, t0.Add(time.Minute)); !ok {
		t.Fatal("third address refused after the others' places ended")
	}
	if n := len(b.byIP); n != 1 {
		t.Fatalf("%d addresses tracked after the sweep, want 1", n)
	}
	b.Release("ip3", "c")
	if n := len(b.byIP); n != 0 {
		t.Fatalf("%d addresses tracked after the release, want 0", n)
	}
}

func TestNewPlaceBookValidates(t *testing.T) {
	for _, c := range []struct {
		max     int
		hold    time.Duration
		maxKeys int
	}{{0, time.Minute, 1}, {1, 0, 1}, {1, -time.Second, 1}, {1, time.Minute, 0}} {
		if _, err := newPlaceBook(c.max, c.hold, c.maxKeys, nil); err == nil {
			t.Errorf("newPlaceBook(%d, %v, %d) accepted", c.max, c.hold, c.maxKeys)
		}
	}
}
