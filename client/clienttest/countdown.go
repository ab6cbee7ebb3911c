package clienttest

import (
	"context"
	"time"

	"github.com/leapfrog-games/leapfrog/client"
)

// Countdown connects to wsURL with a player session token, says the scene
// is ready once welcomed, and reports whether the race counted down before
// deadline: false when the server refused the player or closed first.
func Countdown(ctx context.Context, wsURL, token string, deadline time.Time) bool {
	c, err := client.Dial(ctx, wsURL, token, client.DialOptions{})
	if err != nil {
		return false
	}
	defer c.Close()
	timeout := time.After(time.Until(deadline))
	for {
		select {
		case ev := <-c.Events():
			switch ev.(type) {
			case client.Welcome:
				if c.SendSceneReady() != nil {
					return false
				}
			case client.Countdown:
				return true
			case client.Closed:
				return false
			}
		case <-timeout:
			return false
		case <-ctx.Done():
			return false
		}
	}
}
