// Package rtplay plays the GameLift Realtime scripts of test/gamelift with
// clients that behave like the official client SDK (gamelifttest), for the
// end-to-end suites: the local fleet (test/e2e) and the chart on real Agones
// (test/agones). A suite supplies how a player is matched; the games are the
// same everywhere.
package rtplay

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leapfrog-games/leapfrog/gameserver/gamelift/gamelifttest"
)

// WaitFor bounds every wait: far above what any step takes on a loaded machine.
var WaitFor = 30 * time.Second

// Script is the folder of a test/gamelift script, from the module root.
func Script(moduleRoot, name string) string {
	return filepath.Join(moduleRoot, "test", "gamelift", "scripts", name)
}

// PlayerSession is what a GameLift client reads from the match: the fields
// of GameLift's PlayerSession in POST /v1/match's answer.
type PlayerSession struct {
	IPAddress       string `json:"ipAddress"`
	DNSName         string `json:"dnsName"`
	Port            int    `json:"port"`
	PlayerSessionID string `json:"playerSessionId"`
	GameSessionID   string `json:"gameSessionId"`
}

// Match asks an allocator for a match the way a ported client service does:
// a plain POST with the guest token, reading GameLift's field names.
func Match(ctx context.Context, hc *http.Client, allocatorURL, guestToken string) (PlayerSession, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, allocatorURL+"/v1/match", strings.NewReader("{}"))
	if err != nil {
		return PlayerSession{}, err
	}
	req.Header.Set("Authorization", "Bearer "+guestToken)
	resp, err := hc.Do(req)
	if err != nil {
		return PlayerSession{}, err
	}
	defer resp.Body.Close()
	var ps PlayerSession
	if err := json.NewDecoder(resp.Body).Decode(&ps); err != nil || resp.StatusCode != http.StatusOK {
		return ps, fmt.Errorf("POST /v1/match: %d %v", resp.StatusCode, err)
	}
	if ps.IPAddress == "" || ps.Port == 0 || ps.PlayerSessionID == "" || ps.GameSessionID == "" {
		return ps, fmt.Errorf("the match lacks GameLift's fields: %+v", ps)
	}
	return ps, nil
}

// Matcher gives a new player a session (a guest and a match).
type Matcher func(t *testing.T) PlayerSession

// Player is one GameLift client in a game.
type Player struct {
	t    *testing.T
	Name string
	C    *gamelifttest.Client
	PS   PlayerSession
}

// Style is how a shipped client connects.
type Style struct {
	// Pathless builds ws://host:port as third-party clients do, instead of
	// the SDK's ws://host:port/websocket.
	Pathless bool
	// Sender is the SDK build whose sender field the client reads.
	Sender gamelifttest.SenderField
	// Payload is the connection token's payload.
	Payload []byte
	// Secure is the SDK's RT_OVER_WSS_DTLS_TLS12 (wss:// and a DTLS fast
	// channel), with RootCAs trusting the race servers' certificate.
	Secure  bool
	RootCAs *x509.CertPool
}

func (s Style) url(ps PlayerSession) string {
	host := ps.IPAddress
	if host == "" {
		host = ps.DNSName
	}
	scheme := "ws"
	if s.Secure {
		scheme = "wss"
	}
	if s.Pathless {
		return fmt.Sprintf("%s://%s:%d", scheme, host, ps.Port)
	}
	return strings.Replace(gamelifttest.URL(host, ps.Port), "ws://", scheme+"://", 1)
}

