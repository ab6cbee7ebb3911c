package raceserver

import (
	"flag"
	"fmt"
	"log/slog"
	"testing"
)

// TestPartyFlags: --game=party runs Fly Snatch with its own four players
// unless --players says otherwise, within its 3 to 8.
func TestPartyFlags(t *testing.T) {
	for _, tt := range []struct {
		name  string
		args  []string
		seats int // 0: the options are refused
	}{
		{"the game's own players", []string{"--game=party"}, 4},
		{"--players", []string{"--game=party", "--players=7", "--party-rounds=2", "--countdown=1s"}, 7},
		{"too few", []string{"--game=party", "--players=2"}, 0},
		{"no rounds", []string{"--game=party", "--party-rounds=0"}, 0},
		{"the race keeps its two", nil, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := DefaultOptions()
			fs := flag.NewFlagSet("race-server", flag.ContinueOnError)
			o.RegisterFlags(fs)
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			err := o.Validate()
			if (err == nil) != (tt.seats > 0) {
				t.Fatalf("Validate = %v, want ok %v", err, tt.seats > 0)
			}
			if err != nil {
				return
			}
			if o.Game.Party, err = o.Script.Party(o.Game); err != nil {
				t.Fatal(err)
			}
			hc := o.Game.HostConfig(nil, nil, nil, slog.New(slog.DiscardHandler))
			if hc.Realtime.MaxPlayers != tt.seats {
				t.Errorf("max players %d, want %d", hc.Realtime.MaxPlayers, tt.seats)
			}
			g, err := hc.NewGame()
			if err != nil {
				t.Fatal(err)
			}
			want := "*race.Game"
			if o.Game.Party != nil {
				want = "*party.Game"
			}
			if got := fmt.Sprintf("%T", g); got != want {
				t.Errorf("game %s, want %s", got, want)
			}
			if o.Game.Party != nil && (o.Game.Party.Players != tt.seats || o.Game.Party.Countdown != o.Game.Rules.Countdown) {
				t.Errorf("party rules %+v", *o.Game.Party)
			}
		})
	}
}
