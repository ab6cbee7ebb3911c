package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/leapfrog-games/leapfrog/client"
	"github.com/leapfrog-games/leapfrog/contract/token"
)

// Faults the soak can inject. hop-flood and lobby-leaver need the race
// server's input budgets and lobby deadlines; idle-sockets needs the race
// servers' handshake slots shared per client address.
const (
	faultDisconnect  = "disconnect"
	faultNoShow      = "no-show"
	faultBadFrames   = "bad-frames"
	faultPause       = "pause"
	faultLivingRoom  = "living-room"
	faultHopFlood    = "hop-flood"
	faultLobbyLeaver = "lobby-leaver"
	// faultLateNoShow: a no-show asks again late and then comes with the
	// fresh token (a seat given twice if it did not keep the seat).
	faultLateNoShow = "late-no-show"
	// faultStaleToken: a player asks again mid-race and comes back with
	// that token after the race ended (a race started again if welcomed).
	faultStaleToken = "stale-token"
	// faultIdleSockets: an attacker holds idle sockets (never a Hello)
	// against the race servers from a few addresses while players play.
	faultIdleSockets = "idle-sockets"
)

var (
	defaultFaults = []string{faultDisconnect, faultNoShow, faultBadFrames, faultPause, faultLivingRoom, faultLateNoShow, faultStaleToken,
		faultIdleSockets}
	allFaults = append(slices.Clone(defaultFaults), faultHopFlood, faultLobbyLeaver)
)

// config is one soak run.
type config struct {
	bin         string
	slots       int // scenarios to play; most are one race
	concurrency int
	seed        uint64
	faults      []string
	pauses      int
	pauseFor    time.Duration
	settle      time.Duration // how long the fleet may take to come back
	lobbyLimit  time.Duration // how long a player waits alone in a lobby
	// requireLobbyDeadline makes nobody_came a failure: with lobby
	// deadlines on the race server (shorter than lobbyLimit) no player
	// waits that long, so one who did hit a stalled lobby.
	requireLobbyDeadline bool
	// racesPerServer is the local fleet's --local-races-per-server: 1 is
	// the one-race fleet; above, high-density servers (0 means 1).
	racesPerServer int
	extraArgs      []string // more allocator flags (the last value of a flag wins)
}

// idle is the fleet at rest, between and after the scenarios: no place
// held, the buffer's free races warm. With one race per server that is two
// Ready servers; with high density, the two servers of the minimum, leased
// and empty.
func (c config) idle(m metrics) bool {
	n := max(c.racesPerServer, 1)
	servers := "leapfrog_local_fleet_ready_servers"
	if n > 1 {
		servers = "leapfrog_local_fleet_allocated_servers"
	}
	return m.sum("leapfrog_local_fleet_players") == 0 && m.sum(servers) == 2 &&
		m.sum("leapfrog_local_fleet_allocated_servers")+m.sum("leapfrog_local_fleet_ready_servers") == 2 &&
		m.sum("leapfrog_local_fleet_free_races") == float64(2*n)
}

// Race rules and timeouts of the allocator under soak: races of about a
// second; every deadline longer than a pause, so that a pause alone ends
// nothing.
const (
	unhealthyAfter = 5 * time.Second
	noShowTimeout  = 10 * time.Second
	// sessionTTL is short, so that a no-show's seat is given back (after
	// token.AcceptedFor of it, 21 s) within a scenario.
	sessionTTL = 15 * time.Second
	// attackSockets is what the idle-sockets attacker holds on each race
	// server, from attackAddrs: more than the handshake slots of a server of
	// 512 races (168).
	attackSockets = 200
)

var attackAddrs = []string{"127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"}