// Dial connects a client for ps without logging in.
func Dial(t *testing.T, ps PlayerSession, s Style) *gamelifttest.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), WaitFor)
	defer cancel()
	c, err := gamelifttest.Dial(ctx, s.url(ps), gamelifttest.Options{Payload: s.Payload, Sender: s.Sender, MaxBackoff: 200 * time.Millisecond,
		Secure: s.Secure, RootCAs: s.RootCAs})
	if err != nil {
		t.Fatalf("dial %s: %v", s.url(ps), err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// Join matches a new player and logs in.
func Join(t *testing.T, match Matcher, name string, s Style) *Player {
	t.Helper()
	ps := match(t)
	c := Dial(t, ps, s)
	ctx, cancel := context.WithTimeout(t.Context(), WaitFor)
	defer cancel()
	if _, err := c.Login(ctx, ps.PlayerSessionID); err != nil {
		t.Fatalf("%s: login: %v", name, err)
	}
	return &Player{t: t, Name: name, C: c, PS: ps}
}

// Next waits for the next message with op code op (skipping others, player
// connects and membership updates) and returns it.
func (p *Player) Next(op int32) gamelifttest.Event {
	p.t.Helper()
	return p.wait(fmt.Sprintf("op %d", op), func(e gamelifttest.Event) bool {
		return e.Kind == gamelifttest.DataReceived && e.OpCode == op
	})
}

// Members waits for a membership update of group with n players.
func (p *Player) Members(group int32, n int) {
	p.t.Helper()
	p.wait(fmt.Sprintf("%d members of group %d", n, group), func(e gamelifttest.Event) bool {
		return e.Kind == gamelifttest.GroupMembershipUpdated && e.Group == group && len(e.Players) == n
	})
}

func (p *Player) wait(what string, ok func(gamelifttest.Event) bool) gamelifttest.Event {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.t.Context(), WaitFor)
	defer cancel()
	for {
		e, err := p.C.Next(ctx)
		if err != nil {
			p.t.Fatalf("%s: waiting for %s: %v", p.Name, what, err)
		}
		if e.Kind == gamelifttest.Closed {
			p.t.Fatalf("%s: closed (%d %q) while waiting for %s", p.Name, e.CloseCode, e.CloseText, what)
		}
		if ok(e) {
			return e
		}
	}
}

// Closed waits for the end of the connection and returns its close code.
func (p *Player) Closed() int {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.t.Context(), WaitFor)
	defer cancel()
	for {
		e, err := p.C.Next(ctx)
		if err != nil {
			p.t.Fatalf("%s: waiting for the close: %v", p.Name, err)
		}
		if e.Kind == gamelifttest.Closed {
			return e.CloseCode
		}
	}
}

// Send sends a game message.
func (p *Player) Send(op int32, payload string, intent gamelifttest.Intent, targetPlayer, targetGroup int32) {
	p.t.Helper()
	if err := p.C.Send(op, []byte(payload), intent, targetPlayer, targetGroup); err != nil {
		p.t.Fatalf("%s: send op %d: %v", p.Name, op, err)
	}
}

