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
	// MaxLoginPayload caps the login payload a client sends with its Hello
	// (GameLift Realtime's connection token payload) in bytes; 0 means 4096,
	// GameLift's reliable message cap. A larger one is refused with
	// CODE_OVERSIZED_FRAME (close 1009).
	MaxLoginPayload int
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
	// NoShowTimeout frees a reserved place whose player never connected; 0 means DefaultNoShowTimeout.
	NoShowTimeout time.Duration
	// EmptyTimeout ends a session that has had no connected player for this
	// long; 0 means 60 s.
	EmptyTimeout time.Duration
	// InputRate is how many frames per second a connection may send of each
	// kind (each game op code, ping, join group, leave group, membership
	// request); 0 means 20. InputBurst is how many it may send at once; 0
	// means 2*InputRate. Beyond that the connection is closed with
	// CODE_RATE_LIMITED (4012). All kinds together get three times the budget.
	InputRate  float64
	InputBurst int
	// MaxGroupsPerPlayer bounds the groups one player is in; 0 means 8.
	MaxGroupsPerPlayer int
	// MaxConnections bounds the server's open connections (WebSocket or
	// plain HTTP); 0 means 64. MaxConnectionsPerIP bounds those from one
	// client address; 0 means 16. MaxHandshakes bounds connections between
	// upgrade and Welcome; 0 means 16. When they are all taken, an address
	// holding less than an eighth of them takes the slot of a connection
	// that has sent nothing (see handshakePool).
	MaxConnections      int
	MaxConnectionsPerIP int
	MaxHandshakes       int
	// Relays checks the credential of a trusted relay (the edge), which
	// names the player's address: the caps above then count that address,
	// not the relay's. nil trusts no relay.
	Relays RelayVerifier
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
	if cfg.MaxLoginPayload == 0 {
		cfg.MaxLoginPayload = 4096
	}
	if cfg.SendQueue == 0 {
		cfg.SendQueue = 64
	}
	if cfg.InputRate == 0 {
		cfg.InputRate = 20
	}
	if cfg.InputBurst == 0 {
		cfg.InputBurst = int(2 * cfg.InputRate)
	}
	if cfg.MaxGroupsPerPlayer == 0 {
		cfg.MaxGroupsPerPlayer = 8
	}
	if cfg.MaxConnections == 0 {
		cfg.MaxConnections = 64
	}
	if cfg.MaxConnectionsPerIP == 0 {
		cfg.MaxConnectionsPerIP = 16
	}
	if cfg.MaxHandshakes == 0 {
		cfg.MaxHandshakes = 16
	}
	// Negative values are refused below before defaults could hide them.
	errs := c.negatives()
	def(&cfg.HandshakeTimeout, 5*time.Second)
	def(&cfg.PongWait, 30*time.Second)
	def(&cfg.WriteTimeout, 5*time.Second)
	def(&cfg.NoShowTimeout, DefaultNoShowTimeout)
	def(&cfg.EmptyTimeout, 60*time.Second)
	cfg.PingPeriod = cfg.PongWait * 9 / 10
	if cfg.Clock == nil {
		cfg.Clock = WallClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.GameServer == "" {
		errs = append(errs, errors.New("game server name is required"))
	}
	if cfg.MaxPlayers < 1 || cfg.TickRate < 1 || cfg.TickRate > 1000 {
		errs = append(errs, fmt.Errorf("max players %d and tick rate %d must be positive (tick rate at most 1000)", cfg.MaxPlayers, cfg.TickRate))
	}
	if cfg.MaxPayload < 1 || cfg.MaxPayload > 1<<20 {
		errs = append(errs, fmt.Errorf("max payload %d must be between 1 and 1 MiB", cfg.MaxPayload))
	}
	if cfg.MaxLoginPayload > 64<<10 {
		errs = append(errs, fmt.Errorf("max login payload %d must be at most 64 KiB", cfg.MaxLoginPayload))
	}
	if cfg.InputBurst < 1 {
		errs = append(errs, fmt.Errorf("input burst %d must be at least 1", cfg.InputBurst))
	}
	return cfg, errors.Join(errs...)
}

// negatives lists the durations and sizes that are below zero: zero means
// "the default", below zero means nothing and would panic a ticker.
func (c *Config) negatives() []error {
	var errs []error
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"handshake timeout", c.HandshakeTimeout}, {"pong wait", c.PongWait}, {"write timeout", c.WriteTimeout},
		{"no-show timeout", c.NoShowTimeout}, {"empty timeout", c.EmptyTimeout},
	} {
		if d.v < 0 {
			errs = append(errs, fmt.Errorf("%s %v must not be negative", d.name, d.v))
		}
	}
	for _, n := range []struct {
		name string
		v    int
	}{
		{"max players", c.MaxPlayers}, {"tick rate", c.TickRate}, {"max payload", c.MaxPayload}, {"max login payload", c.MaxLoginPayload}, {"send queue", c.SendQueue},
		{"input burst", c.InputBurst}, {"max groups per player", c.MaxGroupsPerPlayer}, {"max connections", c.MaxConnections},
		{"max connections per IP", c.MaxConnectionsPerIP}, {"max handshakes", c.MaxHandshakes},
	} {
		if n.v < 0 {
			errs = append(errs, fmt.Errorf("%s %d must not be negative", n.name, n.v))
		}
	}
	if c.InputRate < 0 || c.InputRate != c.InputRate {
		errs = append(errs, fmt.Errorf("input rate %v must not be negative", c.InputRate))
	}
	return errs
}

// RelayVerifier checks a relay credential (token.RelayHeader) for a game
// server and returns the client address it vouches for.
type RelayVerifier interface {
	VerifyRelay(credential, gameServer string) (string, error)
}

// Clock tells the time. Tests inject a fake one so tick logic never sleeps.
type Clock interface {
	Now() time.Time
}

// DefaultNoShowTimeout is Config.NoShowTimeout's default: GameLift
// Realtime's 60 s for a player session to connect.
const DefaultNoShowTimeout = 60 * time.Second

// WallClock is the real clock.
type WallClock struct{}

// Now returns time.Now().
func (WallClock) Now() time.Time { return time.Now() }
