package sessiontest

import (
	"context"
	"time"

	"github.com/livecast/sessions/session"
)

// Create implements session.Sessions: an id is reusable once its session is
// inactive or expired at the new one's creation.
func (m memSessions) Create(_ context.Context, s session.Session, speaker session.Connection) error {
	if err := m.enter("Sessions.Create"); err != nil {
		m.mu.Unlock()
		return err
	}
	defer m.mu.Unlock()
	if _, dup := m.records[speaker.ID]; dup {
		return session.ErrDuplicateConnection
	}
	if old, ok := m.sessions[s.ID]; ok && old.Active && old.ExpiresAt.After(s.CreatedAt) {
		return session.ErrSessionIDTaken
	}
	if s.ByLanguage == nil {
		s.ByLanguage = map[string]int{}
	}
	s.StateVersion = max(s.StateVersion, 1) // as the store writes a new session
	m.sessions[s.ID] = storedSession(s)
	m.records[speaker.ID] = &record{conn: storedConnection(speaker)}
	return nil
}

// Get implements session.Sessions.
func (m memSessions) Get(_ context.Context, id string) (session.Session, error) {
	if err := m.enter("Sessions.Get"); err != nil {
		m.mu.Unlock()
		return session.Session{}, err
	}
	defer m.mu.Unlock()
	s, ok := m.sessions[id]
	if !ok {
		return session.Session{}, session.ErrNotFound
	}
	return cloneSession(s), nil
}

// Admit implements session.Sessions: the liveness check, the capacity check
// and the increment are one step.
func (m memSessions) Admit(_ context.Context, sessionID, lang string, capacity int, now time.Time) (session.Session, error) {
	if err := m.enter("Sessions.Admit"); err != nil {
		m.mu.Unlock()
		return session.Session{}, err
	}
	defer m.mu.Unlock()
	s, ok := m.sessions[sessionID]
	switch {
	case !ok || !s.Live(now):
		return session.Session{}, session.ErrNotFound
	case s.ListenerCount >= capacity:
		return session.Session{}, session.ErrSessionFull
	}
	s = cloneSession(s)
	if s.ByLanguage == nil {
		s.ByLanguage = map[string]int{}
	}
	s.ListenerCount++
	s.ByLanguage[lang]++
	s.Version++
	s.StateVersion++
	m.sessions[sessionID] = s
	return cloneSession(s), nil
}

// Unadmit implements session.Sessions: counts and version return to where
// they were before the Admit it undoes.
func (m memSessions) Unadmit(_ context.Context, sessionID, lang string) error {
	if err := m.enter("Sessions.Unadmit"); err != nil {
		m.mu.Unlock()
		return err
	}
	defer m.mu.Unlock()
	s, ok := m.sessions[sessionID]
	if !ok || s.ListenerCount <= 0 || s.ByLanguage[lang] <= 0 {
		return session.ErrNotCounted
	}
	s = cloneSession(s)
	s.ListenerCount--
	s.ByLanguage[lang]--
	s.Version--
	s.StateVersion++ // a change too: the version only grows
	m.sessions[sessionID] = s
	return nil
}

// Release implements session.Sessions: neither count goes below zero.
func (m memSessions) Release(_ context.Context, sessionID, lang string) (session.Session, error) {
	if err := m.enter("Sessions.Release"); err != nil {
		m.mu.Unlock()
		return session.Session{}, err
	}
	defer m.mu.Unlock()
	s, ok := m.sessions[sessionID]
	if !ok || s.ListenerCount <= 0 || s.ByLanguage[lang] <= 0 {
		return session.Session{}, session.ErrNotCounted
	}
	s = cloneSession(s)
	s.ListenerCount--
	s.ByLanguage[lang]--
	s.Version++
	s.StateVersion++
	m.sessions[sessionID] = s
	return cloneSession(s), nil
}

// TakeOverSpeaker implements session.Sessions. Unlike the store's two
// writes, the update and the registration are one step here: the port
// promises only the outcome.
func (m memSessions) TakeOverSpeaker(_ context.Context, c session.Connection, expiresAt, now time.Time) (session.Session, error) {
	if err := m.enter("Sessions.TakeOverSpeaker"); err != nil {
		m.mu.Unlock()
		return session.Session{}, err
	}
	defer m.mu.Unlock()
	before, ok := m.sessions[c.SessionID]
	switch {
	case !ok || !before.Live(now):
		return session.Session{}, session.ErrNotFound
	case !before.SpeakerConnected() && !now.Before(before.ReconnectDeadline):
		// The speaker's window has passed: the session is over for it, and
		// the sweep's to end.
		return session.Session{}, session.ErrNotFound
	case before.SpeakerUserID != c.UserID:
		return session.Session{}, session.ErrNotSpeaker
	}
	if _, dup := m.records[c.ID]; dup {
		return session.Session{}, session.ErrDuplicateConnection
	}
	after := cloneSession(before)
	after.SpeakerConnectionID = c.ID
	after.ExpiresAt = storedTime(expiresAt)
	after.ReconnectDeadline = time.Time{}
	after.GapPaused = false
	after.StateVersion++
	m.sessions[c.SessionID] = after
	m.records[c.ID] = &record{conn: storedConnection(c)}
	return changed(before, after), nil
}
