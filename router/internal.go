package router

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/livecast/sessions/session"
)

// Internal event kinds. They arrive only by direct Lambda invocation: a
// WebSocket client's frames always come wrapped in a MESSAGE event's body,
// so no client can forge one.
const (
	internalWelcome   = "welcome"
	internalBroadcast = "broadcast"
)

// BroadcastEvent is what the audio pipeline sends to fan a payload out to
// every listener of one language of a session.
type BroadcastEvent struct {
	Internal       string          `json:"sessionService"` // "broadcast"
	SessionID      string          `json:"sessionId"`
	TargetLanguage string          `json:"targetLanguage"`
	Payload        json.RawMessage `json:"payload"`
}

// BroadcastResult is the fan-out's answer to the pipeline.
type BroadcastResult struct {
	Delivered int `json:"delivered"`
	Dropped   int `json:"dropped"`
	Failed    int `json:"failed"`
}

// NewBroadcastEvent builds the event that fans payload out (for callers and tests).
func NewBroadcastEvent(sessionID, lang string, payload json.RawMessage) ([]byte, error) {
	return json.Marshal(BroadcastEvent{Internal: internalBroadcast, SessionID: sessionID, TargetLanguage: lang, Payload: payload})
}

func (r *Router) internal(ctx context.Context, kind string, raw json.RawMessage) (json.RawMessage, error) {
	start := r.now()
	switch kind {
	case internalWelcome:
		var ev welcomeEvent
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, fmt.Errorf("%w: malformed welcome: %w", ErrUnknownEvent, err)
		}
		err := r.svc.Welcome(ctx, ev.domain())
		r.logOutcome(ctx, "welcome", ev.SessionID, start, err, "kind", ev.Kind)
		if err != nil {
			return nil, err
		}
		return r.respond(map[string]bool{"sent": true})
	case internalBroadcast:
		var ev BroadcastEvent
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, fmt.Errorf("%w: malformed broadcast: %w", ErrUnknownEvent, err)
		}
		if !json.Valid(ev.Payload) || len(ev.Payload) == 0 {
			return nil, &session.Error{Code: session.CodeInvalidParameters, Field: "payload", Message: "payload must be JSON"}
		}
		res, err := r.svc.Broadcast(ctx, ev.SessionID, ev.TargetLanguage, session.Payload{Data: ev.Payload})
		r.logOutcome(ctx, "broadcast", ev.SessionID, start, err, "delivered", res.Delivered, "dropped", len(res.Gone), "failed", res.Failed)
		if err != nil {
			return nil, err
		}
		return r.respond(BroadcastResult{Delivered: res.Delivered, Dropped: len(res.Gone), Failed: res.Failed})
	default:
		return nil, fmt.Errorf("%w: internal event %q", ErrUnknownEvent, kind)
	}
}
