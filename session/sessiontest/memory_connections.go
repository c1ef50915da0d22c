package sessiontest

import (
	"context"
	"time"

	"github.com/livecast/sessions/session"
)

// Register implements session.Connections.
func (m memConnections) Register(_ context.Context, c session.Connection) error {
	if err := m.enter("Connections.Register"); err != nil {
		m.mu.Unlock()
		return err
	}
	defer m.mu.Unlock()
	if _, dup := m.records[c.ID]; dup {
		return session.ErrDuplicateConnection
	}
	m.records[c.ID] = &record{conn: storedConnection(c)}
	return nil
}

// Get implements session.Connections.
func (m memConnections) Get(_ context.Context, id string) (session.Connection, error) {
	if err := m.enter("Connections.Get"); err != nil {
		m.mu.Unlock()
		return session.Connection{}, err
	}
	defer m.mu.Unlock()
	r, ok := m.record(id)
	if !ok {
		return session.Connection{}, session.ErrNotFound
	}
	return r.conn, nil
}

// Remove implements session.Connections: a held seat is not removed; a
// closing mark is, and reported as none.
func (m memConnections) Remove(_ context.Context, id string) (session.Connection, error) {
	if err := m.enter("Connections.Remove"); err != nil {
		m.mu.Unlock()
		return session.Connection{}, err
	}
	defer m.mu.Unlock()
	r, ok := m.records[id]
	if !ok || r.conn.Held() {
		return session.Connection{}, session.ErrNotFound
	}
	delete(m.records, id)
	if r.conn.Closing() {
		return session.Connection{}, session.ErrNotFound
	}
	return r.conn, nil
}

// Hold implements session.Connections and returns the record as held.
func (m memConnections) Hold(_ context.Context, id string, until time.Time) (session.Connection, error) {
	if err := m.enter("Connections.Hold"); err != nil {
		m.mu.Unlock()
		return session.Connection{}, err
	}
	defer m.mu.Unlock()
	r, ok := m.record(id)
	if !ok || r.conn.Held() {
		return session.Connection{}, session.ErrNotFound
	}
	r.conn.HeldUntil = storedTime(until)
	return r.conn, nil
}

// ReleaseHeld implements session.Connections: a hold ending exactly at now
// has ended, as the store's "<=" has it.
func (m memConnections) ReleaseHeld(_ context.Context, id string, now time.Time) (session.Connection, error) {
	if err := m.enter("Connections.ReleaseHeld"); err != nil {
		m.mu.Unlock()
		return session.Connection{}, err
	}
	defer m.mu.Unlock()
	r, ok := m.record(id)
	if !ok || !r.conn.Held() || r.conn.HeldUntil.After(now) {
		return session.Connection{}, session.ErrNotFound
	}
	delete(m.records, id)
	return r.conn, nil
}

// Reclaim implements session.Connections: the old record must be the
// token's listener seat (hash, session, language) and not held past its
// window; a registered new connection wins over a refused token, as the
// store reads the transaction's cancellation reasons.
func (m memConnections) Reclaim(_ context.Context, old, c session.Connection, now time.Time) error {
	if err := m.enter("Connections.Reclaim"); err != nil {
		m.mu.Unlock()
		return err
	}
	defer m.mu.Unlock()
	if _, dup := m.records[c.ID]; dup {
		return session.ErrDuplicateConnection
	}
	r, ok := m.record(old.ID)
	if !ok || r.conn.ResumeHash != old.ResumeHash || r.conn.SessionID != old.SessionID ||
		r.conn.TargetLanguage != old.TargetLanguage || r.conn.Role != session.RoleListener ||
		(r.conn.Held() && !r.conn.HeldUntil.After(now)) {
		return session.ErrResumeRefused
	}
	delete(m.records, old.ID)
	m.records[c.ID] = &record{conn: storedConnection(c)}
	return nil
}

// Replace implements session.Connections: old must exist and not be held.
func (m memConnections) Replace(_ context.Context, old, c session.Connection) error {
	if err := m.enter("Connections.Replace"); err != nil {
		m.mu.Unlock()
		return err
	}
	defer m.mu.Unlock()
	if _, dup := m.records[c.ID]; dup {
		return session.ErrDuplicateConnection
	}
	r, ok := m.record(old.ID)
	if !ok || r.conn.Held() {
		return session.ErrNotFound
	}
	delete(m.records, old.ID)
	m.records[c.ID] = &record{conn: storedConnection(c)}
	return nil
}
