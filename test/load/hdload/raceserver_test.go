package hdload

import (
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	racev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/race/v1"
	realtimev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/realtime/v1"
	"github.com/leapfrog-games/leapfrog/gameserver/race"
)

func serverMessage(op int32, payload proto.Message) []byte {
	return mustMarshal(&realtimev1.ServerFrame{Payload: &realtimev1.ServerFrame_Message{Message: &realtimev1.GameMessage{
		OpCode: op, Sender: -1, Payload: mustMarshal(payload),
	}}})
}

func TestRaceServerFrames(t *testing.T) {
	start := time.UnixMilli(1_800_000_000_123)
	moved := func(cause racev1.FrogMoved_Cause) []byte {
		return serverMessage(race.OpFrogMoved, &racev1.FrogMoved{Frog: &racev1.Frog{Lane: 1, Hops: 7}, Cause: cause})
	}
	for _, tc := range []struct {
		name  string
		frame []byte
		want  Event
	}{
		{"welcome", mustMarshal(&realtimev1.ServerFrame{Payload: &realtimev1.ServerFrame_Welcome{Welcome: &realtimev1.Welcome{PeerId: 1}}}), Event{}},
		{"assign", serverMessage(race.OpAssignPlayer, &racev1.AssignPlayer{Lane: 1}), Event{Kind: EventJoined, Lane: 1}},
		{"countdown", serverMessage(race.OpCountdown, &racev1.Countdown{StartAtMs: start.UnixMilli()}), Event{Kind: EventStart, At: start}},
		{"hop", moved(racev1.FrogMoved_CAUSE_HOP), Event{Kind: EventHop, Lane: 1, Seq: 7}},
		{"landed", moved(racev1.FrogMoved_CAUSE_LANDED), Event{}},
		{"snapshot", serverMessage(race.OpRaceSnapshot, &racev1.RaceSnapshot{}), Event{}},
		{"result", serverMessage(race.OpRaceResult, &racev1.RaceResult{WinnerLane: 0}), Event{Kind: EventOver}},
		{"ended", mustMarshal(&realtimev1.ServerFrame{Payload: &realtimev1.ServerFrame_Error{Error: &realtimev1.Error{Code: realtimev1.Error_CODE_SESSION_ENDED}}}), Event{Kind: EventOver}},
		{"full", mustMarshal(&realtimev1.ServerFrame{Payload: &realtimev1.ServerFrame_Error{Error: &realtimev1.Error{Code: realtimev1.Error_CODE_SESSION_FULL}}}), Event{Kind: EventRefused, Text: "SESSION_FULL"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := (&RaceServerTarget{}).Parse(tc.frame)
			if err != nil || got.Kind != tc.want.Kind || got.Lane != tc.want.Lane || got.Seq != tc.want.Seq || !got.At.Equal(tc.want.At) || got.Text != tc.want.Text {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
	if _, err := (&RaceServerTarget{}).Parse([]byte{0xff, 0xff}); err == nil {
		t.Error("garbage parsed")
	}
	if _, err := (&RaceServerTarget{}).Parse(serverMessage(race.OpFrogMoved, &realtimev1.Hello{PlayerSessionToken: "x"})[:5]); err == nil {
		t.Error("a cut frame parsed")
	}
}

func TestServerGameRules(t *testing.T) {
	for hops, want := range map[int]string{20: "--hop-distance=0.05", 0: "--hop-distance=1e-06"} {
		args := serverGameRules(hops, 3*time.Second)
		found := false
		for _, a := range args {
			found = found || a == want
		}
		if !found {
			t.Errorf("%d hops per race: %q has no %s", hops, args, want)
		}
	}
}