func (c config) allocatorArgs() []string {
	return []string{
		"--hop-duration=200ms", "--hop-penalty=20ms", "--countdown=200ms", "--tick-rate=50",
		"--reconnect-grace=8s", "--no-show-timeout=" + noShowTimeout.String(), "--wait-for-players=12s",
		"--session-ttl=" + sessionTTL.String(),
		fmt.Sprintf("--local-races-per-server=%d", max(c.racesPerServer, 1)),
		"--local-buffer=2", "--local-min=2", fmt.Sprintf("--local-max=%d", c.concurrency*2+4),
		"--local-unhealthy-after=" + unhealthyAfter.String(),
		"--guest-rate=1000", "--guest-burst=1000", "--match-rate=100", "--match-burst=100",
		// Every player of the soak comes from 127.0.0.1.
		"--max-places-per-ip=100000", "--log-level=info",
	}
}

func (c config) args() []string { return append(c.allocatorArgs(), c.extraArgs...) }

// explained are ERROR log lines that faults cause on purpose, each with the
// reason it is expected. Any other ERROR line fails the soak.
var explained = []struct {
	re  *regexp.Regexp
	why string
}{}

// report is what a soak found.
type report struct {
	slots, players   int
	outcomes         map[string]int
	faults           map[string]int
	failures         []string
	racesStarted     float64
	racesEnded       float64
	stuckPlaces      float64
	allocatedServers float64
	readyServers     float64
	goroutines       [2]float64 // allocator before, after
	fds              [2]float64
	rss              [2]float64
	ownGoroutines    [2]int
	unexplained      []string
	explainedErrors  int
	problems         []string
	duration         time.Duration
	// The attacks' figures: seats given to two players at once, ended
	// races welcomed again, honest players refused (HTTP 503) while an
	// attacker held idle sockets.
	seatsGivenTwice, racesRestarted, refusedUnderAttack int
}

func (r *report) ok() bool {
	return len(r.failures) == 0 && len(r.problems) == 0 && len(r.unexplained) == 0 &&
		r.seatsGivenTwice == 0 && r.racesRestarted == 0 && r.refusedUnderAttack == 0
}

// String is the one summary line.
func (r *report) String() string {
	verdict := "PASS"
	if !r.ok() {
		verdict = "FAIL"
	}
	return fmt.Sprintf("soak %s: %d scenarios, %d players in %v; races started %.0f, ended %.0f; outcomes %s; faults %s; "+
		"failed players %d; stuck places %.0f, allocated servers %.0f, ready %.0f; allocator goroutines %.0f->%.0f, fds %.0f->%.0f, "+
		"RSS %.1f->%.1f MiB; soak goroutines %d->%d; ERROR lines %d explained, %d unexplained; "+
		"seats given twice %d, races restarted %d, honest players refused while an attacker holds sockets %d",
		verdict, r.slots, r.players, r.duration.Round(time.Second), r.racesStarted, r.racesEnded, counts(r.outcomes), counts(r.faults),
		len(r.failures), r.stuckPlaces, r.allocatedServers, r.readyServers, r.goroutines[0], r.goroutines[1], r.fds[0], r.fds[1],
		r.rss[0]/(1<<20), r.rss[1]/(1<<20), r.ownGoroutines[0], r.ownGoroutines[1], r.explainedErrors, len(r.unexplained),
		r.seatsGivenTwice, r.racesRestarted, r.refusedUnderAttack)
}

// details lists what went wrong, for the log.
func (r *report) details() string {
	var b strings.Builder
	for _, list := range [][]string{r.problems, r.failures, r.unexplained} {
		for i, s := range list {
			if i == 20 {
				fmt.Fprintf(&b, "  ... and %d more\n", len(list)-20)
				break
			}
			fmt.Fprintf(&b, "  %s\n", s)
		}
	}
	return b.String()
}

func counts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%d", k, m[k]))
	}
	return "{" + strings.Join(parts, " ") + "}"
}

