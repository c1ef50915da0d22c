package router

import "github.com/aws/aws-lambda-go/events"

// disconnectStatus is how a connection ended, as API Gateway reports it in a
// $disconnect event's requestContext; the local gateway reports the same
// (its connection.go lists every cause and where each code comes from).
// It tells a deliberate close from a lost connection; what the domain does
// with that is the domain's business: pass it on to session from
// Router.disconnect (websocket.go), where it is extracted.
type disconnectStatus struct {
	// Code is disconnectStatusCode: the client's own close code when it sent
	// a close frame (1000, 1001, 4000...), 1005 when that frame had none,
	// 1006 when the connection vanished without one (TCP FIN or RST),
	// 1000 after an @connections DELETE, 1001 for API Gateway's idle timeout
	// and its 2-hour limit, 1007 or 1009 when the gateway refused a frame.
	// 0 when the event carries no code (hand-made events).
	Code int
	// Reason is disconnectReason: the client's close reason or API
	// Gateway's own ("Going away", "Connection Closed Normally"); "" when
	// none. It is client-controlled text: never log or echo it unbounded.
	Reason string
}

func disconnectStatusOf(ev events.APIGatewayWebsocketProxyRequest) disconnectStatus {
	s := disconnectStatus{Code: int(ev.RequestContext.DisconnectStatusCode)}
	if ev.RequestContext.DisconnectReason != nil {
		s.Reason = *ev.RequestContext.DisconnectReason
	}
	return s
}
