package realtime_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strconv"
	"strings"
	"time"

	gameclient "github.com/leapfrog-games/leapfrog/client"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime"
)

// The op codes of the tally game.
const (
	opPress int32 = 10 // player to server: add one
	opTotal int32 = 11 // server to every player: the total, in decimal
)

// tally is a complete game: each press of any player adds one to a shared
// total, every player hears the new total, and the session ends when the
// total reaches target. Its callbacks run on the session's goroutine, one
// at a time: the game holds plain fields and no lock.
type tally struct {
	total, target int
}

func (g *tally) OnStart(*realtime.Session)                                 {}
func (g *tally) OnPlayerConnect(*realtime.Session, *realtime.Player) error { return nil }
func (g *tally) OnPlayerAccepted(*realtime.Session, *realtime.Player)      {}
func (g *tally) OnPlayerDisconnect(*realtime.Session, *realtime.Player)    {}
func (g *tally) OnEnd(*realtime.Session)                                   {}

func (g *tally) OnMessage(s *realtime.Session, _ *realtime.Player, m realtime.Message) error {
	if m.OpCode != opPress {
		return realtime.ErrUnknownOpCode // the sender gets a typed error; its connection stays
	}
	g.total++
	s.Broadcast(opTotal, []byte(strconv.Itoa(g.total)))
	if g.total == g.target {
		s.End("target reached") // the players' connections close (1000) after the last total
	}
	return nil
}

func (g *tally) OnTick(*realtime.Session, time.Time) {}

// playerNamedByToken admits whoever comes, named by their token. It is an
// example's: a real server verifies a signed token (see package token).
type playerNamedByToken struct{}

func (playerNamedByToken) Authenticate(_ context.Context, tok string) (realtime.Identity, error) {
	return realtime.Identity{PlayerID: tok, TokenID: tok}, nil
}

// A game served on a real WebSocket and played with the Go client
// (package client, imported here as gameclient).
func ExampleGame() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := realtime.Config{GameServer: "tally-server", Logger: slog.New(slog.DiscardHandler)}
	session, err := realtime.NewSession("tally-1", cfg, &tally{target: 3})
	if err != nil {
		panic(err)
	}
	srv, err := realtime.NewServer(cfg, playerNamedByToken{})
	if err != nil {
		panic(err)
	}
	srv.SetSession(session)
	go session.Run(ctx)
	web := httptest.NewServer(srv)
	defer web.Close()

	conn, err := gameclient.Dial(ctx, "ws"+strings.TrimPrefix(web.URL, "http"), "alice", gameclient.DialOptions{})
	if err != nil {
		panic(err)
	}
	defer conn.Close()
	for ev := range conn.Events() {
		switch ev := ev.(type) {
		case gameclient.Welcome:
			fmt.Println("welcome, player", ev.GetPlayerId())
			for range 3 {
				_ = conn.SendGameMessage(opPress, nil)
			}
		case gameclient.GameMessage:
			fmt.Println("total", string(ev.GetPayload()))
		case gameclient.Closed:
			fmt.Println("closed", ev.Code)
		}
	}
	<-session.Done()
	fmt.Println("outcome:", session.Outcome())
	// Output:
	// welcome, player alice
	// total 1
	// total 2
	// total 3
	// closed 1000
	// outcome: target reached
}
