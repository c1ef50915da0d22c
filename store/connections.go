package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/guregu/dynamo/v2"

	"github.com/livecast/sessions/session"
)

// Connections is the Connections table: the session.Connections port.
type Connections struct{ *tables }

// Register writes a new connection record.
func (s *Connections) Register(ctx context.Context, c session.Connection) error {
	err := s.retryConflicts(ctx, func() error {
		return s.connections.Put(s.cfg.newConnectionItem(c)).If("attribute_not_exists($)", attrConnectionID).Run(ctx)
	})
	if dynamo.IsCondCheckFailed(err) {
		return fmt.Errorf("register connection: %w", session.ErrDuplicateConnection)
	}
	if err != nil {
		return failure("register connection", err)
	}
	return nil
}

// Get reads one connection record.
func (s *Connections) Get(ctx context.Context, id string) (session.Connection, error) {
	var it connectionItem
	err := s.connections.Get(attrConnectionID, id).Consistent(true).One(ctx, &it)
	if errors.Is(err, dynamo.ErrNotFound) || (err == nil && it.closing()) {
		return session.Connection{}, fmt.Errorf("get connection: %w", session.ErrNotFound)
	}
	if err != nil {
		return session.Connection{}, failure("get connection", err)
	}
	return it.domain(), nil
}

// Remove deletes a record that is not a held seat and returns it, in one
// write; a second call for the same id finds nothing, which is what makes
// $disconnect idempotent. A closing mark is deleted and reported as no
// record: the close it stood for has happened.
func (s *Connections) Remove(ctx context.Context, id string) (session.Connection, error) {
	var it connectionItem
	err := s.retryConflicts(ctx, func() error {
		return s.connections.Delete(attrConnectionID, id).If("attribute_not_exists($)", attrHeldUntil).OldValue(ctx, &it)
	})
	if errors.Is(err, dynamo.ErrNotFound) || dynamo.IsCondCheckFailed(err) || (err == nil && it.closing()) {
		return session.Connection{}, fmt.Errorf("remove connection: %w", session.ErrNotFound)
	}
	if err != nil {
		return session.Connection{}, failure("remove connection", err)
	}
	return it.domain(), nil
}

// Hold marks a lost connection's record as a seat kept until until.
func (s *Connections) Hold(ctx context.Context, id string, until time.Time) (session.Connection, error) {
	var it connectionItem
	err := s.retryConflicts(ctx, func() error {
		return s.connections.Update(attrConnectionID, id).
			Set(attrHeldUntil, ms(until)).
			If("attribute_exists($) AND attribute_not_exists($)", attrRole, attrHeldUntil).
			Value(ctx, &it)
	})
	if dynamo.IsCondCheckFailed(err) {
		return session.Connection{}, fmt.Errorf("hold connection: %w", session.ErrNotFound)
	}
	if err != nil {
		return session.Connection{}, failure("hold connection", err)
	}
	return it.domain(), nil
}

// ReleaseHeld deletes a held seat whose window ended before now.
func (s *Connections) ReleaseHeld(ctx context.Context, id string, now time.Time) (session.Connection, error) {
	var it connectionItem
	err := s.retryConflicts(ctx, func() error {
		return s.connections.Delete(attrConnectionID, id).If("$ <= ?", attrHeldUntil, ms(now)).OldValue(ctx, &it)
	})
	if errors.Is(err, dynamo.ErrNotFound) || dynamo.IsCondCheckFailed(err) {
		return session.Connection{}, fmt.Errorf("release held seat: %w", session.ErrNotFound)
	}
	if err != nil {
		return session.Connection{}, failure("release held seat", err)
	}
	return it.domain(), nil
}

// Reclaim hands a seat to a new connection in one transaction of two
// connection records (never the session item, so a join storm does not
// conflict with it): the old record must carry the token's hash for the
// same session and language and not be held past its window.
func (s *Connections) Reclaim(ctx context.Context, old session.Connection, c session.Connection, now time.Time) error {
	err := s.retryConflicts(ctx, func() error {
		return s.tx().
			Delete(s.connections.Delete(attrConnectionID, old.ID).
				If("$ = ? AND $ = ? AND $ = ? AND $ = ?", attrResumeHash, old.ResumeHash, attrSessionID, old.SessionID,
					attrTargetLanguage, old.TargetLanguage, attrRole, string(session.RoleListener)).
				If("(attribute_not_exists($) OR $ > ?)", attrHeldUntil, attrHeldUntil, ms(now))).
			Put(s.connections.Put(s.cfg.newConnectionItem(c)).If("attribute_not_exists($)", attrConnectionID)).
			Run(ctx)
	})
	failed, ok := cancelled(err)
	switch {
	case ok && len(failed) > 1 && failed[1]:
		return fmt.Errorf("reclaim seat: %w", session.ErrDuplicateConnection)
	case ok:
		return fmt.Errorf("reclaim seat: %w", session.ErrResumeRefused)
	case err != nil:
		return failure("reclaim seat", err)
	}
	return nil
}

