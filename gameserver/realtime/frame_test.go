package realtime

import (
	"errors"
	"testing"

	"google.golang.org/protobuf/proto"

	realtimev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/realtime/v1"
)

func encodeClient(f *realtimev1.ClientFrame) []byte {
	b, err := proto.Marshal(f)
	if err != nil {
		panic(err)
	}
	return b
}

func TestDecodeClientFrame(t *testing.T) {
	hop := encodeClient(&realtimev1.ClientFrame{Payload: &realtimev1.ClientFrame_Message{Message: &realtimev1.GameMessage{OpCode: 201}}})
	big := encodeClient(&realtimev1.ClientFrame{Payload: &realtimev1.ClientFrame_Message{Message: &realtimev1.GameMessage{OpCode: 1, Payload: make([]byte, 101)}}})
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"hop", hop, nil},
		{"empty", nil, errMalformed},
		{"garbage", []byte{0x0a, 0xff}, errMalformed},
		{"payload over the cap", big, errOversized},
		{"frame over the cap", make([]byte, 100+frameOverhead+1), errOversized},
		{"unknown field only", []byte{0xf8, 0x3f, 0x01}, errMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeClientFrame(tt.in, 100)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func FuzzDecodeClientFrame(f *testing.F) {
	f.Add(encodeClient(&realtimev1.ClientFrame{Payload: &realtimev1.ClientFrame_Hello{Hello: &realtimev1.Hello{PlayerSessionToken: "a.b.c"}}}))
	f.Add(encodeClient(&realtimev1.ClientFrame{Payload: &realtimev1.ClientFrame_Message{Message: &realtimev1.GameMessage{OpCode: 201, TargetGroup: 3, Payload: []byte("x")}}}))
	f.Add(encodeClient(&realtimev1.ClientFrame{Payload: &realtimev1.ClientFrame_Ping{Ping: &realtimev1.Ping{ClientTimeMs: 1}}}))
	f.Add([]byte{0xff, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, err := DecodeClientFrame(b, 64)
		if err != nil {
			if !errors.Is(err, errMalformed) && !errors.Is(err, errOversized) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if fr.Payload == nil {
			t.Fatal("accepted a frame with no payload")
		}
		if m := fr.GetMessage(); m != nil && len(m.Payload) > 64 {
			t.Fatal("accepted a payload over the cap")
		}
	})
}

func BenchmarkDecodeHop(b *testing.B) {
	in := encodeClient(&realtimev1.ClientFrame{Payload: &realtimev1.ClientFrame_Message{Message: &realtimev1.GameMessage{OpCode: 201}}})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeClientFrame(in, 4096); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeGameFrame(b *testing.B) {
	payload := make([]byte, 60) // about a FrogMoved
	b.ReportAllocs()
	for b.Loop() {
		_ = EncodeServerFrame(&realtimev1.ServerFrame{Payload: &realtimev1.ServerFrame_Message{Message: &realtimev1.GameMessage{OpCode: 102, Sender: -1, Payload: payload, ServerTimeMs: 1}}})
	}
}
