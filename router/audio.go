package router

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/livecast/sessions/session"
)

// errAudioNotConfigured answers sendAudio on a router built without an
// audio ingress.
var errAudioNotConfigured = errors.New("router: no audio ingress configured")

// sendAudio serves the speaker's microphone chunks. Success sends nothing
// back (the original client expects nothing) and logs at debug only: a
// speaker sends several chunks a second for hours.
func (r *Router) sendAudio(ctx context.Context, ev events.APIGatewayWebsocketProxyRequest, start time.Time) (json.RawMessage, error) {
	connID := ev.RequestContext.ConnectionID
	requestID, err := requestIDOf(ev.Body)
	var outcome session.AudioOutcome
	if err == nil {
		outcome, err = r.ingestAudio(ctx, connID, ev.RequestContext.RequestTimeEpoch, ev.Body)
	}
	if err != nil {
		r.logOutcome(ctx, RouteSendAudio, session.HashID(connID), start, err)
		r.observe(RouteSendAudio, start, err)
		r.replyError(ctx, connID, cmp.Or(requestID, ev.RequestContext.RequestID), start, err)
	} else {
		r.log.DebugContext(ctx, "sendAudio "+outcome.String(), "operation", RouteSendAudio, "correlationId", session.HashID(connID),
			"durationMs", float64(r.now().Sub(start).Microseconds())/1000)
	}
	return r.respond(ok())
}

// ingestAudio decodes a frame and hands it to the ingress; receivedMs is
// when API Gateway received it (0: unknown).
func (r *Router) ingestAudio(ctx context.Context, connID string, receivedMs int64, body string) (session.AudioOutcome, error) {
	if r.audio == nil {
		return 0, &session.Error{Code: session.CodeServiceUnavailable, Message: "Service temporarily unavailable", Err: errAudioNotConfigured}
	}
	var frame audioFrame
	if err := decodeMessage(body, &frame); err != nil {
		return 0, err
	}
	req := session.AudioRequest{
		ConnectionID: connID, SessionID: frame.SessionID, AudioData: frame.AudioData,
		Sequence: frame.Sequence, SampleRate: frame.SampleRate, Encoding: frame.Encoding,
	}
	if receivedMs > 0 {
		req.ReceivedAt = time.UnixMilli(receivedMs)
	}
	return r.audio.Send(ctx, req)
}

// forgetAudioSession makes the next chunk of connID read its session again:
// called after that connection paused, muted or otherwise changed it, so the
// change applies to its audio at once.
func (r *Router) forgetAudioSession(connID string) {
	if r.audio != nil {
		r.audio.ForgetSession(connID)
	}
}

func (r *Router) forgetAudioConnection(connID string) {
	if r.audio != nil {
		r.audio.ForgetConnection(connID)
	}
}
