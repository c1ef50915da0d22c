package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/guregu/dynamo/v2"

	"github.com/livecast/sessions/session"
)

// Sessions is the Sessions table: the session.Sessions port.
type Sessions struct{ *tables }

// Create writes the session and its speaker connection in one transaction
// (a new item, so no hot key). An id may be reused once its session is
// inactive or expired: expiresAt <= createdAt, as session.Session.Live has
// it (a session is no longer live at its expiry).
func (s *Sessions) Create(ctx context.Context, x session.Session, speaker session.Connection) error {
	err := s.retryConflicts(ctx, func() error {
		return s.tx().
			Put(s.sessions.Put(s.cfg.newSessionItem(x)).
				If("attribute_not_exists($) OR $ = ? OR $ <= ?", attrSessionID, attrIsActive, false, attrExpiresAt, ms(x.CreatedAt))).
			Put(s.connections.Put(s.cfg.newConnectionItem(speaker)).If("attribute_not_exists($)", attrConnectionID)).
			Run(ctx)
	})
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

// Get reads a session with a strongly consistent read.
func (s *Sessions) Get(ctx context.Context, id string) (session.Session, error) {
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

// Admit counts one listener: the capacity check and the increment are one
// single-item conditional write, so no interleaving of joins can pass
// capacity, and concurrent joins queue on the item instead of cancelling
// each other as transactions would.
func (s *Sessions) Admit(ctx context.Context, sessionID, lang string, capacity int, now time.Time) (session.Session, error) {
	var it sessionItem
	err := s.retryConflicts(ctx, func() error {
		return s.sessions.Update(attrSessionID, sessionID).
			Add(attrListenerCount, 1).
			Add(attrCountVersion, 1).
			Add(attrStateVersion, 1).
			SetExpr("$.$ = if_not_exists($.$, ?) + ?", attrByLanguage, lang, attrByLanguage, lang, 0, 1).
			If("attribute_exists($) AND $ = ? AND $ > ?", attrSessionID, attrIsActive, true, attrExpiresAt, ms(now)).
			If("$ < ?", attrListenerCount, capacity).
			Value(ctx, &it)
	})
	if dynamo.IsCondCheckFailed(err) {
		return session.Session{}, s.explainRefusal(ctx, "admit listener", sessionID, func(x session.Session) bool { return x.Live(now) }, session.ErrSessionFull)
	}
	if err != nil {
		return session.Session{}, failure("admit listener", err)
	}
	return it.domain(), nil
}

// Release uncounts one listener of lang; the condition keeps both counts
// from going below zero (and fails on an ended session, whose counts were
// reset).
func (s *Sessions) Release(ctx context.Context, sessionID, lang string) (session.Session, error) {
	var it sessionItem
	err := s.retryConflicts(ctx, func() error {
		return s.sessions.Update(attrSessionID, sessionID).
			Add(attrListenerCount, -1).
			Add(attrCountVersion, 1).
			Add(attrStateVersion, 1).
			SetExpr("$.$ = $.$ - ?", attrByLanguage, lang, attrByLanguage, lang, 1).
			If("$ > ? AND $.$ > ?", attrListenerCount, 0, attrByLanguage, lang, 0).
			Value(ctx, &it)
	})
	if dynamo.IsCondCheckFailed(err) {
		return session.Session{}, fmt.Errorf("release listener of %s: %w", sessionID, session.ErrNotCounted)
	}
	if err != nil {
		return session.Session{}, failure("release listener", err)
	}
	return it.domain(), nil
}

// Unadmit takes back a count Admit just made, version included.
func (s *Sessions) Unadmit(ctx context.Context, sessionID, lang string) error {
	err := s.retryConflicts(ctx, func() error {
		return s.sessions.Update(attrSessionID, sessionID).
			Add(attrListenerCount, -1).
			Add(attrCountVersion, -1).
			Add(attrStateVersion, 1). // a change too: the version only grows
			SetExpr("$.$ = $.$ - ?", attrByLanguage, lang, attrByLanguage, lang, 1).
			If("$ > ? AND $.$ > ?", attrListenerCount, 0, attrByLanguage, lang, 0).
			Run(ctx)
	})
	if dynamo.IsCondCheckFailed(err) {
		return fmt.Errorf("unadmit listener of %s: %w", sessionID, session.ErrNotCounted)
	}
	if err != nil {
		return failure("unadmit listener", err)
	}
	return nil
}

// TakeOverSpeaker points the session at a new connection of the same user,
// extends it, and ends a reconnect window and the pause it caused; then it
// registers the connection. Two single-item writes rather than a
// transaction on the hot session item: a replayed $connect repeats the same
// update and then finds its record; a crash between the two leaves a session
// whose speaker has no record, which the sweep treats as a lost speaker.
func (s *Sessions) TakeOverSpeaker(ctx context.Context, c session.Connection, expiresAt, now time.Time) (session.Session, error) {
	var before sessionItem
	err := s.retryConflicts(ctx, func() error {
		return s.sessions.Update(attrSessionID, c.SessionID).
			Set(attrSpeakerConnectionID, c.ID).
			Set(attrExpiresAt, ms(expiresAt)).
			Set(attrTTL, s.cfg.sessionTTL(expiresAt)).
			Remove(attrReconnectDeadline, attrGapPaused).
			Add(attrStateVersion, 1).
			If("attribute_exists($) AND $ = ? AND $ > ? AND $ = ?", attrSessionID, attrIsActive, true, attrExpiresAt, ms(now), attrSpeakerUserID, c.UserID).
			If("(attribute_not_exists($) OR $ > ?)", attrReconnectDeadline, attrReconnectDeadline, ms(now)).
			OldValue(ctx, &before)
	})
	if dynamo.IsCondCheckFailed(err) {
		inWindow := func(x session.Session) bool {
			return x.Live(now) && (x.SpeakerConnected() || now.Before(x.ReconnectDeadline))
		}
		return session.Session{}, s.explainRefusal(ctx, "take over speaker", c.SessionID, inWindow, session.ErrNotSpeaker)
	}
	if err != nil {
		return session.Session{}, failure("take over speaker", err)
	}
	if err := (&Connections{s.tables}).Register(ctx, c); err != nil {
		return session.Session{}, err
	}
	return before.changed(), nil
}

// SpeakerLost opens the session's reconnect window and pauses it for the gap.
func (s *Sessions) SpeakerLost(ctx context.Context, sessionID, speakerConnectionID string, deadline time.Time) (session.Session, error) {
	var before sessionItem
	err := s.retryConflicts(ctx, func() error {
		return s.sessions.Update(attrSessionID, sessionID).
			Set(attrReconnectDeadline, ms(deadline)).
			Set(attrGapPaused, true).
			Add(attrStateVersion, 1).
			If("$ = ? AND $ = ? AND attribute_not_exists($)", attrIsActive, true, attrSpeakerConnectionID, speakerConnectionID, attrReconnectDeadline).
			OldValue(ctx, &before)
	})
	if dynamo.IsCondCheckFailed(err) {
		sess, gerr := s.Get(ctx, sessionID)
		switch {
		case gerr != nil:
			return session.Session{}, gerr
		case !sess.Active:
			return session.Session{}, fmt.Errorf("speaker lost in %s: %w", sessionID, session.ErrNotFound)
		case sess.SpeakerConnectionID != speakerConnectionID:
			return session.Session{}, fmt.Errorf("speaker lost in %s: %w", sessionID, session.ErrNotSpeaker)
		default:
			return session.Session{}, fmt.Errorf("speaker lost in %s: %w", sessionID, session.ErrReplayed)
		}
	}
	if err != nil {
		return session.Session{}, failure("speaker lost", err)
	}
	return before.changed(), nil
}

// End deactivates a session still owned by speakerConnectionID, resets its
// counts and takes it out of the live-sessions index.
func (s *Sessions) End(ctx context.Context, sessionID, speakerConnectionID, reason string, now time.Time) (session.Session, error) {
	var before sessionItem
	err := s.retryConflicts(ctx, func() error {
		return s.sessions.Update(attrSessionID, sessionID).
			Set(attrIsActive, false).
			Set(attrEndedReason, reason).
			Set(attrListenerCount, 0).
			Set(attrByLanguage, map[string]int{}).
			Add(attrCountVersion, 1).
			Add(attrStateVersion, 1).
			Set(attrTTL, now.Add(s.cfg.RetentionBuffer).Unix()).
			Remove(attrLive).
			If("$ = ? AND $ = ?", attrIsActive, true, attrSpeakerConnectionID, speakerConnectionID).
			OldValue(ctx, &before)
	})
	if dynamo.IsCondCheckFailed(err) {
		return session.Session{}, s.explainRefusal(ctx, "end session", sessionID, func(x session.Session) bool { return x.Active }, session.ErrNotSpeaker)
	}
	if err != nil {
		return session.Session{}, failure("end session", err)
	}
	return before.changed(), nil
}

// SetBroadcast applies a speaker's control and returns the state before it.
func (s *Sessions) SetBroadcast(ctx context.Context, sessionID, speakerConnectionID string, change session.BroadcastChange) (session.Session, error) {
	var it sessionItem
	err := s.retryConflicts(ctx, func() error {
		up := s.sessions.Update(attrSessionID, sessionID).Add(attrStateVersion, 1)
		if change.Paused != nil {
			up = up.Set(attrPaused, *change.Paused)
		}
		if change.Muted != nil {
			up = up.Set(attrMuted, *change.Muted)
		}
		if change.Volume != nil {
			up = up.Set(attrVolume, *change.Volume)
		}
		return up.If("$ = ? AND $ = ?", attrIsActive, true, attrSpeakerConnectionID, speakerConnectionID).OldValue(ctx, &it)
	})
	if dynamo.IsCondCheckFailed(err) {
		return session.Session{}, s.explainRefusal(ctx, "control session", sessionID, func(x session.Session) bool { return x.Active }, session.ErrNotSpeaker)
	}
	if err != nil {
		return session.Session{}, failure("control session", err)
	}
	return it.changed(), nil
}

// explainRefusal reads the session after a failed condition (only refusal
// paths pay this read): ErrNotFound when it is gone or no longer usable,
// refusal otherwise.
func (s *Sessions) explainRefusal(ctx context.Context, op, sessionID string, usable func(session.Session) bool, refusal error) error {
	sess, err := s.Get(ctx, sessionID)
	if err != nil {
		return err
	}
	if !usable(sess) {
		return fmt.Errorf("%s %s: %w", op, sessionID, session.ErrNotFound)
	}
	return fmt.Errorf("%s %s: %w", op, sessionID, refusal)
}
