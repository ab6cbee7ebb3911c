package placement

import (
	"crypto/rand"
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/leapfrog-games/leapfrog/internal/allocator/backend"
)

// Config configures an Engine.
type Config struct {
	// SeatsPerMatch is the number of players in a match (2 for Mega Frog Race).
	SeatsPerMatch int
	// Pending is how long a placed match may go unreported by its server
	// before it is forgotten (its players were no-shows, or the server never
	// got their tokens): its room and its players' placements go. A match
	// server starts a match only until Placement.StartBy, placement + Pending.
	Pending time.Duration
	// StartLeeway is how long past StartBy a game server may still start a
	// match (the clock leeway of its tokens): an unreported match is forgotten
	// only then, so that its room is never given while the match may start.
	StartLeeway time.Duration
	// MatchPrefix starts every match id, to keep them unique across allocator
	// replicas (the replica id). The engine adds a part drawn at New, so that
	// a replica restarted under the same name never reuses an id.
	MatchPrefix string
	// SeatHold is how long a seat's player session token may still bring
	// its player (the token's lifetime plus the game servers' clock
	// leeway). A seat not placed again for longer, in a match its server
	// reports waiting for players without that player (Lobbies), is free
	// again: every Place that answers with the seat restarts its hold, as
	// the caller mints a new token for it. 0: seats are never given back.
	SeatHold time.Duration
	// ShowGrace is how long a seated player may take to connect while its
	// server reports the match waiting with someone else present (Lobbies):
	// past it, the seat goes to the next player even though the first
	// player's token still runs. The game server seats whoever comes first
	// and refuses the other (4004); its report then names who holds the
	// seats, and the loser asking again is placed afresh. 0: only SeatHold
	// gives seats back.
	ShowGrace time.Duration
	// Now is the clock that times pending matches; nil means time.Now.
	Now func() time.Time
}

// MaxMatchPrefix bounds Config.MatchPrefix: a match id is an Agones list value
// and a token claim, both at most 63 bytes.
const MaxMatchPrefix = 40

// DefaultShowGrace is Config.ShowGrace as the allocator sets it: a browser
// connects within a second of its match, and the game server reports a
// lone present player within half a second.
const DefaultShowGrace = 2 * time.Second

// joinOnly is how far in the past the start deadline of a seat in another
// replica's match lies: such a token joins the running match and can never
// start it anew on its server (the game servers allow 5 s of clock leeway).
const joinOnly = time.Minute

// MaxCapacity bounds Server.Capacity (Agones lists hold at most 1000 values).
const MaxCapacity = 1 << 16

// Server is a game server matches can be placed on.
type Server struct {
	Name, Address string
	Port          int32
	// Capacity is the most matches the server hosts at once (N).
	Capacity int
}

// Placement says where players go: a match on a game server.
type Placement struct {
	Server, Address string
	Port            int32
	Match           string
	// Joined is true when the players were placed into an existing match (one
	// waiting for players, or the player's own earlier placement), false when
	// a new match was started for them.
	Joined bool
	// Again is true when the answer is the first player's own earlier
	// placement: a player asking again, often because it lost its server.
	Again bool
	// StartBy is the latest time the match may start on its server: the
	// match's placement plus Config.Pending, the same for every seat of the
	// match. Tokens carry it, so that a match the engine forgot unreported,
	// or one that ended, is never started (again) by a late token.
	StartBy time.Time
	// SeatedAt is when the engine (re)seated the players: their seats'
	// hold runs from it, so a token minted for them must expire no later
	// than SeatedAt plus its lifetime (then the seat is never given away
	// while a token of its player is still accepted, however long the
	// caller took to mint it).
	SeatedAt time.Time
}

