package realtime

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Config tunes a session and its connections. Zero values take the defaults
// below (those of GameLift Realtime where it has one).
type Config struct {
	// GameServer is this server's name; player session tokens must name it.
	GameServer string
	// MaxPlayers is how many distinct players may join; 0 means 2.
	MaxPlayers int
	// TickRate is ticks per second; 0 means 10.
	TickRate int
	// MaxPayload caps a GameMessage payload in bytes; 0 means 4096.
	MaxPayload int
	// HandshakeTimeout is how long a new connection has to send Hello; 0 means 5 s.
	HandshakeTimeout time.Duration
	// PongWait is how long a silent connection lives; 0 means 30 s. Pings go
	// out every PongWait*9/10.
	PongWait time.Duration
	// PingPeriod is derived from PongWait.
	PingPeriod time.Duration
	// WriteTimeout bounds one write; 0 means 5 s.
	WriteTimeout time.Duration
	// SendQueue is each connection's outbound queue length; 0 means 64.
	SendQueue int
	// NoShowTimeout frees a reserved place whose player never connected; 0 means 60 s.
	NoShowTimeout time.Duration
	// EmptyTimeout ends a session that has had no connected player for this
	// long; 0 means 60 s.
	EmptyTimeout time.Duration
	// Relay lets clients address game messages to other peers and groups.
	// Off by default: every message goes to the game only.
	Relay bool
	// Clock is the time source; nil means the wall clock.
	Clock Clock
	// Logger receives the session's logs; nil means slog.Default().
	Logger *slog.Logger
	// Metrics records the session's metrics; nil records nothing.
	Metrics *Metrics
}

func (c *Config) withDefaults() (Config, error) {
	cfg := *c
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	if cfg.MaxPlayers == 0 {
		cfg.MaxPlayers = 2
	}
	if cfg.TickRate == 0 {
		cfg.TickRate = 10
	}
	if cfg.MaxPayload == 0 {
		cfg.MaxPayload = 4096
	}
	if cfg.SendQueue == 0 {
		cfg.SendQueue = 64
	}
	def(&cfg.HandshakeTimeout, 5*time.Second)
	def(&cfg.PongWait, 30*time.Second)
	def(&cfg.WriteTimeout, 5*time.Second)
	def(&cfg.NoShowTimeout, 60*time.Second)
	def(&cfg.EmptyTimeout, 60*time.Second)
	cfg.PingPeriod = cfg.PongWait * 9 / 10
	if cfg.Clock == nil {
		cfg.Clock = WallClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	var errs []error
	if cfg.GameServer == "" {
		errs = append(errs, errors.New("game server name is required"))
	}
	if cfg.MaxPlayers < 1 || cfg.TickRate < 1 || cfg.TickRate > 1000 {
		errs = append(errs, fmt.Errorf("max players %d and tick rate %d must be positive (tick rate at most 1000)", cfg.MaxPlayers, cfg.TickRate))
	}
	if cfg.MaxPayload < 1 || cfg.MaxPayload > 1<<20 {
		errs = append(errs, fmt.Errorf("max payload %d must be between 1 and 1 MiB", cfg.MaxPayload))
	}
	return cfg, errors.Join(errs...)
}

// Clock tells the time. Tests inject a fake one so tick logic never sleeps.
type Clock interface {
	Now() time.Time
}

// WallClock is the real clock.
type WallClock struct{}

// Now returns time.Now().
func (WallClock) Now() time.Time { return time.Now() }
