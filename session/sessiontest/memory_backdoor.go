package sessiontest

import (
	"maps"
	"slices"
	"time"

	"github.com/livecast/sessions/session"
)

// Backdoor seeds and reads the stored state without the ports' checks. A
// BeforeNext hook gets one that works under the lock the hook runs in; the
// Memory methods of the same names take the lock themselves.
type Backdoor struct{ m *Memory }

// PutSession stores s as it is (no checks).
func (b Backdoor) PutSession(s session.Session) { b.m.sessions[s.ID] = cloneSession(s) }

// PutConnection stores c as it is (no checks).
func (b Backdoor) PutConnection(c session.Connection) { b.m.records[c.ID] = &record{conn: c} }

// Session returns a stored session; ok is false when there is none.
func (b Backdoor) Session(id string) (session.Session, bool) {
	s, ok := b.m.sessions[id]
	return cloneSession(s), ok
}

// PutSession seeds a session as stored (no checks).
func (m *Memory) PutSession(s session.Session) {
	m.mu.Lock()
	defer m.mu.Unlock()
	Backdoor{m}.PutSession(s)
}

// PutConnection seeds a connection record as stored (no checks).
func (m *Memory) PutConnection(c session.Connection) {
	m.mu.Lock()
	defer m.mu.Unlock()
	Backdoor{m}.PutConnection(c)
}

// Session returns a stored session; ok is false when there is none.
func (m *Memory) Session(id string) (session.Session, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return Backdoor{m}.Session(id)
}

// Connection returns a stored record or closing mark; ok is false when
// there is none.
func (m *Memory) Connection(id string) (session.Connection, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.records[id]
	if !ok {
		return session.Connection{}, false
	}
	return r.conn, true
}

// State is a deep copy of everything stored, for "changes nothing" checks.
type State struct {
	Sessions    map[string]session.Session
	Connections map[string]session.Connection
}

// WithoutStateVersions is st with every session's state version zeroed: a
// replayed join takes its count back with a second write, and the version,
// which only grows, grows by two with nothing to report.
func (st State) WithoutStateVersions() State {
	for id, s := range st.Sessions {
		s.StateVersion = 0
		st.Sessions[id] = s
	}
	return st
}

// State returns a deep copy of everything stored.
func (m *Memory) State() State {
	m.mu.Lock()
	defer m.mu.Unlock()
	st := State{Sessions: map[string]session.Session{}, Connections: map[string]session.Connection{}}
	for id, s := range m.sessions {
		st.Sessions[id] = cloneSession(s)
	}
	for id, r := range m.records {
		st.Connections[id] = r.conn
	}
	return st
}

// HeardFromAllAt makes every record look alive at now, so a test that
// moves the clock decides alone who is silent.
func (m *Memory) HeardFromAllAt(now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range m.records {
		r.conn.LastSeenAt = now
	}
}

// HideFromLiveSessions makes LiveSessions miss a session.
func (m *Memory) HideFromLiveSessions(id string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.unseen[id] = true
}

// ConnectionIDs lists the id of every stored record and closing mark, sorted.
func (m *Memory) ConnectionIDs() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Sorted(maps.Keys(m.records))
}

// ClosingIDs lists the ids of the closing marks, sorted.
func (m *Memory) ClosingIDs() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for id, r := range m.records {
		if r.conn.Closing() {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}
