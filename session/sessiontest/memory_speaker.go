package sessiontest

import (
	"context"
	"time"

	"github.com/livecast/sessions/session"
)

// spokenSession is the active session sessionID if speakerConnectionID is
// its speaker, as the store's "isActive AND speakerConnectionId = ?"
// conditions have it: ErrNotFound, ErrNotSpeaker. The caller holds m.mu.
func (m *Memory) spokenSession(sessionID, speakerConnectionID string) (session.Session, error) {
	s, ok := m.sessions[sessionID]
	switch {
	case !ok || !s.Active:
		return session.Session{}, session.ErrNotFound
	case s.SpeakerConnectionID != speakerConnectionID:
		return session.Session{}, session.ErrNotSpeaker
	}
	return s, nil
}

// changed is what a write returning the session as it was returns: before,
// with the state version the write gave it (as the store's ALL_OLD updates).
func changed(before, after session.Session) session.Session {
	b := cloneSession(before)
	b.StateVersion = after.StateVersion
	return b
}

// SpeakerLost implements session.Sessions; like the store it answers
// ErrReplayed when the window is already open.
func (m memSessions) SpeakerLost(_ context.Context, sessionID, speakerConnectionID string, deadline time.Time) (session.Session, error) {
	if err := m.enter("Sessions.SpeakerLost"); err != nil {
		m.mu.Unlock()
		return session.Session{}, err
	}
	defer m.mu.Unlock()
	before, err := m.spokenSession(sessionID, speakerConnectionID)
	switch {
	case err != nil:
		return session.Session{}, err
	case !before.ReconnectDeadline.IsZero():
		return session.Session{}, session.ErrReplayed
	}
	after := cloneSession(before)
	after.ReconnectDeadline = storedTime(deadline)
	after.GapPaused = true
	after.StateVersion++
	m.sessions[sessionID] = after
	return changed(before, after), nil
}

// End implements session.Sessions.
func (m memSessions) End(_ context.Context, sessionID, speakerConnectionID, reason string, _ time.Time) (session.Session, error) {
	if err := m.enter("Sessions.End"); err != nil {
		m.mu.Unlock()
		return session.Session{}, err
	}
	defer m.mu.Unlock()
	before, err := m.spokenSession(sessionID, speakerConnectionID)
	if err != nil {
		return session.Session{}, err
	}
	after := cloneSession(before)
	after.Active = false
	after.EndedReason = reason
	after.ListenerCount = 0
	after.ByLanguage = map[string]int{}
	after.Version++
	after.StateVersion++
	m.sessions[sessionID] = after
	return changed(before, after), nil
}

// SetBroadcast implements session.Sessions.
func (m memSessions) SetBroadcast(_ context.Context, sessionID, speakerConnectionID string, change session.BroadcastChange) (session.Session, error) {
	if err := m.enter("Sessions.SetBroadcast"); err != nil {
		m.mu.Unlock()
		return session.Session{}, err
	}
	defer m.mu.Unlock()
	before, err := m.spokenSession(sessionID, speakerConnectionID)
	if err != nil {
		return session.Session{}, err
	}
	after := cloneSession(before)
	if change.Paused != nil {
		after.Broadcast.Paused = *change.Paused
	}
	if change.Muted != nil {
		after.Broadcast.Muted = *change.Muted
	}
	if change.Volume != nil {
		after.Broadcast.Volume = *change.Volume
	}
	after.StateVersion++
	m.sessions[sessionID] = after
	return changed(before, after), nil
}
