package agoneswire

// GameServerState is a GameServer's state in the Agones lifecycle.
type GameServerState string

// The GameServer states Leapfrog reads or waits for.
const (
	StateScheduled    GameServerState = "Scheduled"
	StateRequestReady GameServerState = "RequestReady"
	StateReady        GameServerState = "Ready"
	StateAllocated    GameServerState = "Allocated"
	StateReserved     GameServerState = "Reserved"
	StateShutdown     GameServerState = "Shutdown"
	StateUnhealthy    GameServerState = "Unhealthy"
)

// Labels and annotations Agones writes.
const (
	// FleetLabel names a GameServer's Fleet.
	FleetLabel = "agones.dev/fleet"
	// GameServerSetLabel names the GameServerSet that made a GameServer: one
	// GameServerSet per version of the Fleet's template, the newest being
	// the one a rollout rolls to.
	GameServerSetLabel = "agones.dev/gameserverset"
	// LastAllocatedAnnotation holds the time of the last move to Allocated.
	LastAllocatedAnnotation = "agones.dev/last-allocated"
	// MetadataPrefix is put before the keys a game server gives the SDK's
	// SetLabel and SetAnnotation.
	MetadataPrefix = "agones.dev/sdk-"
)

// Lists of a Leapfrog GameServer (the Fleet declares them).
const (
	// PlayersList holds the ids of the players a game server expects, one
	// per reserved slot.
	PlayersList = "players"
	// MatchesList holds the ids of the matches a high-density game server
	// runs; the Fleet sets its capacity to the matches per server. Its wire
	// name is "matches", from before the framework ran other games: Fleets
	// and allocators of every version use it, so it stays.
	MatchesList = "races"
)

// A game server whose match is over (or that is draining) sets the SDK
// label ClosedLabelKey to ClosedValue before it asks to shut down or to be
// Ready again, and back to "false" once it takes players again; the sidecar
// stores it as ClosedLabel. Allocators exclude servers that carry it, so the
// window between the end of a match and Shutdown (or a recycle) places
// nobody on a finished match. The key's wire name predates other games.
const (
	ClosedLabelKey = "race-closed"
	ClosedLabel    = MetadataPrefix + ClosedLabelKey
	ClosedValue    = "true"
)

// The lease of a high-density game server (docs/high-density.md).
const (
	// LesseeLabel names the allocator replica that leases the server; the
	// lease allocation sets it.
	LesseeLabel = "leapfrog.dev/lessee"
	// LeaseRenewedAnnotation is set at lease and then changed at every
	// renewal: each change tells the server its lessee is alive.
	LeaseRenewedAnnotation = "leapfrog.dev/lease-renewed"
	// LobbiesKey is the key a game server gives SetAnnotation for its
	// lobbies (EncodeLobbies); LobbiesAnnotation is the annotation on the
	// GameServer.
	LobbiesKey        = "lobbies"
	LobbiesAnnotation = MetadataPrefix + LobbiesKey
)

// IsGamePort reports whether a GameServer port called name is the port the
// Fleet spec calls portName. Agones splits a port of protocol TCPUDP into
// two of one number, "<portName>-tcp" and "<portName>-udp"; either gives
// the number, and the TCP one is where players' WebSockets go (the game
// server's UDP fast channel listens on the same number).
func IsGamePort(name, portName string) bool {
	return name == portName || name == portName+"-tcp"
}
