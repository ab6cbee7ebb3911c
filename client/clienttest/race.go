package clienttest

import (
	"errors"
	"fmt"
	"time"

	"github.com/leapfrog-games/leapfrog/client"
	racev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/race/v1"
)

// HopToTheEnd plays player me's frog on c until the result: scene ready
// (unless ready was sent already), the first hop just after the start, then
// a hop on every landing. It gives up after timeout.
func HopToTheEnd(c *client.Conn, me string, sendReady bool, timeout time.Duration) (*racev1.RaceResult, error) {
	if sendReady {
		if err := c.SendSceneReady(); err != nil {
			return nil, err
		}
	}
	var start <-chan time.Time
	deadline := time.After(timeout)
	for {
		select {
		case <-deadline:
			return nil, fmt.Errorf("%s: no result within %s", me, timeout)
		case <-start:
			start = nil
			if err := c.SendHop(); err != nil {
				return nil, err
			}
		case ev, ok := <-c.Events():
			if !ok {
				return nil, errors.New("events closed")
			}
			switch e := ev.(type) {
			case client.Countdown:
				start = time.After(time.Until(c.LocalTime(e.StartAtMs)) + 10*time.Millisecond)
			case client.FrogMoved:
				if e.Frog.PlayerId == me && e.Cause == racev1.FrogMoved_CAUSE_LANDED && e.Frog.FinishedAtMs == 0 {
					if err := c.SendHop(); err != nil {
						return nil, err
					}
				}
			case client.RaceResult:
				return e.RaceResult, nil
			case client.Closed:
				return nil, fmt.Errorf("%s: closed (%d %s) before the result", me, e.Code, e.Text)
			}
		}
	}
}