// Stats counts what the engine holds.
type Stats struct {
	Servers     int // servers known
	Suspended   int // of which suspended
	Unreachable int // of which marked unreachable
	Matches     int // matches on all servers: pending and started
	Pending     int // matches placed but not reported by their server yet
	Started     int // matches reported by their server
	OpenMatches int // matches with free seats on servers in placement (neither suspended nor unreachable)
	Players     int // players holding a placement
	FreeMatches int // matches that can still be started on servers in placement
	// Lobbies is the matches of this engine their servers report (waiting
	// for players, or filled since); SeatsFreed the seats given back in
	// them so far.
	Lobbies    int
	SeatsFreed int
	// Foreign is the matches of other replicas' servers reported (waiting
	// for players, or filled since); ForeignSeats the players this engine
	// seated in them.
	Foreign      int
	ForeignSeats int
	// Waiting is the matches, this engine's or other replicas', reported
	// waiting with a player present and a seat open to this engine.
	Waiting int
}

// Engine places players into matches on servers. Every operation but Upsert,
// Remove, Suspend, Unreachable, Idle, Lobbies and Foreign is O(1) in the
// number of servers and matches, plus the matches reported waiting with a
// player present (few: each takes the next lone player). It is safe for
// concurrent use.
type Engine struct {
	cfg   Config
	epoch string // drawn at New: match ids differ across restarts

	mu      sync.Mutex
	seq     uint64
	gen     uint64 // Upsert generation: marks the matches a report names
	servers map[string]*server
	players map[string]*match
	// open[f] holds the open matches with f free seats, in the order they came
	// to have f free seats: with two seats a match, oldest first.
	open []chain[match]
	// pending holds the placed matches no report has named yet, oldest first:
	// with one Pending duration for all, also the order they expire in.
	pending chain[match]
	// room[f] holds the servers, not suspended, with room for f more matches;
	// roomBits has bit f set when room[f] is not empty.
	room     []chain[server]
	roomBits []uint64
	free     int // sum of the servers' counted room
	started  int
	matches  int
	nopen    int
	nsuspend int
	ndown    int
	// lobbies holds the matches reported waiting for players (Lobbies);
	// freed counts the seats given back in them.
	lobbies map[*match]struct{}
	freed   int
	// waits holds the reported matches that wait with a player present
	// (own and foreign): lone players go there first, and their seats'
	// graces run out. Few: each takes the next lone player.
	waits map[*match]struct{}
	// foreign holds the servers of other replicas that report matches
	// waiting for players (Foreign), by name.
	foreign map[string]*server
}

type server struct {
	Server
	suspended bool
	// down: the server was found unreachable. Kept apart from suspended,
	// whose owners (the lease gate, the closed label) would otherwise
	// resume a server they did not suspend.
	down     bool
	matches  map[string]*match
	counted  int // the room this server adds to Engine.free
	roomNode node[server]
}

type match struct {
	id      string
	srv     *server
	seq     uint64
	players []string
	// seatedAt[i] is when players[i] was last placed (a token minted).
	seatedAt []time.Time
	// lobby is what the server last reported of the match while it waits
	// for players: the players in it (Lobbies); nil when not reported.
	lobby []string
	// waitingSince is when a report first showed the match waiting with a
	// player present: lone present players are paired oldest first.
	waitingSince time.Time
	// placed is false for a match its server reported that this engine did
	// not place (another replica's, or one from before a restart): its
	// players are unknown, so it takes nobody. A foreign match (on another
	// replica's server) is not placed either: it takes players only while
	// reported waiting, and its players are this engine's seats in it.
	placed   bool
	started  bool
	seen     uint64 // the Upsert generation that last named it
	placedAt time.Time
	openNode node[match]
	pendNode node[match]
}

