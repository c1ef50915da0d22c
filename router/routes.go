package router

// Route keys of the WebSocket API. API Gateway selects one per message from
// $request.body.action; Terraform declares exactly this set (a test checks it).
const (
	RouteConnect          = "$connect"
	RouteDisconnect       = "$disconnect"
	RouteDefault          = "$default"
	RouteHeartbeat        = "heartbeat"
	RouteGetSessionStatus = "getSessionStatus"
	RouteSpeakerControl   = "speakerControl"
	RouteControlSession   = "controlSession"
	RouteChangeLanguage   = "changeLanguage"
	RouteSendAudio        = "sendAudio"
)

// RouteKeys lists every route key the router serves, in a stable order.
func RouteKeys() []string {
	return []string{
		RouteConnect, RouteDisconnect, RouteHeartbeat, RouteGetSessionStatus,
		RouteSpeakerControl, RouteControlSession, RouteChangeLanguage, RouteSendAudio, RouteDefault,
	}
}
