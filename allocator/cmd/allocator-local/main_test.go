package main

import (
	"flag"
	"testing"
	"time"

	"github.com/leapfrog-games/leapfrog/internal/allocator/app"
	"github.com/leapfrog-games/leapfrog/internal/allocator/local"
	"github.com/leapfrog-games/leapfrog/internal/envflag"
)

// The allocator's flags as docs/contracts.md lists them.
var contractFlags = []string{
	"listen", "backend", "namespace", "fleet", "port-name", "key-file", "guest-ttl", "session-ttl",
	"public-address", "guest-rate", "guest-burst", "match-rate", "match-burst",
	"max-places-per-ip", "place-hold", "max-conns-per-ip", "max-conns", "kube-api-qps", "kube-api-burst",
	"local-races-per-server", "local-buffer", "local-min", "local-max", "local-host", "local-unhealthy-after",
	"hop-distance", "hop-duration", "hop-penalty", "finish-line", "players", "countdown",
	"wait-for-players", "reconnect-grace", "no-show-timeout", "tick-rate", "max-payload",
	"edge-url", "local-edge", "tls-self-signed",
	"races-per-server", "replica-id", "lease-renew", "lease-low-water", "gc-percent",
	"game", "script-dir", "launch-path", "script-args", "script-callback-budget", "script-memory-limit-mib",
}

func TestFlagsMatchTheContract(t *testing.T) {
	cfg, local := app.DefaultConfig(), defaultLocalFlags()
	fs := flag.NewFlagSet("allocator", flag.ContinueOnError)
	cfg.RegisterFlags(fs)
	local.register(fs)
	for _, name := range contractFlags {
		f := fs.Lookup(name)
		if f == nil {
			t.Errorf("flag --%s missing", name)
			continue
		}
		if f.Usage == "" {
			t.Errorf("flag --%s has no help", name)
		}
	}
	defaults := map[string]string{
		"listen": "127.0.0.1:8080", "backend": "local", "namespace": "default", "fleet": "leapfrog-race",
		"port-name": "default", "key-file": "", "guest-ttl": "24h0m0s", "session-ttl": "1m0s", "public-address": "",
		"guest-rate": "5", "guest-burst": "20", "match-rate": "2", "match-burst": "10",
		"max-places-per-ip": "64", "place-hold": "1m0s", "max-conns-per-ip": "256", "max-conns": "4096",
		"kube-api-qps": "200", "kube-api-burst": "400",
		"local-races-per-server": "512", "local-buffer": "2", "local-min": "2", "local-max": "8", "local-host": "127.0.0.1", "local-unhealthy-after": "15s",
		"hop-distance": "0.2", "hop-duration": "4s", "hop-penalty": "100ms", "finish-line": "1", "players": "2",
		"countdown": "3s", "wait-for-players": "1m0s", "reconnect-grace": "10s", "no-show-timeout": "1m0s",
		"tick-rate": "10", "max-payload": "4096",
		"edge-url": "", "local-edge": "false", "tls-self-signed": "false",
		"races-per-server": "1", "replica-id": "", "lease-renew": "5s", "lease-low-water": "0",
		"gc-percent": "400",
		"game":       "race", "script-dir": "", "launch-path": "index.js", "script-args": "", "script-callback-budget": "1s", "script-memory-limit-mib": "256",
	}
	for name, want := range defaults {
		if f := fs.Lookup(name); f != nil && f.DefValue != want {
			t.Errorf("--%s defaults to %q, want %q", name, f.DefValue, want)
		}
	}
}

func TestLocalValidate(t *testing.T) {
	tests := []struct {
		name    string
		backend string
		edit    func(*localFlags)
		ok      bool
	}{
		{"defaults", app.BackendLocal, func(*localFlags) {}, true},
		{"buffer above max matches", app.BackendLocal, func(l *localFlags) { l.Buffer = 8*512 + 1 }, false},
		{"buffer of every match", app.BackendLocal, func(l *localFlags) { l.Buffer = 8 * 512 }, true},
		{"buffer above max, one match a server", app.BackendLocal, func(l *localFlags) { l.MatchesPerServer, l.Buffer = 1, 9 }, false},
		{"one match a server", app.BackendLocal, func(l *localFlags) { l.MatchesPerServer = 1 }, true},
		{"no matches per server", app.BackendLocal, func(l *localFlags) { l.MatchesPerServer = 0 }, false},
		{"matches per server above the most", app.BackendLocal, func(l *localFlags) { l.MatchesPerServer = local.MaxMatchesPerServer + 1 }, false},
		{"min above max", app.BackendLocal, func(l *localFlags) { l.Min, l.Max = 3, 2 }, false},
		{"no host", app.BackendLocal, func(l *localFlags) { l.Host = "" }, false},
		{"bad rules", app.BackendLocal, func(l *localFlags) { l.Game.Rules.HopDuration = 0 }, false},
		{"zero tick rate", app.BackendLocal, func(l *localFlags) { l.Game.TickRate = 0 }, false},
		{"negative unhealthy-after", app.BackendLocal, func(l *localFlags) { l.UnhealthyAfter = -time.Second }, false},
		{"negative buffer", app.BackendLocal, func(l *localFlags) { l.Buffer = -1 }, false},
		{"ignored for agones", app.BackendAgones, func(l *localFlags) { l.Max = 0 }, true},
		{"a script", app.BackendLocal, func(l *localFlags) { l.Script.Game, l.Script.Dir = "script", "testdata/any" }, true},
		{"a script without its folder", app.BackendLocal, func(l *localFlags) { l.Script.Game = "script" }, false},
		{"an unknown game", app.BackendLocal, func(l *localFlags) { l.Script.Game = "chess" }, false},
		{"a script's seats above the match's 8 lanes", app.BackendLocal, func(l *localFlags) {
			l.Script.Game, l.Script.Dir, l.Game.Rules.Seats = "script", "testdata/any", 32
		}, true},
		{"the match's players above its 8 lanes", app.BackendLocal, func(l *localFlags) { l.Game.Rules.Seats = 9 }, false},
		{"a script with no seats", app.BackendLocal, func(l *localFlags) {
			l.Script.Game, l.Script.Dir, l.Game.Rules.Seats = "script", "testdata/any", 0
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := defaultLocalFlags()
			tt.edit(&l)
			if err := l.validate(tt.backend); (err == nil) != tt.ok {
				t.Errorf("validate = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

// TestPlayersSet: --players given on the command line or in the environment
// sets a script's seats; left alone, the script's maxPlayers does.
func TestPlayersSet(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
		env  map[string]string
		want bool
	}{
		{"not given", nil, nil, false},
		{"on the command line", []string{"--players", "4"}, nil, true},
		{"in the environment", nil, map[string]string{"LEAPFROG_PLAYERS": "4"}, true},
		{"another flag", []string{"--countdown", "1s"}, nil, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg, l := app.DefaultConfig(), defaultLocalFlags()
			fs := flag.NewFlagSet("allocator", flag.ContinueOnError)
			cfg.RegisterFlags(fs)
			l.register(fs)
			lookup := func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok }
			if err := envflag.Parse(fs, "LEAPFROG", tt.args, lookup); err != nil {
				t.Fatal(err)
			}
			l.parsed(fs)
			if l.PlayersSet != tt.want {
				t.Errorf("PlayersSet = %v, want %v", l.PlayersSet, tt.want)
			}
		})
	}
}
