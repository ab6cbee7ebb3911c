package realtime

import (
	"github.com/gorilla/websocket"

	realtimev1 "github.com/leapfrog-games/leapfrog/gameserver/proto/leapfrog/realtime/v1"
)

// WebSocket close codes the server uses. Each fatal error frame is followed by
// a close frame with the code CloseCode returns for it.
const (
	CloseNormal           = websocket.CloseNormalClosure     // 1000: session ended
	CloseGoingAway        = websocket.CloseGoingAway         // 1001: server shutting down
	CloseMessageTooBig    = websocket.CloseMessageTooBig     // 1009: oversized frame or payload
	CloseInternal         = websocket.CloseInternalServerErr // 1011: game crashed or its loop stopped
	CloseBadToken         = 4001
	CloseExpiredToken     = 4002
	CloseWrongServer      = 4003
	CloseSessionFull      = 4004
	CloseMalformedFrame   = 4006
	CloseHandshakeTimeout = 4008
	CloseRejected         = 4009
	CloseSlowConsumer     = 4010
	CloseReplaced         = 4011
	CloseRateLimited      = 4012
	CloseTokenUsed        = 4013
)

// CloseCode maps an error code to the WebSocket close code that follows it,
// or 0 when the error is not fatal to the connection.
func CloseCode(c realtimev1.Error_Code) int {
	switch c {
	case realtimev1.Error_CODE_BAD_TOKEN:
		return CloseBadToken
	case realtimev1.Error_CODE_EXPIRED_TOKEN:
		return CloseExpiredToken
	case realtimev1.Error_CODE_WRONG_SERVER:
		return CloseWrongServer
	case realtimev1.Error_CODE_SESSION_FULL:
		return CloseSessionFull
	case realtimev1.Error_CODE_MALFORMED_FRAME:
		return CloseMalformedFrame
	case realtimev1.Error_CODE_OVERSIZED_FRAME:
		return CloseMessageTooBig
	case realtimev1.Error_CODE_SHUTTING_DOWN:
		return CloseGoingAway
	case realtimev1.Error_CODE_HANDSHAKE_TIMEOUT:
		return CloseHandshakeTimeout
	case realtimev1.Error_CODE_REJECTED:
		return CloseRejected
	case realtimev1.Error_CODE_SLOW_CONSUMER:
		return CloseSlowConsumer
	case realtimev1.Error_CODE_REPLACED:
		return CloseReplaced
	case realtimev1.Error_CODE_SESSION_ENDED:
		return CloseNormal
	case realtimev1.Error_CODE_RATE_LIMITED:
		return CloseRateLimited
	case realtimev1.Error_CODE_TOKEN_USED:
		return CloseTokenUsed
	case realtimev1.Error_CODE_INTERNAL:
		return CloseInternal
	default:
		return 0
	}
}
