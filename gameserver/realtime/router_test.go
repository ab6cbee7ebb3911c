package realtime_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	realtimev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/realtime/v1"
	"github.com/leapfrog-games/leapfrog/contract/token"
	"github.com/leapfrog-games/leapfrog/gameserver/realtime"
)

// playerRouter sends each player to the session named by its player id's
// prefix (before "-"), or refuses it with the error of that name.
type playerRouter map[string]*realtime.Session

var routerErrors = map[string]error{
	"full":   fmt.Errorf("%w (2 matches)", realtime.ErrServerFull),
	"closed": fmt.Errorf("%w: it is draining", realtime.ErrNoNewMatch),
	"claim":  fmt.Errorf("%w: the token names none", realtime.ErrMatchClaim),
}

func (r playerRouter) Route(_ context.Context, id realtime.Identity) (*realtime.Session, error) {
	name, _, _ := strings.Cut(id.PlayerID, "-")
	if err := routerErrors[name]; err != nil {
		return nil, err
	}
	return r[name], nil
}

func TestRouterSendsPlayersToTheirSessions(t *testing.T) {
	keys, err := token.GenerateKeyset("test")
	if err != nil {
		t.Fatal(err)
	}
	cfg := realtime.Config{GameServer: "gs-1", Logger: slog.New(slog.DiscardHandler)}
	issuer := token.NewIssuer(keys, nil)
	srv, err := realtime.NewServer(cfg, tokenAuth{issuer, "gs-1"})
	if err != nil {
		t.Fatal(err)
	}
	router := playerRouter{}
	ctx, cancel := context.WithCancel(context.Background())
	for _, id := range []string{"a", "b"} {
		s, err := realtime.NewSession(id, cfg, echoGame{})
		if err != nil {
			t.Fatal(err)
		}
		router[id] = s
		go s.Run(ctx)
	}
	srv.SetRouter(router)
	hs := httptest.NewServer(srv)
	t.Cleanup(func() {
		cancel()
		for _, s := range router {
			<-s.Done()
		}
		hs.Close()
	})
	r := &rig{url: "ws" + strings.TrimPrefix(hs.URL, "http"), keys: keys, issuer: issuer, srv: srv}

	welcome := func(player string) *realtimev1.Welcome {
		c := r.dial(t)
		c.send(&realtimev1.ClientFrame{Payload: &realtimev1.ClientFrame_Hello{Hello: &realtimev1.Hello{PlayerSessionToken: r.token(t, player)}}})
		return c.next().GetWelcome()
	}
	for _, tt := range []struct{ player, session string }{{"a-1", "a"}, {"b-1", "b"}, {"a-2", "a"}} {
		if w := welcome(tt.player); w.GetSessionId() != tt.session {
			t.Errorf("%s welcomed into %q, want %q", tt.player, w.GetSessionId(), tt.session)
		}
	}
	for _, tt := range []struct {
		player string
		code   realtimev1.Error_Code
		close  int
		text   string
	}{
		{"full-1", realtimev1.Error_CODE_SESSION_FULL, 4004, "server full: this game server already runs all the matches it may (2 matches): ask the allocator for a new match"},
		{"closed-1", realtimev1.Error_CODE_REJECTED, 4009, "closed: this game server takes no new match: it is draining: ask the allocator for a new match"},
		{"claim-1", realtimev1.Error_CODE_REJECTED, 4009, "the player session token's match does not fit this game server: the token names none"},
	} {
		c := r.dial(t)
		c.send(&realtimev1.ClientFrame{Payload: &realtimev1.ClientFrame_Hello{Hello: &realtimev1.Hello{PlayerSessionToken: r.token(t, tt.player)}}})
		e, code := c.expectClose()
		if e.GetCode() != tt.code || code != tt.close || e.GetMessage() != tt.text {
			t.Errorf("%s: %v (close %d), want %v (close %d) %q", tt.player, e, code, tt.code, tt.close, tt.text)
		}
	}
}
