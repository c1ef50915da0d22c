package sessiontest

import (
	"context"
	"maps"
	"slices"

	"github.com/livecast/sessions/session"
)

// LiveSessions implements session.SweepScans: the active sessions.
func (m memScans) LiveSessions(context.Context) ([]session.Session, error) {
	if err := m.enter("SweepScans.LiveSessions"); err != nil {
		m.mu.Unlock()
		return nil, err
	}
	defer m.mu.Unlock()
	var out []session.Session
	for _, id := range slices.Sorted(maps.Keys(m.sessions)) {
		if s := m.sessions[id]; !m.unseen[id] && s.Active {
			out = append(out, cloneSession(s))
		}
	}
	return out, nil
}

// AllConnections implements session.SweepScans.
func (m memScans) AllConnections(context.Context) ([]session.Connection, error) {
	if err := m.enter("SweepScans.AllConnections"); err != nil {
		m.mu.Unlock()
		return nil, err
	}
	defer m.mu.Unlock()
	out := make([]session.Connection, 0, len(m.records))
	for _, id := range slices.Sorted(maps.Keys(m.records)) {
		out = append(out, m.records[id].conn)
	}
	return out, nil
}

// SetCounts implements session.SweepScans, guarded by sess.Version.
func (m memScans) SetCounts(_ context.Context, sess session.Session, total int, byLanguage map[string]int) error {
	if err := m.enter("SweepScans.SetCounts"); err != nil {
		m.mu.Unlock()
		return err
	}
	defer m.mu.Unlock()
	s, ok := m.sessions[sess.ID]
	if !ok || !s.Active || s.Version != sess.Version {
		return session.ErrCountsChanged
	}
	s = cloneSession(s)
	s.ListenerCount = total
	s.ByLanguage = maps.Clone(byLanguage)
	if s.ByLanguage == nil {
		s.ByLanguage = map[string]int{}
	}
	s.Version++
	s.StateVersion++
	m.sessions[sess.ID] = s
	return nil
}
