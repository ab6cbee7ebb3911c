package hdload

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	racev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/race/v1"
	realtimev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/realtime/v1"
	"github.com/leapfrog-games/leapfrog/contract/token"
	"github.com/leapfrog-games/leapfrog/gameserver/race"
)

// ServerOptions say how to start the race server.
type ServerOptions struct {
	// Binary is the race server; RunSuite builds
	// ./gameserver/cmd/race-server of this module when it is empty.
	Binary string
	// RacesPerServer is its --races-per-server.
	RacesPerServer int
	// TickRate is its --tick-rate.
	TickRate int
	// Verbose logs at info instead of warn.
	Verbose bool
	// Self is this tool's executable: the sidecar runs as `Self serve-sidecar`.
	Self string
}

// RaceServerTarget is a race server process beside a sidecar process
// (ServeSidecar) that leases it the way an allocator leases a high-density
// server, with player session tokens minted from the key file it reads.
type RaceServerTarget struct {
	proc, sidecar *process
	url           string
	admin         string
	name          string
	issuer        *token.Issuer
	dir           string

	ready, hop []byte
}

// gameServerName is the GameServer the server runs as.
const gameServerName = "hd-load-0"

// drainGrace is the server's --drain-grace: the players are gone when the
// tool stops it, but races whose players left wait out their reconnect grace.
const drainGrace = 2 * time.Second

// serverGameRules are the race server flags the driver needs: a hop that
// ends at once (1 µs), so that every press starts a hop and is broadcast
// at once, at any pace; a race of hopsPerRace hops (0: a million, more than
// a run plays).
func serverGameRules(hopsPerRace int, countdown time.Duration) []string {
	distance := 1e-6
	if hopsPerRace > 0 {
		distance = 1 / float64(hopsPerRace)
	}
	return []string{
		"--hop-duration=1us", "--hop-penalty=0s", "--finish-line=1",
		"--hop-distance=" + strconv.FormatFloat(distance, 'g', -1, 64),
		"--countdown=" + countdown.String(),
	}
}

// StartRaceServer starts the sidecar (`self serve-sidecar`) and a race
// server for cfg's races, and waits until the server is Ready and leased.
func StartRaceServer(ctx context.Context, opts ServerOptions, cfg Config) (_ *RaceServerTarget, err error) {
	if opts.Binary == "" || opts.Self == "" {
		return nil, errors.New("no race server binary (see BuildRaceServer) or no tool executable for the sidecar")
	}
	dir, err := os.MkdirTemp("", "hd-load-")
	if err != nil {
		return nil, err
	}
	t := &RaceServerTarget{dir: dir, name: gameServerName}
	defer func() {
		if err != nil {
			_ = t.Close()
		}
	}()
	key := token.Key{ID: "hd-load", Secret: make([]byte, token.MinSecretBytes)}
	_, _ = rand.Read(key.Secret)
	keys, err := token.NewKeyset(key.ID, key)
	if err != nil {
		return nil, err
	}
	t.issuer = token.NewIssuer(keys, nil)
	keyFile := filepath.Join(dir, "keys.json")
	data, err := token.MarshalKeyFile(key.ID, key)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(keyFile, data, 0o600); err != nil {
		return nil, err
	}

	var listen, admin, sdk string
	for _, a := range []*string{&listen, &admin, &sdk} {
		if *a, err = freeAddr(); err != nil {
			return nil, err
		}
	}
	_, port, _ := net.SplitHostPort(listen)
	_, sdkPort, _ := net.SplitHostPort(sdk)
	t.sidecar, err = startProcess("sidecar", opts.Self, []string{"serve-sidecar", "-listen", sdk, "-name", t.name,
		"-port", port, "-races", strconv.Itoa(opts.RacesPerServer)}, nil)
	if err != nil {
		return nil, err
	}
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := waitHTTP(wctx, t.sidecar, "http://"+sdk+"/gameserver"); err != nil {
		return nil, err
	}
	level := "warn"
	if opts.Verbose {
		level = "info"
	}
	args := append([]string{
		"--listen=" + listen, "--admin-listen=" + admin, "--key-file=" + keyFile,
		"--sdk-http-port=" + sdkPort, "--log-level=" + level,
		"--races-per-server=" + strconv.Itoa(opts.RacesPerServer), "--tick-rate=" + strconv.Itoa(opts.TickRate),
		"--drain-grace=" + drainGrace.String(),
	}, serverGameRules(cfg.HopsPerRace, cfg.Countdown)...)
	if t.proc, err = startProcess("race server", opts.Binary, args, nil); err != nil {
		return nil, err
	}
	if err := waitHTTP(wctx, t.proc, "http://"+admin+"/readyz"); err != nil {
		return nil, err
	}
	for !strings.Contains(t.sidecar.stderr.String(), sidecarLeased) {
		if err := t.sidecar.exited(); err != nil {
			return nil, err
		}
		select {
		case <-wctx.Done():
			return nil, fmt.Errorf("the sidecar did not lease the server: %w; its output: %s", context.Cause(wctx), t.sidecar.stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.url, t.admin = "ws://"+listen+"/ws", admin
	t.ready = mustMarshal(gameMessage(race.OpSceneReady))
	t.hop = mustMarshal(gameMessage(race.OpHop))
	return t, nil
}

// MetricsURL is the server's /metrics, what a PodMonitor scrapes.
func (t *RaceServerTarget) MetricsURL() string { return "http://" + t.admin + "/metrics" }

// BuildRaceServer builds ./gameserver/cmd/race-server of the module this
// tool runs in (found with go env GOMOD) into dir.
func BuildRaceServer(ctx context.Context, dir string) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("not inside the leapfrog module: run from the repository, or pass -race-server")
	}
	bin := filepath.Join(dir, "race-server")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./gameserver/cmd/race-server")
	cmd.Dir = filepath.Dir(mod)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./gameserver/cmd/race-server: %w: %s", err, out)
	}
	return bin, nil
}

