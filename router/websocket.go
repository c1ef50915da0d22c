package router

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/livecast/sessions/session"
)

// websocket serves the WebSocket route events.
func (r *Router) websocket(ctx context.Context, eventType string, raw json.RawMessage) (json.RawMessage, error) {
	var ev events.APIGatewayWebsocketProxyRequest
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, fmt.Errorf("%w: malformed WebSocket event: %w", ErrUnknownEvent, err)
	}
	if ev.RequestContext.ConnectionID == "" {
		return nil, fmt.Errorf("%w: WebSocket event without connectionId", ErrUnknownEvent)
	}
	switch eventType {
	case "CONNECT":
		return r.connect(ctx, ev)
	case "DISCONNECT":
		return r.disconnect(ctx, ev)
	case "MESSAGE":
		return r.message(ctx, ev)
	default:
		return nil, fmt.Errorf("%w: WebSocket event type %q", ErrUnknownEvent, eventType)
	}
}

type proxyResponse = events.APIGatewayProxyResponse

func ok() proxyResponse { return proxyResponse{StatusCode: http.StatusOK} }

// queryOf merges API Gateway's two query maps: the multi-value one keeps
// repeated parameters, which the domain refuses rather than guessing.
func queryOf(single map[string]string, multi map[string][]string) map[string][]string {
	q := make(map[string][]string, len(single))
	for k, v := range single {
		q[k] = []string{v}
	}
	for k, v := range multi {
		q[k] = v
	}
	return q
}

func (r *Router) connect(ctx context.Context, ev events.APIGatewayWebsocketProxyRequest) (json.RawMessage, error) {
	start := r.now()
	connID := ev.RequestContext.ConnectionID
	query := queryOf(ev.QueryStringParameters, ev.MultiValueQueryStringParameters)
	var w session.Welcome
	err := checkQuery(query)
	var req session.ConnectRequest
	if err == nil {
		req, err = parseConnect(query, connID, ev.RequestContext.Identity.SourceIP)
	}
	if err == nil {
		w, err = r.svc.Connect(ctx, req)
	}
	action := ""
	if a := query["action"]; len(a) == 1 && len(a[0]) <= 32 {
		action = a[0]
	}
	correlation := w.SessionID
	if correlation == "" {
		correlation = session.HashID(connID)
	}
	r.logOutcome(ctx, "connect", correlation, start, err, "action", action, "sourceIp", TruncateIP(ev.RequestContext.Identity.SourceIP))
	r.observe(action, start, err)
	if err != nil {
		return r.respond(proxyResponse{
			StatusCode: StatusOf(err),
			Headers:    map[string]string{"Content-Type": "application/json"},
			Body:       string(encodeError(err, ev.RequestContext.RequestID, r.now())),
		})
	}
	if !w.Replayed {
		if err := r.scheduleWelcome(ctx, w); err != nil {
			// The connection stands; the client can still ask getSessionStatus.
			r.logOutcome(ctx, "scheduleWelcome", correlation, start, err)
		}
	}
	return r.respond(ok())
}

func (r *Router) disconnect(ctx context.Context, ev events.APIGatewayWebsocketProxyRequest) (json.RawMessage, error) {
	start := r.now()
	defer r.forgetAudioConnection(ev.RequestContext.ConnectionID)
	// How the connection ended tells a deliberate goodbye from a lost
	// connection (disconnect_status.go lists the codes).
	status := disconnectStatusOf(ev)
	err := r.svc.Disconnect(ctx, ev.RequestContext.ConnectionID, status.Code)
	r.logOutcome(ctx, "disconnect", session.HashID(ev.RequestContext.ConnectionID), start, err, "disconnectStatusCode", status.Code)
	if err != nil && StatusOf(err) >= 500 {
		// Returning the error lets Lambda's metrics see it; API Gateway ignores
		// $disconnect results, and the sweep repairs what this missed.
		return nil, err
	}
	return r.respond(ok())
}

func (r *Router) message(ctx context.Context, ev events.APIGatewayWebsocketProxyRequest) (json.RawMessage, error) {
	start := r.now()
	connID := ev.RequestContext.ConnectionID
	route := ev.RequestContext.RouteKey
	if route == RouteSendAudio {
		return r.sendAudio(ctx, ev, start)
	}
	requestID, err := requestIDOf(ev.Body)
	if err == nil {
		err = r.dispatchMessage(withReply(ctx, connID, requestID), route, connID, ev.RequestContext.RequestID, ev.Body)
	}
	r.logOutcome(ctx, operationOf(route), session.HashID(connID), start, err)
	r.observe(route, start, err)
	if err != nil {
		r.replyError(ctx, connID, cmp.Or(requestID, ev.RequestContext.RequestID), start, err)
	}
	return r.respond(ok())
}

// replyError tells a client why its message was refused. The error carries
// the client's requestId, or API Gateway's when the client gave none (what
// support asks for).
func (r *Router) replyError(ctx context.Context, connID, requestID string, start time.Time, err error) {
	if perr := r.messenger.post(ctx, connID, encodeError(err, requestID, r.now())); perr != nil && !errors.Is(perr, session.ErrConnectionGone) {
		r.logOutcome(ctx, "replyError", session.HashID(connID), start, perr)
	}
}

func operationOf(route string) string {
	if strings.HasPrefix(route, "$") {
		return "default"
	}
	return route
}

func (r *Router) dispatchMessage(ctx context.Context, route, connID, requestID, body string) error {
	if err := checkMessageText(body); err != nil {
		return err
	}
	var msg clientMessage
	if route != RouteDefault {
		if err := decodeMessage(body, &msg); err != nil {
			return err
		}
	}
	switch route {
	case RouteHeartbeat:
		return r.svc.Heartbeat(ctx, connID, requestID)
	case RouteGetSessionStatus:
		return r.svc.Status(ctx, connID)
	case RouteSpeakerControl:
		defer r.forgetAudioSession(connID)
		return r.svc.Control(ctx, connID, msg.Control, msg.Value)
	case RouteControlSession:
		if msg.Command != session.ControlPause && msg.Command != session.ControlResume {
			return &session.Error{Code: session.CodeInvalidParameters, Field: "command", Message: "command must be pause or resume"}
		}
		defer r.forgetAudioSession(connID)
		return r.svc.Control(ctx, connID, msg.Command, nil)
	case RouteChangeLanguage:
		return r.svc.ChangeLanguage(ctx, connID, msg.TargetLanguage)
	case RouteEndSession:
		defer r.forgetAudioSession(connID)
		return r.svc.EndByRequest(ctx, connID)
	default:
		return &session.Error{Code: session.CodeInvalidAction, Field: "action", Message: "Unknown action"}
	}
}
