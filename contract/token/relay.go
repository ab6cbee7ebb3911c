package token

import (
	"fmt"
	"net/netip"
	"time"
)

// RelayHeader carries a relay credential: the edge's word, signed with the
// token keys, for the client address of the connection it dials on a
// player's behalf. X-Forwarded-For says the same, but anyone can write it.
const RelayHeader = "X-Leapfrog-Relay"

// RelayTTL is how long a relay credential is good for: it is minted for one
// dial, so it only needs to outlive the dial and the clocks' skew.
const RelayTTL = 30 * time.Second

const audienceRelay = "leapfrog/edge-relay"

// MintRelay signs a relay credential: the edge vouches that the connection
// it dials to gameServer is clientAddr's (an IP address).
func (is *Issuer) MintRelay(clientAddr, gameServer string) (string, error) {
	addr, err := netip.ParseAddr(clientAddr)
	if err != nil || gameServer == "" {
		return "", fmt.Errorf("mint relay credential: want an IP address and a game server, got %q and %q", clientAddr, gameServer)
	}
	now := is.now()
	return is.sign(&claims{GameServer: gameServer, Issuer: issuer, Subject: addr.Unmap().String(), Audience: audience{audienceRelay},
		IssuedAt: newNumericDate(now), ExpiresAt: newNumericDate(now.Add(RelayTTL))})
}

// VerifyRelay checks a relay credential for gameServer and returns the
// client address it vouches for. Its errors wrap ErrInvalid, ErrExpired or
// ErrWrongServer.
func (is *Issuer) VerifyRelay(raw, gameServer string) (string, error) {
	c, err := is.verify(raw, audienceRelay)
	if err != nil {
		return "", err
	}
	addr, err := netip.ParseAddr(c.Subject)
	if err != nil {
		return "", fmt.Errorf("%w: the relayed client address %q is not an IP address", ErrInvalid, c.Subject)
	}
	if c.GameServer != gameServer {
		return "", fmt.Errorf("%w: relay credential for %q, this is %q", ErrWrongServer, c.GameServer, gameServer)
	}
	return addr.Unmap().String(), nil
}
