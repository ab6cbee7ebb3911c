package edge

import (
	"github.com/gorilla/websocket"

	realtimev1 "github.com/leapfrog-games/leapfrog/gameserver/proto/leapfrog/realtime/v1"
)

// The close codes the edge sends itself. They are the race server's (package
// gameserver/realtime, checked in a test) so that a browser sees the same
// refusal whether the edge or the race server refused it; the edge does not
// link the game server to get them.
const (
	closeGoingAway        = websocket.CloseGoingAway     // 1001
	closeMessageTooBig    = websocket.CloseMessageTooBig // 1009
	closeInternal         = websocket.CloseInternalServerErr
	closeServiceRestart   = websocket.CloseServiceRestart
	closeBadToken         = 4001
	closeExpiredToken     = 4002
	closeWrongServer      = 4003
	closeMalformedFrame   = 4006
	closeHandshakeTimeout = 4008
	closeRejected         = 4009
)

// closeCodeFor maps the error codes the edge refuses with to their close codes.
var closeCodeFor = map[realtimev1.Error_Code]int{
	realtimev1.Error_CODE_BAD_TOKEN:         closeBadToken,
	realtimev1.Error_CODE_EXPIRED_TOKEN:     closeExpiredToken,
	realtimev1.Error_CODE_WRONG_SERVER:      closeWrongServer,
	realtimev1.Error_CODE_MALFORMED_FRAME:   closeMalformedFrame,
	realtimev1.Error_CODE_OVERSIZED_FRAME:   closeMessageTooBig,
	realtimev1.Error_CODE_SHUTTING_DOWN:     closeGoingAway,
	realtimev1.Error_CODE_HANDSHAKE_TIMEOUT: closeHandshakeTimeout,
	realtimev1.Error_CODE_REJECTED:          closeRejected,
	realtimev1.Error_CODE_INTERNAL:          closeInternal,
}