// Replace swaps a connection that was asked to refresh for its successor in
// one transaction; the seat's count does not move.
func (s *Connections) Replace(ctx context.Context, old session.Connection, c session.Connection) error {
	err := s.retryConflicts(ctx, func() error {
		return s.tx().
			Delete(s.connections.Delete(attrConnectionID, old.ID).
				If("attribute_exists($) AND attribute_not_exists($)", attrRole, attrHeldUntil)).
			Put(s.connections.Put(s.cfg.newConnectionItem(c)).If("attribute_not_exists($)", attrConnectionID)).
			Run(ctx)
	})
	failed, ok := cancelled(err)
	switch {
	case ok && len(failed) > 1 && failed[1]:
		return fmt.Errorf("replace connection: %w", session.ErrDuplicateConnection)
	case ok:
		return fmt.Errorf("replace connection: %w", session.ErrNotFound)
	case err != nil:
		return failure("replace connection", err)
	}
	return nil
}

// Listeners queries the listeners index: one language, or all of them.
func (s *Connections) Listeners(ctx context.Context, sessionID, lang string) ([]session.Connection, error) {
	return s.queryListeners(ctx, sessionID, lang, "list listeners")
}

// Audience queries the listeners index for ids, languages and holds only:
// the store's Query cost is per item read either way, but the response (and
// moto's time to build it) shrinks several times.
func (s *Connections) Audience(ctx context.Context, sessionID, lang string) ([]session.Connection, error) {
	return s.queryListeners(ctx, sessionID, lang, "list the audience", attrConnectionID, attrTargetLanguage, attrHeldUntil)
}

// queryListeners reads the listeners index for sessionID (and lang, unless
// empty), only the attributes in project when there are any. The index
// holds only listeners, so session and role are known without reading them.
func (s *Connections) queryListeners(ctx context.Context, sessionID, lang, what string, project ...string) ([]session.Connection, error) {
	q := s.connections.Get(attrSessionID, sessionID).Index(listenersIndex)
	if lang != "" {
		q = q.Range(attrTargetLanguage, dynamo.Equal, lang)
	}
	if len(project) > 0 {
		q = q.Project(project...)
	}
	var items []connectionItem
	if err := q.All(ctx, &items); err != nil {
		return nil, failure(what, err)
	}
	out := make([]session.Connection, 0, len(items))
	for _, it := range items {
		it.SessionID, it.Role = sessionID, string(session.RoleListener)
		out = append(out, it.domain())
	}
	return out, nil
}

// MarkClosing overwrites records with closing marks in batches of 25
// (BatchWriteItem's limit, which retries unprocessed items). A mark outlives
// the sweep's grace and goes with TTL if nothing else removes it.
func (s *Connections) MarkClosing(ctx context.Context, sessionID, reason string, ids []string, now time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	marks := make([]any, len(ids))
	for i, id := range ids {
		marks[i] = closingMarkItem{ConnectionID: id, ClosingSince: ms(now), ClosingSession: sessionID, ClosingReason: reason,
			TTL: now.Add(s.cfg.RetentionBuffer).Unix()}
	}
	if _, err := s.connections.Batch(attrConnectionID).Write().Put(marks...).Run(ctx); err != nil {
		return failure("mark connections closing", err)
	}
	return nil
}

// DeleteMany removes records in batches of 25 (BatchWriteItem's limit),
// retrying unprocessed items.
func (s *Connections) DeleteMany(ctx context.Context, ids []string) error {
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

// SwitchLanguage changes a listener's language and moves its count in one
// idempotent transaction: the record must still say the language c was read
// with, so the count moves exactly once.
func (s *Connections) SwitchLanguage(ctx context.Context, c session.Connection, lang string) error {
	from := c.TargetLanguage
	err := s.retryConflicts(ctx, func() error {
		return s.tx().
			Update(s.connections.Update(attrConnectionID, c.ID).
				Set(attrTargetLanguage, lang).
				If("$ = ? AND $ = ?", attrRole, string(session.RoleListener), attrTargetLanguage, from)).
			Update(s.sessions.Update(attrSessionID, c.SessionID).
				Add(attrCountVersion, 1).
				Add(attrStateVersion, 1).
				SetExpr("$.$ = $.$ - ?", attrByLanguage, from, attrByLanguage, from, 1).
				SetExpr("$.$ = if_not_exists($.$, ?) + ?", attrByLanguage, lang, attrByLanguage, lang, 0, 1).
				If("$ = ? AND $.$ > ?", attrIsActive, true, attrByLanguage, from, 0)).
			Run(ctx)
	})
	if _, ok := cancelled(err); ok {
		now, gerr := s.Get(ctx, c.ID)
		switch {
		case gerr != nil:
			return gerr
		case now.TargetLanguage == lang:
			return fmt.Errorf("switch language: %w", session.ErrReplayed)
		default:
			return fmt.Errorf("switch language in %s: %w", c.SessionID, session.ErrNotFound)
		}
	}
	if err != nil {
		return failure("switch language", err)
	}
	return nil
}
