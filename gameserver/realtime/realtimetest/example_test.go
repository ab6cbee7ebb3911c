package realtimetest_test

import (
	"fmt"
	"time"

	"github.com/leapfrog-games/leapfrog/gameserver/realtime"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime/realtimetest"
)

// The op codes of the buzzer game.
const (
	opBuzz   int32 = 1 // player to server
	opWinner int32 = 2 // server to every player: the first to buzz, by peer id
	opTimeUp int32 = 3 // server to every player: nobody buzzed in time
)

// buzzer is a game rule worth testing: the first player to buzz within
// ten seconds of the session's start wins; later buzzes are ignored.
type buzzer struct{ over bool }

func (g *buzzer) OnStart(s *realtime.Session) {
	s.After(10*time.Second, func() {
		if !g.over {
			g.over = true
			s.Broadcast(opTimeUp, nil)
			s.End("time up")
		}
	})
}

func (g *buzzer) OnMessage(s *realtime.Session, p *realtime.Player, m realtime.Message) error {
	if m.OpCode != opBuzz {
		return realtime.ErrUnknownOpCode
	}
	if !g.over {
		g.over = true
		s.Broadcast(opWinner, []byte(p.PlayerID()))
		s.End("won")
	}
	return nil
}

func (g *buzzer) OnPlayerConnect(*realtime.Session, *realtime.Player) error { return nil }
func (g *buzzer) OnPlayerAccepted(*realtime.Session, *realtime.Player)      {}
func (g *buzzer) OnPlayerDisconnect(*realtime.Session, *realtime.Player)    {}
func (g *buzzer) OnTick(*realtime.Session, time.Time)                       {}
func (g *buzzer) OnEnd(*realtime.Session)                                   {}

// A game's rules driven in a test: players connect in memory, and the
// fake clock moves only when the test says, so the ten-second deadline is
// reached without waiting and nothing depends on timing.
func ExampleHarness() {
	h, err := realtimetest.NewHarness(realtime.Config{}, &buzzer{}, time.Unix(1_700_000_000, 0))
	if err != nil {
		panic(err)
	}
	alice, _ := h.Connect("alice")
	bob, _ := h.Connect("bob")
	alice.Discard() // the welcome and peer events

	h.Advance(9 * time.Second)
	printEnded(h)
	bob.Send(opBuzz, nil)
	alice.Send(opBuzz, nil) // too late: bob was first
	for _, m := range alice.Messages() {
		fmt.Printf("alice hears op %d: %s\n", m.GetOpCode(), m.GetPayload())
	}
	h.Advance(time.Second) // the deadline passes after the game was won: nothing more
	printEnded(h)
	// Output:
	// ended: false ""
	// alice hears op 2: bob
	// ended: true "won"
}

// The same rules when nobody buzzes: moving the clock past the deadline
// runs the timer.
func ExampleHarness_Advance() {
	h, err := realtimetest.NewHarness(realtime.Config{}, &buzzer{}, time.Unix(1_700_000_000, 0))
	if err != nil {
		panic(err)
	}
	carol, _ := h.Connect("carol")
	carol.Discard()
	h.Advance(10 * time.Second)
	for _, m := range carol.Messages() {
		fmt.Println("carol hears op", m.GetOpCode())
	}
	printEnded(h)
	// Output:
	// carol hears op 3
	// ended: true "time up"
}

func printEnded(h *realtimetest.Harness) {
	ended, outcome := h.Ended()
	fmt.Printf("ended: %v %q\n", ended, outcome)
}
