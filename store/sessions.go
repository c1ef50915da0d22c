package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/guregu/dynamo/v2"

	"github.com/livecast/sessions/session"
)

// CreateSession writes the session and its speaker connection in one
// transaction. An id may be reused once its session is inactive or expired.
func (s *Store) CreateSession(ctx context.Context, x session.Session, speaker session.Connection) error {
	err := s.tx().
		Put(s.sessions.Put(s.newSessionItem(x)).
			If("attribute_not_exists($) OR isActive = ? OR expiresAt < ?", attrSessionID, false, ms(x.CreatedAt))).
		Put(s.connections.Put(s.newConnectionItem(speaker)).If("attribute_not_exists($)", attrConnectionID)).
		Run(ctx)
	if failed, ok := cancelled(err); ok {
		if len(failed) > 1 && failed[1] {
			return fmt.Errorf("create session %s: %w", x.ID, session.ErrDuplicateConnection)
		}
		return fmt.Errorf("create session %s: %w", x.ID, session.ErrSessionIDTaken)
	}
	if err != nil {
		return failure("create session", err)
	}
	return nil
}

// AdmitListener counts the listener and writes its record in one
// transaction: the capacity check and the increment are the same write, so
// no interleaving of joins can pass capacity.
func (s *Store) AdmitListener(ctx context.Context, c session.Connection, capacity int, now time.Time) error {
	up := s.sessions.Update(attrSessionID, c.SessionID).
		Add("listenerCount", 1).
		Add("countVersion", 1).
		SetExpr("byLanguage.$ = if_not_exists(byLanguage.$, ?) + ?", c.TargetLanguage, c.TargetLanguage, 0, 1).
		If("attribute_exists($) AND isActive = ? AND expiresAt > ?", attrSessionID, true, ms(now))
	if capacity > 0 {
		up = up.If("listenerCount < ?", capacity)
	}
	return s.registerWith(ctx, "admit listener", up, c, now, session.ErrSessionFull)
}

// TakeOverSpeaker points the session at a new speaker connection owned by the
// same user and extends the session.
func (s *Store) TakeOverSpeaker(ctx context.Context, c session.Connection, expiresAt, now time.Time) error {
	up := s.sessions.Update(attrSessionID, c.SessionID).
		Set("speakerConnectionId", c.ID).
		Set("expiresAt", ms(expiresAt)).
		Set(attrTTL, s.sessionTTL(expiresAt)).
		If("attribute_exists($) AND isActive = ? AND expiresAt > ? AND speakerUserId = ?", attrSessionID, true, ms(now), c.UserID)
	return s.registerWith(ctx, "take over speaker", up, c, now, session.ErrNotSpeaker)
}

// registerWith writes c's record and applies up to its session in one
// transaction. When up's condition fails, the session tells why: gone or not
// live (ErrNotFound), else the operation's own refusal.
func (s *Store) registerWith(ctx context.Context, op string, up *dynamo.Update, c session.Connection, now time.Time, refusal error) error {
	err := s.tx().
		Update(up).
		Put(s.connections.Put(s.newConnectionItem(c)).If("attribute_not_exists($)", attrConnectionID)).
		Run(ctx)
	failed, ok := cancelled(err)
	switch {
	case ok && len(failed) > 1 && failed[1]:
		return fmt.Errorf("%s: %w", op, session.ErrDuplicateConnection)
	case ok:
		return s.explainRefusal(ctx, op, c.SessionID, func(x session.Session) bool { return x.Live(now) }, refusal)
	case err != nil:
		return failure(op, err)
	}
	return nil
}

// explainRefusal reads the session after a failed condition (only refusal
// paths pay this read): ErrNotFound when it is gone or no longer usable,
// refusal otherwise.
func (s *Store) explainRefusal(ctx context.Context, op, sessionID string, usable func(session.Session) bool, refusal error) error {
	sess, err := s.GetSession(ctx, sessionID)
	if err != nil {
		return err
	}
	if !usable(sess) {
		return fmt.Errorf("%s %s: %w", op, sessionID, session.ErrNotFound)
	}
	return fmt.Errorf("%s %s: %w", op, sessionID, refusal)
}

func active(x session.Session) bool { return x.Active }

