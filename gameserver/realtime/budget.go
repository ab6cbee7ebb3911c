package realtime

import (
	"fmt"
	"time"

	realtimev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/realtime/v1"
)

// inputBudget is one connection's allowance of client frames: a token bucket
// per kind of frame (each game op code, ping, join group, leave group,
// membership request) and one for all of them together. It is owned by the
// connection's reader, so a flood is refused before it reaches the session
// loop or makes the loop send anything to other players.
type inputBudget struct {
	rate, burst float64
	total       bucket
	kinds       map[int64]*bucket
}

// maxBudgetKinds bounds the buckets one connection can make the server keep:
// op codes beyond it share one bucket.
const maxBudgetKinds = 32

// Keys of the framework's own frame kinds, outside the int32 op code range.
const (
	budgetPing int64 = 1<<32 + iota
	budgetJoinGroup
	budgetLeaveGroup
	budgetMembership
	budgetOther
	budgetOtherOpCodes
)

type bucket struct {
	tokens float64
	last   time.Time
}

func newInputBudget(rate float64, burst int) *inputBudget {
	return &inputBudget{
		rate: rate, burst: float64(burst),
		total: bucket{tokens: 3 * float64(burst)},
		kinds: make(map[int64]*bucket),
	}
}

// errRateLimited is the reader's reason to close a connection that sent too fast.
type errRateLimited struct{ what string }

func (e *errRateLimited) Error() string { return e.what }

// allow takes one token for f's kind and one from the total at now, or
// returns an *errRateLimited naming what was exceeded.
func (b *inputBudget) allow(f *realtimev1.ClientFrame, now time.Time) error {
	key := budgetKey(f)
	k := b.kinds[key]
	if k == nil {
		if len(b.kinds) >= maxBudgetKinds && key < budgetPing {
			key = budgetOtherOpCodes
			k = b.kinds[key]
		}
		if k == nil {
			k = &bucket{tokens: b.burst, last: now}
			b.kinds[key] = k
		}
	}
	if !k.take(now, b.rate, b.burst) {
		return &errRateLimited{fmt.Sprintf("%s: more than %g per second (burst %g)", budgetName(key), b.rate, b.burst)}
	}
	if !b.total.take(now, 3*b.rate, 3*b.burst) {
		return &errRateLimited{fmt.Sprintf("frames: more than %g per second (burst %g)", 3*b.rate, 3*b.burst)}
	}
	return nil
}

func (k *bucket) take(now time.Time, rate, burst float64) bool {
	if k.last.IsZero() {
		k.last = now
	}
	if dt := now.Sub(k.last); dt > 0 {
		k.tokens = min(burst, k.tokens+dt.Seconds()*rate)
		k.last = now
	}
	if k.tokens < 1 {
		return false
	}
	k.tokens--
	return true
}

func budgetKey(f *realtimev1.ClientFrame) int64 {
	switch pl := f.Payload.(type) {
	case *realtimev1.ClientFrame_Message:
		return int64(pl.Message.OpCode)
	case *realtimev1.ClientFrame_Ping:
		return budgetPing
	case *realtimev1.ClientFrame_JoinGroup:
		return budgetJoinGroup
	case *realtimev1.ClientFrame_LeaveGroup:
		return budgetLeaveGroup
	case *realtimev1.ClientFrame_GroupMembershipRequest:
		return budgetMembership
	default:
		return budgetOther
	}
}

func budgetName(key int64) string {
	switch key {
	case budgetPing:
		return "pings"
	case budgetJoinGroup:
		return "join group requests"
	case budgetLeaveGroup:
		return "leave group requests"
	case budgetMembership:
		return "group membership requests"
	case budgetOtherOpCodes:
		return "game messages with other op codes"
	case budgetOther:
		return "frames"
	default:
		return fmt.Sprintf("game messages with op code %d", key)
	}
}
