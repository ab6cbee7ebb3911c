package hdload

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/leapfrog-games/leapfrog/gameserver/agonessdk"
	"github.com/leapfrog-games/leapfrog/gameserver/agonessdk/sdktest"
	racev1 "github.com/leapfrog-games/leapfrog/gameserver/proto/leapfrog/race/v1"
	realtimev1 "github.com/leapfrog-games/leapfrog/gameserver/proto/leapfrog/realtime/v1"
	"github.com/leapfrog-games/leapfrog/gameserver/race"
	"github.com/leapfrog-games/leapfrog/gameserver/token"
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
}

// RaceServerTarget is a race server process beside an in-process Agones SDK
// sidecar (agonessdk.Memory behind sdktest.Sidecar), leased the way an
// allocator leases a high-density server, with player session tokens minted
// from the key file it reads.
type RaceServerTarget struct {
	proc      *process
	url       string
	name      string
	issuer    *token.Issuer
	mem       *agonessdk.Memory
	sidecar   *http.Server
	dir       string
	stopRenew func()

	ready, hop []byte
}

// gameServerName is the GameServer the server runs as.
const gameServerName = "hd-load-0"

// drainGrace is the server's --drain-grace: the players are gone when the
// tool stops it, but races whose players left wait out their reconnect grace.
const drainGrace = 2 * time.Second

// The lease as the allocator keeps it: renewed every leaseRenew
// (docs/high-density.md), well within the server's lease TTL.
const (
	lesseeName = "hd-load"
	leaseRenew = 5 * time.Second
)

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

// StartRaceServer starts a race server for cfg's races, its sidecar and its
// lease, and waits until it is Ready.
func StartRaceServer(ctx context.Context, opts ServerOptions, cfg Config, log *slog.Logger) (_ *RaceServerTarget, err error) {
	if opts.Binary == "" {
		return nil, errors.New("no race server binary: see BuildRaceServer")
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

	listen, err := freeAddr()
	if err != nil {
		return nil, err
	}
	admin, err := freeAddr()
	if err != nil {
		return nil, err
	}
	_, portText, _ := net.SplitHostPort(listen)
	port, _ := strconv.Atoi(portText)
	t.mem = agonessdk.NewMemory(agonessdk.MemoryConfig{
		Name: t.name, Address: "127.0.0.1", Ports: []agonessdk.Port{{Name: "default", Port: int32(port)}},
		Lists: map[string]agonessdk.List{
			agonessdk.RacesList:   {Capacity: agonessdk.Int64(opts.RacesPerServer)},
			agonessdk.PlayersList: {Capacity: 2},
		},
	})
	sln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	t.sidecar = &http.Server{Handler: sdktest.NewSidecar(t.mem), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = t.sidecar.Serve(sln) }()

	level := "warn"
	if opts.Verbose {
		level = "info"
	}
	args := append([]string{
		"--listen=" + listen, "--admin-listen=" + admin, "--key-file=" + keyFile,
		"--sdk-http-port=" + strconv.Itoa(sln.Addr().(*net.TCPAddr).Port), "--log-level=" + level,
		"--races-per-server=" + strconv.Itoa(opts.RacesPerServer), "--tick-rate=" + strconv.Itoa(opts.TickRate),
		"--drain-grace=" + drainGrace.String(),
	}, serverGameRules(cfg.HopsPerRace, cfg.Countdown)...)
	if t.proc, err = startProcess("race server", opts.Binary, args, nil); err != nil {
		return nil, err
	}
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := waitHTTP(wctx, t.proc, "http://"+admin+"/readyz"); err != nil {
		return nil, err
	}
	if err := t.lease(ctx, log); err != nil {
		return nil, err
	}
	t.url = "ws://" + listen + "/ws"
	t.ready = mustMarshal(gameMessage(race.OpSceneReady))
	t.hop = mustMarshal(gameMessage(race.OpHop))
	return t, nil
}

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

// lease allocates the server with this driver as its lessee and renews the
// lease until Close, as the allocator does.
func (t *RaceServerTarget) lease(ctx context.Context, log *slog.Logger) error {
	stamp := func() string { return time.Now().UTC().Format(time.RFC3339Nano) }
	_, err := t.mem.AllocateWith(agonessdk.Allocation{
		Labels:      map[string]string{agonessdk.LesseeLabel: lesseeName},
		Annotations: map[string]string{agonessdk.LeaseRenewedAnnotation: stamp()},
	})
	if err != nil {
		return fmt.Errorf("lease the race server: %w", err)
	}
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(leaseRenew)
		defer tick.Stop()
		for {
			select {
			case <-rctx.Done():
				return
			case <-tick.C:
				if err := t.mem.PatchMetadata(nil, map[string]string{agonessdk.LeaseRenewedAnnotation: stamp()}); err != nil {
					log.Warn("renew the lease", "err", err)
				}
			}
		}
	})
	t.stopRenew = func() { cancel(); wg.Wait() }
	return nil
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
	tok, _, err := t.issuer.MintRaceSession(fmt.Sprintf("p%s-%d", raceID, player), t.name, raceID, 10*time.Minute)
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

// Close stops the server (SIGTERM: it drains), the lease and the sidecar,
// and removes the key file.
func (t *RaceServerTarget) Close() error {
	var errs []error
	if t.proc != nil {
		errs = append(errs, t.proc.stop(30*time.Second))
	}
	if t.stopRenew != nil {
		t.stopRenew()
	}
	if t.sidecar != nil {
		errs = append(errs, t.sidecar.Close())
	}
	errs = append(errs, os.RemoveAll(t.dir))
	return errors.Join(errs...)
}

var _ Target = (*RaceServerTarget)(nil)
