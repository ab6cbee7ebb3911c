package api

import (
	"net"

	"github.com/leapfrog-games/leapfrog/allocator/backend"
)

// gameliftPlayerSession is what GameLift's CreatePlayerSession gave a
// Realtime client, under the names its client code reads, so that code
// written for GameLift maps one to one (docs/migrating-from-gamelift.md).
// The port is the response's own "port"; a GameLift Realtime client
// connects to ws://<ipAddress or dnsName>:<port>/websocket.
type gameliftPlayerSession struct {
	// IPAddress is the game server's address when it is an IP address.
	IPAddress string `json:"ipAddress,omitempty"`
	// DNSName is the game server's address when it is a host name.
	DNSName string `json:"dnsName,omitempty"`
	// PlayerSessionID is the player session token: the client logs in with it.
	PlayerSessionID string `json:"playerSessionId"`
	// GameSessionID names the game session as the race server does (its
	// Welcome.session_id and a script's getGameSessionId()): the race on a
	// server of many races (race ids are unique), else the game server's
	// name (one game session per allocation).
	GameSessionID string `json:"gameSessionId"`
}

func newGameliftPlayerSession(a backend.Assignment, playerSessionToken string) gameliftPlayerSession {
	ps := gameliftPlayerSession{PlayerSessionID: playerSessionToken, GameSessionID: a.GameServer}
	if a.Race != "" {
		ps.GameSessionID = a.Race
	}
	if net.ParseIP(a.Address) != nil {
		ps.IPAddress = a.Address
	} else {
		ps.DNSName = a.Address
	}
	return ps
}
