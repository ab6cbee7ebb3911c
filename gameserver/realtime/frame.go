package realtime

import (
	"errors"
	"fmt"
	"strings"

	"google.golang.org/protobuf/proto"

	realtimev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/realtime/v1"
)

// frameOverhead is room for the envelope around a maximal payload.
const frameOverhead = 256

var (
	errMalformed = errors.New("malformed frame")
	errOversized = errors.New("oversized frame")
)

// DecodeClientFrame parses one client frame, enforcing the payload cap. Errors
// wrap errMalformed or errOversized.
func DecodeClientFrame(b []byte, maxPayload int) (*realtimev1.ClientFrame, error) {
	if len(b) > maxPayload+frameOverhead {
		return nil, fmt.Errorf("%w: %d bytes", errOversized, len(b))
	}
	f := &realtimev1.ClientFrame{}
	if err := (proto.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(b, f); err != nil {
		return nil, fmt.Errorf("%w: %v", errMalformed, err)
	}
	if f.Payload == nil {
		return nil, fmt.Errorf("%w: no payload", errMalformed)
	}
	if m := f.GetMessage(); m != nil && len(m.Payload) > maxPayload {
		return nil, fmt.Errorf("%w: payload of %d bytes, the limit is %d", errOversized, len(m.Payload), maxPayload)
	}
	return f, nil
}

// EncodeServerFrame marshals a server frame.
func EncodeServerFrame(f *realtimev1.ServerFrame) []byte {
	b, err := proto.Marshal(f)
	if err != nil {
		// Marshal fails only on invalid UTF-8 in strings we built ourselves.
		panic(fmt.Sprintf("marshal server frame: %v", err))
	}
	return b
}

func errorFrame(code realtimev1.Error_Code, msg string, opCode int32) []byte {
	return EncodeServerFrame(&realtimev1.ServerFrame{Payload: &realtimev1.ServerFrame_Error{
		Error: &realtimev1.Error{Code: code, Message: strings.ToValidUTF8(msg, "?"), OpCode: opCode},
	}})
}
