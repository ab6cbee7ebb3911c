package realtime

import (
	"net/http"

	realtimev1 "github.com/leapfrog-games/leapfrog/contract/proto/leapfrog/realtime/v1"
)

// Codec lets a connection speak another wire format (GameLift Realtime's,
// for one) while its player joins the same sessions as everyone else: it
// turns what the client sends into ClientFrames, and the ServerFrames the
// session sends into what the client reads. A codec serves one connection;
// DecodeClient runs on its reader, EncodeServer on its writer.
type Codec interface {
	// DecodeClient parses one client message; b is the connection's for the
	// call only (the frame it returns must not keep it). Errors wrap
	// ErrMalformedFrame or ErrOversizedFrame, which decide the close code.
	DecodeClient(b []byte, maxPayload int) (*realtimev1.ClientFrame, error)
	// EncodeServer turns one encoded ServerFrame into the message to write;
	// nil skips the frame (one the client's protocol has no word for).
	EncodeServer(frame []byte) []byte
}

// Errors a Codec wraps for frames it cannot accept.
var (
	ErrMalformedFrame = errMalformed
	ErrOversizedFrame = errOversized
)

// Handler serves connections that speak another wire format: each gets a
// codec from newCodec, then is treated exactly as ServeHTTP treats a
// Leapfrog connection (handshake, session, limits, drain).
func (srv *Server) Handler(newCodec func() Codec) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		srv.serve(w, r, newCodec())
	})
}

// decode parses a client message in the connection's wire format.
func (c *conn) decode(b []byte, maxPayload int) (*realtimev1.ClientFrame, error) {
	if c.codec != nil {
		return c.codec.DecodeClient(b, maxPayload)
	}
	return DecodeClientFrame(b, maxPayload)
}

// encode turns a ServerFrame into the connection's wire format; nil skips it.
func (c *conn) encode(frame []byte) []byte {
	if c.codec != nil {
		return c.codec.EncodeServer(frame)
	}
	return frame
}
