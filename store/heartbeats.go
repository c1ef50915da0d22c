package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/guregu/dynamo/v2"

	"github.com/livecast/sessions/session"
)

// heartbeatWindow names the per-minute heartbeat counter attribute. Counting
// in an attribute named after the window makes "reset on a new window" and
// "increment in this window" the same single conditional write.
func heartbeatWindow(t time.Time) (attr string, minute int64) {
	minute = t.Unix() / 60
	return fmt.Sprintf("%s%d", heartbeatAttrBase, minute), minute
}

// Touch records a heartbeat: one conditional update that also enforces the
// per-connection heartbeat limit, drops the counters of past windows and
// ignores a replay of the same request.
func (s *Connections) Touch(ctx context.Context, connectionID, requestID string, now time.Time, limit int) (session.Connection, error) {
	attr, minute := heartbeatWindow(now)
	var it connectionItem
	err := s.retryConflicts(ctx, func() error {
		up := s.connections.Update(attrConnectionID, connectionID).
			Set(attrLastSeenAt, ms(now)).
			SetExpr("$ = if_not_exists($, ?) + ?", attr, attr, 0, 1).
			If("attribute_exists($)", attrRole).
			If("(attribute_not_exists($) OR $ < ?)", attr, attr, limit)
		if requestID != "" {
			up = up.Set(attrLastRequestID, requestID).
				If("(attribute_not_exists($) OR $ <> ?)", attrLastRequestID, attrLastRequestID, requestID)
		}
		for past := minute - 3; past < minute; past++ {
			up = up.Remove(fmt.Sprintf("%s%d", heartbeatAttrBase, past))
		}
		return up.OldValue(ctx, &it)
	})
	if dynamo.IsCondCheckFailed(err) {
		var cur connectionItem
		gerr := s.connections.Get(attrConnectionID, connectionID).Consistent(true).One(ctx, &cur)
		switch {
		case errors.Is(gerr, dynamo.ErrNotFound) || (gerr == nil && cur.closing()):
			return session.Connection{}, fmt.Errorf("heartbeat: %w", session.ErrNotFound)
		case gerr != nil:
			return session.Connection{}, failure("heartbeat", gerr)
		case requestID != "" && cur.LastRequestID == requestID:
			return cur.domain(), fmt.Errorf("heartbeat: %w", session.ErrReplayed)
		}
		retry := int((minute+1)*60 - now.Unix())
		return cur.domain(), &session.RateLimitedError{Limit: "heartbeats", RetryAfter: max(retry, 1)}
	}
	if err != nil {
		return session.Connection{}, failure("heartbeat", err)
	}
	return it.domain(), nil
}
