package host

import (
	"context"
	"errors"
	"log/slog"
	"sync"

	"github.com/leapfrog-games/leapfrog/contract/agoneswire"
	"github.com/leapfrog-games/leapfrog/gameserver/agonessdk"
)

// matchList keeps the GameServer's matches list: the game server adds a match
// id when the match starts and removes it when it ends. Matches record what
// they want under a lock and never wait for the sidecar; one worker applies
// the changes in order. It never removes an id it did not add.
type matchList struct {
	sdk agonessdk.SDK
	log *slog.Logger

	mu   sync.Mutex
	ops  []listOp
	wake chan struct{}
	// added is the worker's: the ids this server added and not yet removed.
	added map[string]bool
}

type listOp struct {
	match string
	add   bool
}

func newMatchList(sdk agonessdk.SDK, log *slog.Logger) *matchList {
	return &matchList{sdk: sdk, log: log, wake: make(chan struct{}, 1), added: make(map[string]bool)}
}

func (l *matchList) add(match string)    { l.push(listOp{match: match, add: true}) }
func (l *matchList) remove(match string) { l.push(listOp{match: match}) }

func (l *matchList) push(op listOp) {
	l.mu.Lock()
	l.ops = append(l.ops, op)
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// run applies the changes until ctx is done.
func (l *matchList) run(ctx context.Context) {
	var batch []listOp
	for {
		select {
		case <-ctx.Done():
			return
		case <-l.wake:
		}
		l.mu.Lock()
		batch, l.ops = l.ops, batch[:0]
		l.mu.Unlock()
		for _, op := range batch {
			l.apply(ctx, op)
		}
		clear(batch)
	}
}

func (l *matchList) apply(ctx context.Context, op listOp) {
	if op.add {
		err := l.sdk.AddListValue(ctx, agoneswire.MatchesList, op.match)
		switch {
		case err == nil, errors.Is(err, agonessdk.ErrAlreadyExists):
			l.added[op.match] = true
		case ctx.Err() != nil:
		case errors.Is(err, agonessdk.ErrNoCapacity):
			l.log.Error("matches list full: its capacity must be the matches per server", "match", op.match, "err", err)
		default:
			l.log.Error("add match to the matches list", "match", op.match, "err", err)
		}
		return
	}
	if !l.added[op.match] {
		return
	}
	delete(l.added, op.match)
	err := l.sdk.RemoveListValue(ctx, agoneswire.MatchesList, op.match)
	if err != nil && !errors.Is(err, agonessdk.ErrNotFound) && ctx.Err() == nil {
		l.log.Error("remove match from the matches list", "match", op.match, "err", err)
	}
}