// GetSession reads a session with a strongly consistent read, so a welcome
// sent right after a join sees that join's count.
func (s *Store) GetSession(ctx context.Context, id string) (session.Session, error) {
	var it sessionItem
	err := s.sessions.Get(attrSessionID, id).Consistent(true).One(ctx, &it)
	if errors.Is(err, dynamo.ErrNotFound) {
		return session.Session{}, fmt.Errorf("get session %s: %w", id, session.ErrNotFound)
	}
	if err != nil {
		return session.Session{}, failure("get session", err)
	}
	return it.domain(), nil
}

// ReleaseListener uncounts one listener of lang; the condition keeps both
// counts from going below zero (and fails on an ended session, whose counts
// were reset).
func (s *Store) ReleaseListener(ctx context.Context, sessionID, lang string) (session.Session, error) {
	var it sessionItem
	err := s.sessions.Update(attrSessionID, sessionID).
		Add("listenerCount", -1).
		Add("countVersion", 1).
		SetExpr("byLanguage.$ = byLanguage.$ - ?", lang, lang, 1).
		If("listenerCount > ? AND byLanguage.$ > ?", 0, lang, 0).
		Value(ctx, &it)
	if dynamo.IsCondCheckFailed(err) {
		return session.Session{}, fmt.Errorf("release listener of %s: %w", sessionID, session.ErrNotFound)
	}
	if err != nil {
		return session.Session{}, failure("release listener", err)
	}
	return it.domain(), nil
}

// SwitchLanguage changes a listener's language and moves its count in one
// idempotent transaction: the record must still say the language c was read
// with, so the count moves exactly once.
func (s *Store) SwitchLanguage(ctx context.Context, c session.Connection, lang string) error {
	from := c.TargetLanguage
	err := s.tx().
		Update(s.connections.Update(attrConnectionID, c.ID).
			Set("targetLanguage", lang).
			If("$ = ? AND targetLanguage = ?", "role", string(session.RoleListener), from)).
		Update(s.sessions.Update(attrSessionID, c.SessionID).
			Add("countVersion", 1).
			SetExpr("byLanguage.$ = byLanguage.$ - ?", from, from, 1).
			SetExpr("byLanguage.$ = if_not_exists(byLanguage.$, ?) + ?", lang, lang, 0, 1).
			If("isActive = ? AND byLanguage.$ > ?", true, from, 0)).
		Run(ctx)
	if _, ok := cancelled(err); ok {
		now, gerr := s.GetConnection(ctx, c.ID)
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

// EndSession deactivates a session still owned by speakerConnectionID and
// resets its counts (its listener records are deleted next).
func (s *Store) EndSession(ctx context.Context, sessionID, speakerConnectionID, reason string, now time.Time) (session.Session, error) {
	var it sessionItem
	err := s.sessions.Update(attrSessionID, sessionID).
		Set("isActive", false).
		Set("endedReason", reason).
		Set("listenerCount", 0).
		Set("byLanguage", map[string]int{}).
		Add("countVersion", 1).
		Remove("live").
		Set(attrTTL, now.Add(s.cfg.RetentionBuffer).Unix()).
		If("isActive = ? AND speakerConnectionId = ?", true, speakerConnectionID).
		OldValue(ctx, &it)
	if dynamo.IsCondCheckFailed(err) {
		return session.Session{}, s.explainRefusal(ctx, "end session", sessionID, active, session.ErrNotSpeaker)
	}
	if err != nil {
		return session.Session{}, failure("end session", err)
	}
	return it.domain(), nil
}

// SetBroadcast applies a speaker's control and returns the state before it.
func (s *Store) SetBroadcast(ctx context.Context, sessionID, speakerConnectionID string, change session.BroadcastChange) (session.Session, error) {
	up := s.sessions.Update(attrSessionID, sessionID)
	if change.Paused != nil {
		up = up.Set("paused", *change.Paused)
	}
	if change.Muted != nil {
		up = up.Set("muted", *change.Muted)
	}
	if change.Volume != nil {
		up = up.Set("volume", *change.Volume)
	}
	var it sessionItem
	err := up.If("isActive = ? AND speakerConnectionId = ?", true, speakerConnectionID).OldValue(ctx, &it)
	if dynamo.IsCondCheckFailed(err) {
		return session.Session{}, s.explainRefusal(ctx, "control session", sessionID, active, session.ErrNotSpeaker)
	}
	if err != nil {
		return session.Session{}, failure("control session", err)
	}
	return it.domain(), nil
}
