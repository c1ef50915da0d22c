package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/guregu/dynamo/v2"

	"github.com/livecast/sessions/session"
)

// GetConnection reads one connection record.
func (s *Store) GetConnection(ctx context.Context, id string) (session.Connection, error) {
	var it connectionItem
	err := s.connections.Get(attrConnectionID, id).Consistent(true).One(ctx, &it)
	if errors.Is(err, dynamo.ErrNotFound) {
		return session.Connection{}, fmt.Errorf("get connection: %w", session.ErrNotFound)
	}
	if err != nil {
		return session.Connection{}, failure("get connection", err)
	}
	return it.domain(), nil
}

// RemoveConnection deletes a record and returns it, in one write; a second
// call for the same id finds nothing, which is what makes $disconnect
// idempotent.
func (s *Store) RemoveConnection(ctx context.Context, id string) (session.Connection, error) {
	var it connectionItem
	err := s.connections.Delete(attrConnectionID, id).OldValue(ctx, &it)
	if errors.Is(err, dynamo.ErrNotFound) {
		return session.Connection{}, fmt.Errorf("remove connection: %w", session.ErrNotFound)
	}
	if err != nil {
		return session.Connection{}, failure("remove connection", err)
	}
	return it.domain(), nil
}

// Listeners queries the listeners index: one language, or all of them.
func (s *Store) Listeners(ctx context.Context, sessionID, lang string) ([]session.Connection, error) {
	q := s.connections.Get(attrSessionID, sessionID).Index(listenersIndex)
	if lang != "" {
		q = q.Range("targetLanguage", dynamo.Equal, lang)
	}
	var items []connectionItem
	if err := q.All(ctx, &items); err != nil {
		return nil, failure("list listeners", err)
	}
	out := make([]session.Connection, 0, len(items))
	for _, it := range items {
		out = append(out, it.domain())
	}
	return out, nil
}

// DeleteConnections removes records in batches of 25 (BatchWriteItem's
// limit), retrying unprocessed items.
func (s *Store) DeleteConnections(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	keys := make([]dynamo.Keyed, len(ids))
	for i, id := range ids {
		keys[i] = dynamo.Keys{id}
	}
	if _, err := s.connections.Batch(attrConnectionID).Write().Delete(keys...).Run(ctx); err != nil {
		return failure("delete connections", err)
	}
	return nil
}

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
func (s *Store) Touch(ctx context.Context, connectionID, requestID string, now time.Time, limit int) (session.Connection, error) {
	attr, minute := heartbeatWindow(now)
	up := s.connections.Update(attrConnectionID, connectionID).
		Set("lastSeenAt", ms(now)).
		SetExpr("$ = if_not_exists($, ?) + ?", attr, attr, 0, 1).
		If("attribute_exists($)", attrConnectionID).
		If("(attribute_not_exists($) OR $ < ?)", attr, attr, limit)
	if requestID != "" {
		up = up.Set("lastRequestId", requestID).
			If("(attribute_not_exists(lastRequestId) OR lastRequestId <> ?)", requestID)
	}
	for past := minute - 3; past < minute; past++ {
		up = up.Remove(fmt.Sprintf("%s%d", heartbeatAttrBase, past))
	}
	var it connectionItem
	err := up.OldValue(ctx, &it)
	if dynamo.IsCondCheckFailed(err) {
		var it connectionItem
		gerr := s.connections.Get(attrConnectionID, connectionID).Consistent(true).One(ctx, &it)
		switch {
		case errors.Is(gerr, dynamo.ErrNotFound):
			return session.Connection{}, fmt.Errorf("heartbeat: %w", session.ErrNotFound)
		case gerr != nil:
			return session.Connection{}, failure("heartbeat", gerr)
		case requestID != "" && it.LastRequestID == requestID:
			return it.domain(), fmt.Errorf("heartbeat: %w", session.ErrReplayed)
		}
		conn := it.domain()
		retry := int((minute+1)*60 - now.Unix())
		return conn, &session.RateLimitedError{Limit: "heartbeats", RetryAfter: max(retry, 1)}
	}
	if err != nil {
		return session.Connection{}, failure("heartbeat", err)
	}
	return it.domain(), nil
}
