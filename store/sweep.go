package store

import (
	"context"
	"fmt"

	"github.com/guregu/dynamo/v2"

	"github.com/livecast/sessions/session"
)

// LiveSessions returns every active session (expired ones included until the
// sweep ends them): one Query of the sparse live-sessions index, then the
// items by BatchGetItem, 100 per request.
func (s *Store) LiveSessions(ctx context.Context) ([]session.Session, error) {
	var keys []struct {
		SessionID string `dynamo:"sessionId"`
	}
	if err := s.sessions.Get(attrLive, liveMarker).Index(liveIndex).All(ctx, &keys); err != nil {
		return nil, failure("list live sessions", err)
	}
	if len(keys) == 0 {
		return nil, nil
	}
	ks := make([]dynamo.Keyed, len(keys))
	for i, k := range keys {
		ks[i] = dynamo.Keys{k.SessionID}
	}
	var items []sessionItem
	if err := s.sessions.Batch(attrSessionID).Get(ks...).Consistent(true).All(ctx, &items); err != nil && err != dynamo.ErrNotFound {
		return nil, failure("read live sessions", err)
	}
	out := make([]session.Session, 0, len(items))
	for _, it := range items {
		if it.IsActive {
			out = append(out, it.domain())
		}
	}
	return out, nil
}

// AllConnections scans the Connections table: records and closing marks
// exist only for open (or not yet cleaned) connections, so the scan follows
// live connections.
func (s *Store) AllConnections(ctx context.Context) ([]session.Connection, error) {
	var items []connectionItem
	if err := s.connections.Scan().Consistent(true).All(ctx, &items); err != nil {
		return nil, failure("scan connections", err)
	}
	out := make([]session.Connection, len(items))
	for i, it := range items {
		out[i] = it.domain()
	}
	return out, nil
}

// SetCounts overwrites a session's counts with what its records say, unless
// any count changed since sess was read (its Version), in which case the
// next sweep looks again: session.ErrCountsChanged.
func (s *Store) SetCounts(ctx context.Context, sess session.Session, total int, byLanguage map[string]int) error {
	if byLanguage == nil {
		byLanguage = map[string]int{}
	}
	err := s.sessions.Update(attrSessionID, sess.ID).
		Set(attrListenerCount, total).
		Set(attrByLanguage, byLanguage).
		Add(attrCountVersion, 1).
		Add(attrStateVersion, 1).
		If("$ = ? AND $ = ?", attrCountVersion, sess.Version, attrIsActive, true).
		Run(ctx)
	if dynamo.IsCondCheckFailed(err) {
		return fmt.Errorf("reconcile %s: %w", sess.ID, session.ErrCountsChanged)
	}
	if err != nil {
		return failure("reconcile counts", err)
	}
	return nil
}