func gameMessage(op int32) *realtimev1.ClientFrame {
	return &realtimev1.ClientFrame{Payload: &realtimev1.ClientFrame_Message{Message: &realtimev1.GameMessage{OpCode: op}}}
}

func mustMarshal(m proto.Message) []byte {
	b, err := proto.Marshal(m)
	if err != nil {
		panic(fmt.Sprintf("marshal %T: %v", m, err))
	}
	return b
}

// Name is "race".
func (t *RaceServerTarget) Name() string { return "race" }

// URL is the server's /ws.
func (t *RaceServerTarget) URL() string { return t.url }

// Hello carries a player session token for player (p<race>-<player>) in
// race on this server.
func (t *RaceServerTarget) Hello(raceID string, player int) ([]byte, error) {
	tok, _, err := t.issuer.MintMatchSession(fmt.Sprintf("p%s-%d", raceID, player), t.name, raceID, 10*time.Minute)
	if err != nil {
		return nil, err
	}
	return proto.Marshal(&realtimev1.ClientFrame{Payload: &realtimev1.ClientFrame_Hello{Hello: &realtimev1.Hello{
		PlayerSessionToken: tok, ClientVersion: "hd-load",
	}}})
}

// SceneReady is op 200.
func (t *RaceServerTarget) SceneReady() []byte { return t.ready }

// AppendHop appends op 201 (the same frame for every hop: the server counts).
func (t *RaceServerTarget) AppendHop(dst []byte, _ int, _ int64) []byte { return append(dst, t.hop...) }

// Parse reads the frames the driver acts on: AssignPlayer (joined, the
// lane), Countdown (the start), FrogMoved of a hop (the frog's hop count is
// the hop's number), RaceResult (over) and errors.
func (t *RaceServerTarget) Parse(b []byte) (Event, error) {
	var f realtimev1.ServerFrame
	if err := proto.Unmarshal(b, &f); err != nil {
		return Event{}, fmt.Errorf("server frame: %w", err)
	}
	if e := f.GetError(); e != nil {
		if e.Code == realtimev1.Error_CODE_SESSION_ENDED {
			return Event{Kind: EventOver}, nil
		}
		return Event{Kind: EventRefused, Text: strings.TrimPrefix(e.Code.String(), "CODE_")}, nil
	}
	m := f.GetMessage()
	if m == nil {
		return Event{}, nil
	}
	switch m.OpCode {
	case race.OpAssignPlayer:
		var a racev1.AssignPlayer
		if err := proto.Unmarshal(m.Payload, &a); err != nil {
			return Event{}, fmt.Errorf("assign player: %w", err)
		}
		return Event{Kind: EventJoined, Lane: int(a.Lane)}, nil
	case race.OpCountdown:
		var c racev1.Countdown
		if err := proto.Unmarshal(m.Payload, &c); err != nil {
			return Event{}, fmt.Errorf("countdown: %w", err)
		}
		return Event{Kind: EventStart, At: time.UnixMilli(c.StartAtMs)}, nil
	case race.OpFrogMoved:
		var mv racev1.FrogMoved
		if err := proto.Unmarshal(m.Payload, &mv); err != nil {
			return Event{}, fmt.Errorf("frog moved: %w", err)
		}
		if mv.Cause != racev1.FrogMoved_CAUSE_HOP || mv.Frog == nil {
			return Event{}, nil
		}
		return Event{Kind: EventHop, Lane: int(mv.Frog.Lane), Seq: int64(mv.Frog.Hops)}, nil
	case race.OpRaceResult:
		return Event{Kind: EventOver}, nil
	}
	return Event{}, nil
}

// AnnouncesStart is true: Countdown says when.
func (t *RaceServerTarget) AnnouncesStart() bool { return true }

// EndsRaces is true: RaceResult ends a race.
func (t *RaceServerTarget) EndsRaces() bool { return true }

// PID is the race server process.
func (t *RaceServerTarget) PID() int { return t.proc.pid() }

// Check reports the server's exit.
func (t *RaceServerTarget) Check() error { return t.proc.exited() }

// SidecarPID is the sidecar process.
func (t *RaceServerTarget) SidecarPID() int { return t.sidecar.pid() }

// Close stops the server (SIGTERM: it drains) and the sidecar, and removes
// the key file.
func (t *RaceServerTarget) Close() error {
	var errs []error
	if t.proc != nil {
		errs = append(errs, t.proc.stop(30*time.Second))
	}
	if t.sidecar != nil {
		errs = append(errs, t.sidecar.stop(10*time.Second))
	}
	errs = append(errs, os.RemoveAll(t.dir))
	return errors.Join(errs...)
}

var _ Target = (*RaceServerTarget)(nil)