// run plays the soak against a fresh allocator and reports.
func run(ctx context.Context, cfg config) (*report, error) {
	start := time.Now()
	ownBefore := runtime.NumGoroutine()
	s, err := startStack(ctx, cfg.bin, cfg.args())
	if err != nil {
		return nil, err
	}
	defer s.kill()
	before, err := settled(ctx, s, 10*time.Second, cfg.idle)
	if err != nil {
		return nil, fmt.Errorf("baseline: %w", err)
	}
	hc := &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{Proxy: nil}}
	api, err := client.New(s.url, hc)
	if err != nil {
		return nil, err
	}
	e := &env{api: api, hopEvery: 250 * time.Millisecond, patience: 30 * time.Second, lobbyLimit: cfg.lobbyLimit, raceLimit: 60 * time.Second,
		floodHops: 2000, reconnectAfter: 300 * time.Millisecond,
		sessionTTL: sessionTTL, seatHold: token.AcceptedFor(sessionTTL), servers: &serverSet{}}

	rep := &report{slots: cfg.slots, outcomes: map[string]int{}, faults: map[string]int{}}
	var mu sync.Mutex
	fault := func(name string) {
		mu.Lock()
		rep.faults[name]++
		mu.Unlock()
	}
	results := make(chan result, 64)
	collected := make(chan struct{})
	go func() {
		defer close(collected)
		for r := range results {
			mu.Lock()
			rep.players++
			rep.outcomes[r.outcome]++
			rep.seatsGivenTwice += btoi(r.seatGivenTwice)
			rep.racesRestarted += btoi(r.raceRestarted)
			rep.refusedUnderAttack += btoi(r.refusedUnderAttack)
			if r.outcome == outNobodyCame && cfg.requireLobbyDeadline {
				r.detail = "a player waited alone in a lobby that never ended"
				r.outcome = outFailed
			}
			if r.outcome == outFailed {
				rep.failures = append(rep.failures, r.detail)
			}
			mu.Unlock()
		}
	}()

	// Pauses of the whole allocator (SIGSTOP, SIGCONT), spread over the run.
	runCtx, stopFaults := context.WithCancel(ctx)
	var faultsDone sync.WaitGroup
	if slices.Contains(cfg.faults, faultPause) && cfg.pauses > 0 {
		faultsDone.Add(1)
		go func() {
			defer faultsDone.Done()
			for range cfg.pauses {
				select {
				case <-runCtx.Done():
					return
				case <-time.After(2 * time.Second):
				}
				if s.signal(syscall.SIGSTOP) != nil {
					return
				}
				time.Sleep(cfg.pauseFor) // the fault itself
				_ = s.signal(syscall.SIGCONT)
				fault(faultPause)
			}
		}()
	}

	// An attacker holds idle sockets on every race server the players are
	// sent to, for the whole run.
	if slices.Contains(cfg.faults, faultIdleSockets) {
		faultsDone.Add(1)
		e.attacked.Store(true)
		go func() {
			defer faultsDone.Done()
			(&idleSockets{addrs: attackAddrs, perServer: attackSockets, servers: e.servers}).run(runCtx)
			e.attacked.Store(false)
		}()
		fault(faultIdleSockets)
	}

	scenarios := weights(cfg.faults)
	rng := rand.New(rand.NewPCG(cfg.seed, cfg.seed^0x50a4))
	// Every scenario once first (a short run plays each fault), then a
	// random mix by weight.
	picks := slices.Compact(slices.Clone(scenarios))
	rng.Shuffle(len(picks), func(i, j int) { picks[i], picks[j] = picks[j], picks[i] })
	picks = picks[:min(len(picks), cfg.slots)]
	for len(picks) < cfg.slots {
		picks = append(picks, scenarios[rng.IntN(len(scenarios))])
	}
	slotsCh := make(chan string)
	var workers sync.WaitGroup
	for range cfg.concurrency {
		workers.Add(1)
		go func() {
			defer workers.Done()
			for sc := range slotsCh {
				playScenario(runCtx, e, sc, results, fault)
			}
		}()
	}
	for _, sc := range picks {
		select {
		case slotsCh <- sc:
		case <-ctx.Done():
		}
	}
	close(slotsCh)
	workers.Wait()
	stopFaults()
	faultsDone.Wait()
	close(results)
	<-collected
	if err := ctx.Err(); err != nil {
		return rep, err
	}

	// The fleet must come back by itself: no place held, the buffer warm
	// (and with one race per server no server allocated), every goroutine
	// and descriptor given back.
	var after metrics
	after, err = settled(ctx, s, cfg.settle, func(m metrics) bool {
		return cfg.idle(m) && m.sum("leapfrog_realtime_players_connected") == 0 &&
			m.sum("go_goroutines") <= before.sum("go_goroutines")+goroutineSlack &&
			m.sum("process_open_fds") <= before.sum("process_open_fds")+fdSlack
	})
	if err != nil && after == nil {
		return rep, err
	}
	rep.racesStarted, rep.racesEnded = after.sum("leapfrog_race_races_started_total"), after.sum("leapfrog_race_races_ended_total")
	rep.stuckPlaces = after.sum("leapfrog_local_fleet_players")
	rep.allocatedServers, rep.readyServers = after.sum("leapfrog_local_fleet_allocated_servers"), after.sum("leapfrog_local_fleet_ready_servers")
	rep.goroutines = [2]float64{before.sum("go_goroutines"), after.sum("go_goroutines")}
	rep.fds = [2]float64{before.sum("process_open_fds"), after.sum("process_open_fds")}
	rep.rss = [2]float64{before.sum("process_resident_memory_bytes"), after.sum("process_resident_memory_bytes")}
	if err != nil {
		rep.problems = append(rep.problems, fmt.Sprintf("the fleet did not come back within %v: %v", cfg.settle, err))
	}
	if rep.racesEnded > rep.racesStarted {
		rep.problems = append(rep.problems, fmt.Sprintf("%.0f races ended but only %.0f started", rep.racesEnded, rep.racesStarted))
	}
	for _, line := range s.errorLines() {
		if i := slices.IndexFunc(explained, func(x struct {
			re  *regexp.Regexp
			why string
		}) bool {
			return x.re.MatchString(line)
		}); i >= 0 {
			rep.explainedErrors++
			continue
		}
		rep.unexplained = append(rep.unexplained, "unexplained ERROR: "+line)
	}
	if code, err := s.stop(30 * time.Second); err != nil || code != 0 {
		rep.problems = append(rep.problems, fmt.Sprintf("the allocator exited with %d (%v) after SIGTERM, want 0", code, err))
	}
	hc.CloseIdleConnections()
	s.http.CloseIdleConnections()
	rep.ownGoroutines = [2]int{ownBefore, settleOwn(ownBefore)}
	if rep.ownGoroutines[1] > ownBefore+ownSlack {
		rep.problems = append(rep.problems, fmt.Sprintf("the soak's own goroutines went from %d to %d", ownBefore, rep.ownGoroutines[1]))
	}
	rep.duration = time.Since(start)
	return rep, nil
}

