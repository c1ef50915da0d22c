package gateway

import (
	"errors"

	"github.com/coder/websocket"
)

// Close codes and the reasons API Gateway gives with them. $disconnect
// reports them in requestContext.disconnectStatusCode and disconnectReason:
//   - a client's close frame: its own code and reason (1000, 1001, 4000...),
//     1005 when the frame carried no code;
//   - a connection that vanished (FIN or RST, no close frame): 1006, "";
//   - @connections DELETE: 1000 "Connection Closed Normally", as API Gateway's
//     execution logs show (quoted in boto/boto3#3789 and aws/chalice#2060);
//   - the idle timeout: 1001 "Going away";
//   - the 2-hour maximum duration: 1001 "Going away" as well. Neither AWS's
//     documentation nor public reports state this code; it is chosen because
//     the close is the same kind as the idle timeout (the service ends a
//     healthy connection by its own rule), which RFC 6455 §7.4.1 calls
//     "going away", and it keeps a product from mistaking it for a client's
//     deliberate 1000;
//   - a frame over 32 KB or a message over 128 KB: 1009; text that is not
//     UTF-8: 1007.
const (
	closeNormal    = 1000
	closeGoingAway = 1001
	closeNoStatus  = 1005 // never sent: the peer's close frame had no code
	closeAbnormal  = 1006 // never sent: the connection dropped
	closeBadData   = 1007 // RFC 6455 §8.1: a text message that is not UTF-8
	closeTooBig    = 1009
	closeTLS       = 1015 // never sent

	reasonNormal     = "Connection Closed Normally"
	reasonGoingAway  = "Going away"
	reasonFrameLimit = "Frame size limit exceeded"
	reasonBadData    = "Invalid frame payload data"
	reasonTooBig     = "Message too big"
)

// closeCause is why a connection ended: what $disconnect reports.
type closeCause struct {
	code   int
	reason string
}

// observedClose maps a read error to the code API Gateway would report.
func observedClose(err error) (int, string) {
	var ce websocket.CloseError
	switch {
	case errors.As(err, &ce):
		return int(ce.Code), ce.Reason
	case errors.Is(err, websocket.ErrMessageTooBig):
		return closeTooBig, reasonTooBig
	default:
		return closeAbnormal, ""
	}
}