// New checks cfg and returns an empty Engine.
func New(cfg Config) (*Engine, error) {
	var errs []error
	if cfg.SeatsPerMatch < 1 {
		errs = append(errs, fmt.Errorf("placement: seats per match %d: want at least 1", cfg.SeatsPerMatch))
	}
	if cfg.Pending <= 0 {
		errs = append(errs, fmt.Errorf("placement: pending %v: want a positive duration", cfg.Pending))
	}
	if cfg.StartLeeway < 0 {
		errs = append(errs, fmt.Errorf("placement: start leeway %v: want 0 or a positive duration", cfg.StartLeeway))
	}
	if cfg.ShowGrace < 0 {
		errs = append(errs, fmt.Errorf("placement: show grace %v: want 0 (never) or a positive duration", cfg.ShowGrace))
	}
	if cfg.SeatHold < 0 {
		errs = append(errs, fmt.Errorf("placement: seat hold %v: want 0 (never) or a positive duration", cfg.SeatHold))
	}
	if len(cfg.MatchPrefix) > MaxMatchPrefix {
		errs = append(errs, fmt.Errorf("placement: match prefix %q is longer than %d bytes", cfg.MatchPrefix, MaxMatchPrefix))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	e := &Engine{
		cfg: cfg, epoch: epoch(),
		servers: make(map[string]*server),
		players: make(map[string]*match),
		lobbies: make(map[*match]struct{}),
		waits:   make(map[*match]struct{}),
		foreign: make(map[string]*server),
		open:    make([]chain[match], cfg.SeatsPerMatch),
		pending: newChain(func(r *match) *node[match] { return &r.pendNode }),
	}
	for i := range e.open {
		e.open[i] = newChain(func(r *match) *node[match] { return &r.openNode })
	}
	return e, nil
}

// epoch is four random base-36 characters.
func epoch() string {
	const alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// Upsert adds the server or updates its address, port and capacity, and
// takes matches, the ids of the matches it reports running, as the truth: a
// placed match it names has started; a started match it no longer names is
// over (its room and its players' placements go); a match it names that this
// engine did not place takes room but no player. A negative capacity counts
// as 0, one above MaxCapacity as MaxCapacity. A server without a name is
// ignored. Upsert is O(matches on the server).
func (e *Engine) Upsert(s Server, matches []string) {
	if s.Name == "" {
		return
	}
	s.Capacity = min(max(s.Capacity, 0), MaxCapacity)
	e.mu.Lock()
	defer e.mu.Unlock()
	e.expire()
	if fs := e.foreign[s.Name]; fs != nil {
		e.dropForeign(fs) // leased by this replica now
	}
	sv := e.servers[s.Name]
	if sv == nil {
		sv = &server{matches: make(map[string]*match)}
		e.servers[s.Name] = sv
	}
	sv.Server = s
	e.gen++
	for _, id := range matches {
		r := sv.matches[id]
		if r == nil {
			r = &match{id: id, srv: sv}
			sv.matches[id] = r
			e.matches++
		}
		r.seen = e.gen
		if !r.started {
			r.started = true
			e.started++
			e.pending.remove(r)
		}
	}
	for _, r := range sv.matches {
		if r.started && r.seen != e.gen {
			e.forget(r)
		}
	}
	e.refileServer(sv)
}

// Remove forgets the server: its matches, their open seats and their players' placements.
func (e *Engine) Remove(name string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	sv := e.servers[name]
	if sv == nil {
		return
	}
	for _, r := range sv.matches {
		e.forget(r)
	}
	if sv.suspended {
		e.nsuspend--
	}
	if sv.down {
		e.ndown--
	}
	sv.suspended = true // out of the room buckets and the free count
	e.refileServer(sv)
	delete(e.servers, name)
}

// Suspend stops (or resumes) placing on the server: a suspended server takes
// no new match and no new seat, and a player placed on it is placed afresh
// elsewhere when it asks again. Its matches stay known. An unknown server is
// ignored. Resumed matches queue behind the open matches of other servers.
func (e *Engine) Suspend(name string, suspended bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	sv := e.servers[name]
	if sv == nil || sv.suspended == suspended {
		return
	}
	wasOut := sv.out()
	sv.suspended = suspended
	if suspended {
		e.nsuspend++
	} else {
		e.nsuspend--
	}
	if sv.out() != wasOut {
		for _, r := range sv.matches {
			e.refileMatch(r)
		}
		e.refileServer(sv)
	}
}

// Unreachable marks the server found unreachable (down true) or reachable
// again. Placement treats an unreachable server as a suspended one (no new
// match, no new seat, its players placed afresh when they ask again), but
// the two marks are independent: resuming one does not lift the other. An
// unknown server is ignored.
func (e *Engine) Unreachable(name string, down bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	sv := e.servers[name]
	if sv == nil || sv.down == down {
		return
	}
	wasOut := sv.out()
	sv.down = down
	if down {
		e.ndown++
	} else {
		e.ndown--
	}
	if sv.out() != wasOut {
		for _, r := range sv.matches {
			e.refileMatch(r)
		}
		e.refileServer(sv)
	}
}

// out is true when nothing new is placed on the server.
func (sv *server) out() bool { return sv.suspended || sv.down }

// Place finds a match for the players, all on one server: the first player's
// own placement if it holds one (seats missing from it are added if its match
// has room; backend.ErrSeatsTaken if not); else the oldest open match with
// enough free seats; else a new match on the fullest server with room. It
// fails with an error wrapping backend.ErrNoCapacity when no server has
// room, and with a plain error for bad input (no player, an empty or
// repeated id, more players than seats in a match).
func (e *Engine) Place(playerIDs []string) (Placement, error) {
	if err := e.checkPlayers(playerIDs); err != nil {
		return Placement{}, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.expire()
	if r := e.players[playerIDs[0]]; r != nil {
		if p, ok, err := e.placeOwn(r, playerIDs); ok || err != nil {
			return p, err
		}
	}
	if r := e.oldestWaiting(len(playerIDs)); r != nil {
		return e.placement(r, true, e.seat(r, playerIDs)), nil
	}
	if r := e.oldestOpen(len(playerIDs)); r != nil {
		return e.placement(r, true, e.seat(r, playerIDs)), nil
	}
	sv := e.fullestWithRoom()
	if sv == nil {
		return Placement{}, fmt.Errorf("place %d players: %w", len(playerIDs), backend.ErrNoCapacity)
	}
	e.seq++
	r := &match{
		id: e.cfg.MatchPrefix + e.epoch + "-" + strconv.FormatUint(e.seq, 36), srv: sv, seq: e.seq,
		players: make([]string, 0, e.cfg.SeatsPerMatch), placed: true, placedAt: e.cfg.Now(),
	}
	sv.matches[r.id] = r
	e.matches++
	e.pending.pushBack(r)
	at := e.seat(r, playerIDs)
	e.refileServer(sv)
	return e.placement(r, false, at), nil
}

func (e *Engine) checkPlayers(ids []string) error {
	if len(ids) == 0 {
		return errors.New("place: no players")
	}
	if len(ids) > e.cfg.SeatsPerMatch {
		return fmt.Errorf("place: %w: %d players, but a match has %d seats", backend.ErrTooManySeats, len(ids), e.cfg.SeatsPerMatch)
	}
	for i, id := range ids {
		if id == "" {
			return fmt.Errorf("place: player %d has an empty id", i)
		}
		if slices.Contains(ids[:i], id) {
			return fmt.Errorf("place: player %q is named twice", id)
		}
	}
	return nil
}

// placeOwn answers a player that holds a placement in r. ok is false when
// r's server is suspended or unreachable: the placement is dropped (its
// seats stay taken: a token for them may be in use) and the players are
// placed afresh.
func (e *Engine) placeOwn(r *match, ids []string) (p Placement, ok bool, err error) {
	if r.srv.out() {
		for _, id := range ids {
			if e.players[id] == r {
				delete(e.players, id)
			}
		}
		return Placement{}, false, nil
	}
	missing := 0
	for _, id := range ids {
		if !slices.Contains(r.players, id) && !slices.Contains(r.lobby, id) {
			missing++
		}
	}
	if missing > e.openSeats(r) {
		return Placement{}, false, fmt.Errorf("place %d seats in match %s on %s: %w", len(ids), r.id, r.srv.Name, backend.ErrSeatsTaken)
	}
	p = e.placement(r, true, e.seat(r, ids))
	p.Again = true
	return p, true, nil
}

// seat adds the players r does not hold yet (r has room for them) and
// restarts the hold of every seat of ids: the caller mints a new token for
// each, and a seat must not be given to another player while any token of
// its player may still bring it. It returns when the holds restarted.
func (e *Engine) seat(r *match, ids []string) time.Time {
	now := e.cfg.Now()
	for _, id := range ids {
		if i := slices.Index(r.players, id); i >= 0 {
			r.seatedAt[i] = now
		} else {
			r.players = append(r.players, id)
			r.seatedAt = append(r.seatedAt, now)
		}
		e.players[id] = r // a placement elsewhere is replaced
	}
	e.refileMatch(r)
	return now
}

// Lobbies takes what the server reports of its matches waiting for players:
// match id to the players the match holds (connected, or kept in its lobby).
// A match stays reported, with the players who filled it, until it ends.
// The report is the truth of who holds a seat: a match reported full gives
// back every seat whose player it does not name (the game server seated
// someone else first and refuses that player, who is placed afresh when
// it asks again); a match reported waiting gives back the seats of players
// it does not name once they were placed ShowGrace ago (or SeatHold, when
// ShowGrace is 0), and seats in it go to lone players before any other
// match's. Players it names that this engine did not seat (another
// replica's) hold their seats. A report replaces the server's last one.
// Lobbies is O(matches reported + lobbies held).
func (e *Engine) Lobbies(name string, lobbies map[string][]string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	sv := e.servers[name]
	if sv == nil {
		return
	}
	for r := range e.lobbies {
		if r.srv == sv {
			if _, still := lobbies[r.id]; !still {
				r.lobby, r.waitingSince = nil, time.Time{}
				delete(e.lobbies, r)
				delete(e.waits, r)
			}
		}
	}
	if e.cfg.SeatHold <= 0 && e.cfg.ShowGrace <= 0 {
		return
	}
	now := e.cfg.Now()
	for id, players := range lobbies {
		if r := sv.matches[id]; r != nil && r.placed && r.started && len(players) > 0 {
			e.report(r, players, now)
			e.lobbies[r] = struct{}{}
			e.settle(r, now)
		}
	}
	e.expire()
}

// report records what a server said of match r: its players, and since
// when it waits for more.
func (e *Engine) report(r *match, players []string, now time.Time) {
	r.lobby = slices.Clone(players)
	if len(players) >= e.cfg.SeatsPerMatch {
		r.waitingSince = time.Time{}
		delete(e.waits, r)
		return
	}
	if r.waitingSince.IsZero() {
		r.waitingSince = now
	}
	e.waits[r] = struct{}{}
}

// Foreign takes what a server leased by another replica reports of its
// matches waiting for players (as Lobbies). A lone player is seated in the
// oldest of them before any match of this engine without a present player:
// two lone players on two replicas meet. Such a seat is a claim the match
// server arbitrates (first to connect wins); the engine keeps it while the
// match is reported waiting and the claim is younger than ShowGrace, or
// while the report names its player, and drops it otherwise (its player
// asking again is placed afresh). No report, or nil, forgets the server.
// A server this engine leases is ignored. Foreign is O(matches reported).
func (e *Engine) Foreign(s Server, lobbies map[string][]string) {
	if s.Name == "" || e.cfg.ShowGrace <= 0 {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.servers[s.Name] != nil {
		return
	}
	fs := e.foreign[s.Name]
	if fs == nil {
		if len(lobbies) == 0 {
			return
		}
		fs = &server{matches: make(map[string]*match)}
		e.foreign[s.Name] = fs
	}
	fs.Server = s
	now := e.cfg.Now()
	for id, r := range fs.matches {
		if players, still := lobbies[id]; !still || len(players) == 0 {
			e.dropSeats(r, r.players)
			delete(fs.matches, id)
			delete(e.waits, r)
		}
	}
	for id, players := range lobbies {
		if len(players) == 0 {
			continue
		}
		r := fs.matches[id]
		if r == nil {
			r = &match{id: id, srv: fs, started: true}
			fs.matches[id] = r
		}
		e.report(r, players, now)
		e.settle(r, now)
	}
	if len(fs.matches) == 0 {
		delete(e.foreign, s.Name)
	}
	e.expire()
}

// dropForeign forgets a foreign server and this engine's seats on it.
func (e *Engine) dropForeign(fs *server) {
	for _, r := range fs.matches {
		e.dropSeats(r, r.players)
		delete(e.waits, r)
	}
	delete(e.foreign, fs.Name)
}

// dropSeats forgets the placements of ids in r (not r's seat list).
func (e *Engine) dropSeats(r *match, ids []string) {
	for _, id := range ids {
		if e.players[id] == r {
			delete(e.players, id)
		}
	}
}

// freeNoShows gives back the seats of matches reported waiting whose players
// did not come in time (a match reported full settled at its report).
func (e *Engine) freeNoShows(now time.Time) {
	for r := range e.waits {
		e.settle(r, now)
	}
}

// settle applies r's report to the seats this engine gave in it.
func (e *Engine) settle(r *match, now time.Time) {
	full := len(r.lobby) >= e.cfg.SeatsPerMatch
	hold := e.cfg.SeatHold
	if e.cfg.ShowGrace > 0 && (hold <= 0 || e.cfg.ShowGrace < hold) {
		hold = e.cfg.ShowGrace
	}
	n := 0
	for i, id := range r.players {
		if slices.Contains(r.lobby, id) || !full && now.Sub(r.seatedAt[i]) < hold {
			r.players[n], r.seatedAt[n] = id, r.seatedAt[i]
			n++
			continue
		}
		if e.players[id] == r {
			delete(e.players, id)
		}
	}
	changed := n < len(r.players)
	if changed {
		e.freed += len(r.players) - n
		clear(r.players[n:])
		r.players, r.seatedAt = r.players[:n], r.seatedAt[:n]
	}
	if r.placed {
		// The report's players hold seats, this engine's or not.
		for _, id := range r.lobby {
			if !slices.Contains(r.players, id) {
				r.players = append(r.players, id)
				r.seatedAt = append(r.seatedAt, now)
				changed = true
			}
		}
	}
	if changed {
		e.refileMatch(r)
	}
}

// openSeats is the seats of r nobody holds: neither its reported players
// nor this engine's seats in it.
func (e *Engine) openSeats(r *match) int {
	held := len(r.lobby)
	for _, id := range r.players {
		if !slices.Contains(r.lobby, id) {
			held++
		}
	}
	return e.cfg.SeatsPerMatch - held
}

// waiting is true when r is reported waiting with a player present, has a
// seat open to this engine, and is on a server in placement.
func (e *Engine) waiting(r *match) bool {
	return !r.waitingSince.IsZero() && e.openSeats(r) > 0 && !r.srv.out()
}

// oldestWaiting is the match reported waiting the longest with a player
// present and at least seats open seats, on this engine's servers in
// placement or on other replicas', or nil. It is O(matches reported
// waiting): few, as a match reported alone takes the next lone player.
func (e *Engine) oldestWaiting(seats int) *match {
	var best *match
	consider := func(r *match) {
		if !e.waiting(r) || e.openSeats(r) < seats {
			return
		}
		if best == nil || r.waitingSince.Before(best.waitingSince) {
			best = r
		}
	}
	for r := range e.waits {
		consider(r)
	}
	return best
}

func (e *Engine) placement(r *match, joined bool, seatedAt time.Time) Placement {
	by := r.placedAt.Add(e.cfg.Pending)
	if !r.placed {
		by = seatedAt.Add(-joinOnly) // another replica's match: join it, never start it
	}
	return Placement{Server: r.srv.Name, Address: r.srv.Address, Port: r.srv.Port, Match: r.id, Joined: joined,
		StartBy: by, SeatedAt: seatedAt}
}

// oldestOpen is the oldest open match with at least seats free seats, or nil.
func (e *Engine) oldestOpen(seats int) *match {
	var best *match
	for f := seats; f < len(e.open); f++ {
		if h := e.open[f].head; h != nil && (best == nil || h.seq < best.seq) {
			best = h
		}
	}
	return best
}

// fullestWithRoom is a server with the least room left but some (Packed:
// fill a server before starting matches on another), or nil.
func (e *Engine) fullestWithRoom() *server {
	for w, word := range e.roomBits {
		if word != 0 {
			return e.room[w*64+bits.TrailingZeros64(word)].head
		}
	}
	return nil
}

// refileMatch puts r in the open bucket of its free seats, or in none.
func (e *Engine) refileMatch(r *match) {
	if nd := &r.openNode; nd.in != nil {
		nd.in.remove(r)
		e.nopen--
	}
	if f := e.cfg.SeatsPerMatch - len(r.players); r.placed && f > 0 && !r.srv.out() {
		e.open[f].pushBack(r)
		e.nopen++
	}
}

// refileServer puts sv in the room bucket of its free matches, or in none,
// and counts its room in the free matches.
func (e *Engine) refileServer(sv *server) {
	if c := sv.roomNode.in; c != nil {
		c.remove(sv)
		if c.head == nil {
			f := sv.counted // the bucket it was in
			e.roomBits[f/64] &^= 1 << (f % 64)
		}
	}
	f := 0
	if !sv.out() {
		f = max(sv.Capacity-len(sv.matches), 0)
	}
	e.free += f - sv.counted
	sv.counted = f
	if f == 0 {
		return
	}
	for len(e.room) <= f {
		e.room = append(e.room, newChain(func(s *server) *node[server] { return &s.roomNode }))
	}
	for len(e.roomBits) <= f/64 {
		e.roomBits = append(e.roomBits, 0)
	}
	e.room[f].pushBack(sv)
	e.roomBits[f/64] |= 1 << (f % 64)
}

// forget drops r: its room comes back, its players lose their placement.
func (e *Engine) forget(r *match) {
	sv := r.srv
	delete(sv.matches, r.id)
	e.matches--
	if r.started {
		e.started--
	}
	e.pending.remove(r)
	delete(e.lobbies, r)
	delete(e.waits, r)
	if r.openNode.in != nil {
		r.openNode.in.remove(r)
		e.nopen--
	}
	for _, id := range r.players {
		if e.players[id] == r {
			delete(e.players, id)
		}
	}
	e.refileServer(sv)
}

// expire forgets the pending matches no token can start any more (older than
// Pending plus StartLeeway) and gives back the seats of reported lobbies
// whose players did not come.
func (e *Engine) expire() {
	now := e.cfg.Now()
	for r := e.pending.head; r != nil && now.Sub(r.placedAt) >= e.cfg.Pending+e.cfg.StartLeeway; r = e.pending.head {
		e.forget(r)
	}
	if len(e.waits) > 0 {
		e.freeNoShows(now)
	}
}

// FreeMatches is the number of matches that can still be started on servers
// in placement (neither suspended nor unreachable).
func (e *Engine) FreeMatches() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.expire()
	return e.free
}

// Idle lists, by name, the servers that hold no match, pending or started.
func (e *Engine) Idle() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.expire()
	var out []string
	for name, sv := range e.servers {
		if len(sv.matches) == 0 {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// Stats counts what the engine holds now.
func (e *Engine) Stats() Stats {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.expire()
	foreign, seats, waiting := 0, 0, 0
	for _, fs := range e.foreign {
		foreign += len(fs.matches)
		for _, r := range fs.matches {
			seats += len(r.players)
		}
	}
	for r := range e.waits {
		if e.waiting(r) {
			waiting++
		}
	}
	return Stats{
		Servers: len(e.servers), Suspended: e.nsuspend, Unreachable: e.ndown,
		Matches: e.matches, Pending: e.pending.n, Started: e.started,
		OpenMatches: e.nopen, Players: len(e.players), FreeMatches: e.free,
		Lobbies: len(e.lobbies), SeatsFreed: e.freed,
		Foreign: foreign, ForeignSeats: seats, Waiting: waiting,
	}
}

// Holding reports whether player still holds its placement in match on
// server: placed there, the match not over nor forgotten, the seat not given
// back. The allocator counts a player's place against its client address
// while it does.
func (e *Engine) Holding(player, server, match string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.expire()
	r := e.players[player]
	return r != nil && r.id == match && r.srv.Name == server
}
