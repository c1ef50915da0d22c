package router

import (
	"context"
	"encoding/json"
	"fmt"
)

// Internal event kinds. They arrive only by direct Lambda invocation: a
// WebSocket client's frames always come wrapped in a MESSAGE event's body,
// so no client can forge one.
const (
	internalWelcome       = "welcome"
	internalBroadcast     = "broadcast"
	internalBroadcastPage = "broadcastPage" // a share of a broadcast's audience (broadcast_page.go)
)

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
		return r.broadcast(ctx, raw, start)
	case internalBroadcastPage:
		return r.broadcastPage(ctx, raw, start)
	default:
		return nil, fmt.Errorf("%w: internal event %q", ErrUnknownEvent, kind)
	}
}
