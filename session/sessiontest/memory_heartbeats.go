package sessiontest

import (
	"context"
	"time"

	"github.com/livecast/sessions/session"
)

// Touch implements session.Connections with the store's per-minute window:
// a replay is recognised before the limit is applied.
func (m memConnections) Touch(_ context.Context, connectionID, requestID string, now time.Time, limit int) (session.Connection, error) {
	if err := m.enter("Connections.Touch"); err != nil {
		m.mu.Unlock()
		return session.Connection{}, err
	}
	defer m.mu.Unlock()
	r, ok := m.record(connectionID)
	if !ok {
		return session.Connection{}, session.ErrNotFound
	}
	minute := now.Unix() / 60
	if r.beatMinute != minute {
		r.beatMinute, r.beats = minute, 0
	}
	switch {
	case requestID != "" && r.lastRequestID == requestID:
		return r.conn, session.ErrReplayed
	case r.beats >= limit:
		return r.conn, &session.RateLimitedError{Limit: "heartbeats", RetryAfter: max(int((minute+1)*60-now.Unix()), 1)}
	}
	before := r.conn
	r.conn.LastSeenAt = storedTime(now)
	r.beats++
	if requestID != "" {
		r.lastRequestID = requestID
	}
	return before, nil
}

// SwitchLanguage implements session.Connections: the record must still say
// the language it was read with and the session must count it there.
func (m memConnections) SwitchLanguage(_ context.Context, c session.Connection, lang string) error {
	if err := m.enter("Connections.SwitchLanguage"); err != nil {
		m.mu.Unlock()
		return err
	}
	defer m.mu.Unlock()
	from := c.TargetLanguage
	r, ok := m.record(c.ID)
	if !ok {
		return session.ErrNotFound
	}
	s, live := m.sessions[c.SessionID]
	if r.conn.Role != session.RoleListener || r.conn.TargetLanguage != from || !live || !s.Active || s.ByLanguage[from] <= 0 {
		if r.conn.TargetLanguage == lang {
			return session.ErrReplayed
		}
		return session.ErrNotFound
	}
	r.conn.TargetLanguage = lang
	s = cloneSession(s)
	s.ByLanguage[from]--
	s.ByLanguage[lang]++
	s.Version++
	s.StateVersion++
	m.sessions[c.SessionID] = s
	return nil
}