// WaitFast waits until the server acked the client's UDP handshake.
func (p *Player) WaitFast() {
	p.t.Helper()
	deadline := time.Now().Add(WaitFor)
	for !p.C.FastConnected() {
		if time.Now().After(deadline) {
			p.t.Fatalf("%s: the UDP fast channel did not come up (%d failed attempts)", p.Name, p.C.UDPErrors())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Tug plays classic-tug: two clients, one of each SDK build and URL style,
// get their sides from the server, ready up, and one pulls five times over
// the UDP fast channel to win. Both see the winner from the server, the game
// ends with close 1000, and no client logged a UDP error.
func Tug(t *testing.T, match Matcher) { TugWith(t, match, Style{}) }

// TugWith is Tug with clients of a base style (Secure: over wss:// and DTLS).
func TugWith(t *testing.T, match Matcher, base Style) {
	leftStyle, rightStyle := base, base
	leftStyle.Sender = gamelifttest.SenderFromSender
	rightStyle.Pathless, rightStyle.Sender = true, gamelifttest.SenderFromTargetPlayer
	left := Join(t, match, "left", leftStyle)
	right := Join(t, match, "right", rightStyle)
	if left.PS.GameSessionID != right.PS.GameSessionID {
		t.Fatalf("placed in %s and %s, want one game session", left.PS.GameSessionID, right.PS.GameSessionID)
	}
	sides := map[*Player]string{}
	for _, p := range []*Player{left, right} {
		e := p.Next(20)
		if e.Sender != -1 {
			t.Errorf("%s: side message from %d, want the server (-1)", p.Name, e.Sender)
		}
		sides[p] = string(e.Payload)
		p.WaitFast()
	}
	if sides[left] == sides[right] {
		t.Fatalf("both on side %s", sides[left])
	}
	for _, p := range []*Player{left, right} {
		p.Send(10, "", gamelifttest.Reliable, -1, 0)
	}
	for _, p := range []*Player{left, right} {
		if e := p.Next(21); string(e.Payload) != "go" {
			t.Fatalf("%s: start %q", p.Name, e.Payload)
		}
	}
	puller := right
	for range 5 {
		puller.Send(11, "", gamelifttest.Fast, -1, 0) // over UDP (or DTLS): the channel is up
	}
	for _, p := range []*Player{left, right} {
		e := p.Next(23)
		if string(e.Payload) != strconv.Itoa(int(puller.C.PeerID())) || e.Sender != -1 {
			t.Errorf("%s: winner %q from %d, want %d from the server", p.Name, e.Payload, e.Sender, puller.C.PeerID())
		}
		if code := p.Closed(); code != 1000 {
			t.Errorf("%s: closed %d after the game, want 1000", p.Name, code)
		}
		if n := p.C.UDPErrors(); n != 0 {
			t.Errorf("%s: %d UDP errors", p.Name, n)
		}
	}
}

// SignIn is payload-lobby's sign-in payload.
func SignIn(name, key string) []byte {
	b, _ := json.Marshal(map[string]string{"name": name, "key": key, "team": "green"})
	return b
}

// Lobby plays payload-lobby: a wrong key in the payload is refused (4009),
// two players sign in with JSON payloads and are greeted by name, chat goes
// to everyone from the server, a peer-to-peer message names its sender in
// both SDK builds, and the lobby ends (1000) when a player asks.
func Lobby(t *testing.T, match Matcher) {
	t.Run("a wrong key is refused", func(t *testing.T) {
		ps := match(t)
		c := Dial(t, ps, Style{Payload: SignIn("Mallory", "guess")})
		ctx, cancel := context.WithTimeout(t.Context(), WaitFor)
		defer cancel()
		_, err := c.Login(ctx, ps.PlayerSessionID)
		var le *gamelifttest.LoginError
		if !errors.As(err, &le) || le.Code != 4009 {
			t.Fatalf("login with a wrong key: %v, want a refusal closing 4009", err)
		}
	})

	ann := Join(t, match, "Ann", Style{Payload: SignIn("Ann", "frogs-only")})
	var welcome struct {
		Name   string   `json:"name"`
		PeerID int32    `json:"peerId"`
		Others []string `json:"others"`
	}
	if err := json.Unmarshal(ann.Next(100).Payload, &welcome); err != nil || welcome.Name != "Ann" || welcome.PeerID != ann.C.PeerID() {
		t.Fatalf("Ann's welcome %+v (%v)", welcome, err)
	}
	bob := Join(t, match, "Bob", Style{Pathless: true, Sender: gamelifttest.SenderFromTargetPlayer, Payload: SignIn("Bob", "frogs-only")})
	if bob.PS.GameSessionID != ann.PS.GameSessionID {
		t.Fatalf("Ann in %s, Bob in %s: want one lobby", ann.PS.GameSessionID, bob.PS.GameSessionID)
	}
	if err := json.Unmarshal(bob.Next(100).Payload, &welcome); err != nil || len(welcome.Others) != 1 || welcome.Others[0] != "Ann" {
		t.Fatalf("Bob's welcome %+v (%v), want Ann among the others", welcome, err)
	}
	if got := string(ann.Next(102).Payload); got != "Bob" {
		t.Errorf("Ann told of %q joining, want Bob", got)
	}

	ann.Send(1, "  hello pond  ", gamelifttest.Reliable, -1, 0)
	for _, p := range []*Player{ann, bob} {
		if e := p.Next(101); string(e.Payload) != "Ann: hello pond" || e.Sender != -1 {
			t.Errorf("%s heard %q from %d", p.Name, e.Payload, e.Sender)
		}
	}
	// Peer to peer: the script's onSendToPlayer lets it through, and both SDK
	// builds name Ann as the sender.
	ann.Send(7, "psst", gamelifttest.Reliable, bob.C.PeerID(), 0)
	if e := bob.Next(7); string(e.Payload) != "psst" || e.Sender != ann.C.PeerID() {
		t.Errorf("Bob got %q from %d, want psst from Ann (%d)", e.Payload, e.Sender, ann.C.PeerID())
	}
	bob.Send(9, "", gamelifttest.Reliable, -1, 0)
	for _, p := range []*Player{ann, bob} {
		if code := p.Closed(); code != 1000 {
			t.Errorf("%s: closed %d, want 1000 when the lobby ends", p.Name, code)
		}
	}
}

// Cards plays cards-events, best of three: groups, binary payloads, a JSON
// payload parsed from a Buffer, and a note split inside a multi-byte
// character, rebuilt by the script's StringDecoder and sent on in the
// player's name.
func Cards(t *testing.T, match Matcher) {
	x := Join(t, match, "x", Style{Sender: gamelifttest.SenderFromSender})
	y := Join(t, match, "y", Style{Sender: gamelifttest.SenderFromTargetPlayer})
	for _, p := range []*Player{x, y} {
		if err := p.C.JoinGroup(7); err != nil {
			t.Fatal(err)
		}
	}
	// A join travels over UDP once the fast channel is up, and may arrive
	// after later messages sent over the WebSocket: wait until the table is
	// full, as a client waits for its membership update.
	x.Members(7, 2)
	x.Send(40, `{"nick":"Ex"}`, gamelifttest.Reliable, -1, 0)
	y.Send(40, `{"nick":"Why"}`, gamelifttest.Reliable, -1, 0)

	note := []byte("naïve\n")
	cut := bytes.IndexByte(note, 0xc3) + 1 // inside ï
	x.Send(42, string(note[:cut]), gamelifttest.Reliable, -1, 0)
	x.Send(42, string(note[cut:]), gamelifttest.Reliable, -1, 0)
	for _, p := range []*Player{x, y} {
		if e := p.Next(143); string(e.Payload) != "naïve" || e.Sender != x.C.PeerID() {
			t.Errorf("%s: note %q from %d, want naïve from %d", p.Name, e.Payload, e.Sender, x.C.PeerID())
		}
	}

	wins := map[int32]int{}
	var winner int32
	for round := 1; winner == 0; round++ {
		if round > 40 {
			t.Fatal("no winner after 40 rounds")
		}
		x.Send(41, "", gamelifttest.Reliable, -1, 0)
		y.Send(41, "", gamelifttest.Reliable, -1, 0)
		for _, p := range []*Player{x, y} {
			for range 2 {
				c := p.Next(140).Payload
				if len(c) != 4 || int(c[0]) != round || c[3] < 1 || c[3] > 13 {
					t.Fatalf("%s: round %d: card %v", p.Name, round, c)
				}
			}
			r := p.Next(141).Payload
			if len(r) != 3 || int(r[0]) != round {
				t.Fatalf("%s: round %d: result %v", p.Name, round, r)
			}
			if p != x {
				continue
			}
			if w := int32(binary.BigEndian.Uint16(r[1:])); w != 0 {
				if wins[w]++; wins[w] == 2 {
					winner = w
				}
			}
		}
	}
	for _, p := range []*Player{x, y} {
		if e := p.Next(142); string(e.Payload) != fmt.Sprintf("winner %d", winner) {
			t.Errorf("%s: %q, want winner %d", p.Name, e.Payload, winner)
		}
		if code := p.Closed(); code != 1000 {
			t.Errorf("%s: closed %d, want 1000", p.Name, code)
		}
	}
}
