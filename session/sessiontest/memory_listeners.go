package sessiontest

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/livecast/sessions/session"
)

// Listeners implements session.Connections in the order of the store's
// index (language, then id).
func (m memConnections) Listeners(_ context.Context, sessionID, lang string) ([]session.Connection, error) {
	if err := m.enter("Connections.Listeners"); err != nil {
		m.mu.Unlock()
		return nil, err
	}
	defer m.mu.Unlock()
	return m.listeners(sessionID, lang), nil
}

// listeners is what the listeners index holds for (sessionID, lang), in its
// order (language, then id). The caller holds m.mu.
func (m *Memory) listeners(sessionID, lang string) []session.Connection {
	var out []session.Connection
	for _, r := range m.records {
		c := r.conn
		if c.Role == session.RoleListener && c.SessionID == sessionID && (lang == "" || c.TargetLanguage == lang) {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b session.Connection) int {
		return cmp.Or(strings.Compare(a.TargetLanguage, b.TargetLanguage), strings.Compare(a.ID, b.ID))
	})
	return out
}

// Audience implements session.Connections with Listeners' records cut to
// the fields the store's projection reads.
func (m memConnections) Audience(_ context.Context, sessionID, lang string) ([]session.Connection, error) {
	if err := m.enter("Connections.Audience"); err != nil {
		m.mu.Unlock()
		return nil, err
	}
	defer m.mu.Unlock()
	full := m.listeners(sessionID, lang)
	out := make([]session.Connection, len(full))
	for i, c := range full {
		out[i] = session.Connection{ID: c.ID, SessionID: c.SessionID, Role: c.Role, TargetLanguage: c.TargetLanguage, HeldUntil: c.HeldUntil}
	}
	return out, nil
}

// MarkClosing implements session.Connections: a mark replaces whatever
// record there was, or none.
func (m memConnections) MarkClosing(_ context.Context, sessionID, reason string, ids []string, now time.Time) error {
	if err := m.enter("Connections.MarkClosing"); err != nil {
		m.mu.Unlock()
		return err
	}
	defer m.mu.Unlock()
	for _, id := range ids {
		m.records[id] = &record{conn: session.Connection{ID: id, SessionID: sessionID, ClosingSince: storedTime(now), ClosingReason: reason}}
	}
	return nil
}

// DeleteMany implements session.Connections; held or not, present or not.
func (m memConnections) DeleteMany(_ context.Context, ids []string) error {
	if err := m.enter("Connections.DeleteMany"); err != nil {
		m.mu.Unlock()
		return err
	}
	defer m.mu.Unlock()
	for _, id := range ids {
		delete(m.records, id)
	}
	return nil
}