// Slack of the leak checks: the metrics scrape's own connection, and
// runtime helpers that come and go.
const (
	goroutineSlack = 8
	fdSlack        = 4
	ownSlack       = 4
)

// settled polls the metrics until ok holds or d passes; it returns the last
// metrics read either way.
func settled(ctx context.Context, s *stack, d time.Duration, ok func(metrics) bool) (metrics, error) {
	deadline := time.Now().Add(d)
	var last metrics
	for {
		m, err := s.metrics(ctx)
		if err == nil {
			last = m
			if ok(m) {
				return m, nil
			}
		}
		if time.Now().After(deadline) {
			if err == nil {
				err = errors.New("condition not met")
			}
			return last, err
		}
		select {
		case <-ctx.Done():
			return last, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// settleOwn waits (bounded) for the soak's own goroutines to wind down.
func settleOwn(base int) int {
	n := runtime.NumGoroutine()
	for deadline := time.Now().Add(10 * time.Second); n > base+ownSlack && time.Now().Before(deadline); n = runtime.NumGoroutine() {
		time.Sleep(100 * time.Millisecond)
	}
	return n
}

// weights lists the scenarios, each as often as it should be picked.
func weights(faults []string) []string {
	w := map[string]int{"race": 10}
	if slices.Contains(faults, faultLivingRoom) {
		w[faultLivingRoom] = 2
	}
	for _, f := range []string{faultDisconnect, faultNoShow, faultBadFrames, faultHopFlood, faultLobbyLeaver, faultLateNoShow, faultStaleToken} {
		if slices.Contains(faults, f) {
			w[f] = 2
		}
	}
	var out []string
	for _, k := range []string{"race", faultLivingRoom, faultDisconnect, faultNoShow, faultBadFrames, faultHopFlood, faultLobbyLeaver,
		faultLateNoShow, faultStaleToken} {
		for range w[k] {
			out = append(out, k)
		}
	}
	return out
}

// playScenario plays one scenario to its end.
func playScenario(ctx context.Context, e *env, sc string, out chan<- result, fault func(string)) {
	var wg sync.WaitGroup
	go2 := func(seats int, b behaviour) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e.player(ctx, seats, b, out)
		}()
	}
	switch sc {
	case "race":
		go2(1, racing)
		go2(1, racing)
	case faultLivingRoom:
		go2(2, racing)
	case faultDisconnect:
		go2(1, racing)
		go2(1, disconnector)
	case faultNoShow:
		go2(1, noShow)
		go2(1, racing)
	case faultHopFlood:
		go2(1, racing)
		go2(1, flooder)
	case faultLobbyLeaver:
		go2(1, lobbyLeaver)
	case faultLateNoShow:
		// The player next to the late no-show waits for it: the seat
		// stays the no-show's until its fresh token could no longer bring it.
		wg.Add(1)
		go func() {
			defer wg.Done()
			e.patientPlayer(ctx, e.seatHold+e.lobbyLimit, out)
		}()
		go2(1, lateNoShow)
	case faultStaleToken:
		go2(1, racing)
		go2(1, midRaceAsker)
	case faultBadFrames:
		// A hostile client: takes a place, then talks garbage to the server.
		wg.Add(1)
		go func() {
			defer wg.Done()
			out <- e.hostile(ctx)
		}()
	}
	if sc != "race" {
		fault(sc)
	}
	wg.Wait()
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// patientPlayer races as a racing player but waits lobbyLimit for an
// opponent.
func (e *env) patientPlayer(ctx context.Context, lobbyLimit time.Duration, out chan<- result) {
	g, err := e.guest(ctx)
	if err != nil {
		out <- failed("guest: %v", err)
		return
	}
	m, err := e.match(ctx, g, 1)
	switch {
	case errors.Is(err, errPatience):
		out <- result{outcome: outNoCapacity}
	case err != nil:
		out <- failed("match: %v", err)
	default:
		out <- e.raceFor(ctx, g, m, m.PlayerSessionToken, racing, lobbyLimit)
	}
}

// hostile takes a place and connects to its race server only with bad
// frames; its place is freed as a no-show's.
func (e *env) hostile(ctx context.Context) result {
	g, err := e.guest(ctx)
	if err != nil {
		return failed("guest: %v", err)
	}
	m, err := e.match(ctx, g, 1)
	if errors.Is(err, errPatience) {
		return result{outcome: outNoCapacity}
	}
	if err != nil {
		return failed("match: %v", err)
	}
	if err := badFrames(ctx, m.WSURL); err != nil {
		return failed("bad frames on %s: %v", m.GameServer, err)
	}
	return result{outcome: outNoShow}
}
