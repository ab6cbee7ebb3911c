package api

import (
	"net"

	"github.com/leapfrog-games/leapfrog/contract/matchapi"
	"github.com/leapfrog-games/leapfrog/internal/allocator/backend"
)

// newGameliftPlayerSession is the match's GameLift-shaped part.
func newGameliftPlayerSession(a backend.Assignment, playerSessionToken string) matchapi.GameLiftPlayerSession {
	ps := matchapi.GameLiftPlayerSession{PlayerSessionID: playerSessionToken, GameSessionID: a.GameServer}
	if a.Match != "" {
		ps.GameSessionID = a.Match
	}
	if net.ParseIP(a.Address) != nil {
		ps.IPAddress = a.Address
	} else {
		ps.DNSName = a.Address
	}
	return ps
}
