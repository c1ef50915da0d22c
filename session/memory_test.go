package session_test

import (
	"cmp"
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/livecast/sessions/session"
)

// memory is an in-memory implementation of the storage ports (Sessions,
// Connections, SweepScans) for the domain's unit tests. It follows the
// contracts in ports.go and the conditions store/ writes to DynamoDB: every
// method is one atomic step under one lock, so it is safe for concurrent use
// and a concurrency bug in the domain cannot hide behind the double.
//
// Tests may seed and inspect it directly, and make any method fail with
// failNext.
type memory struct {
	mu       sync.Mutex
	sessions map[string]session.Session
	records  map[string]*record
	faults   map[string][]error // method name -> errors to return, in order
	calls    map[string]int     // method name -> calls so far
	// unseen sessions are left out of LiveSessions, as if created after
	// the sweep's read of the live-sessions index.
	unseen map[string]bool
	// before runs once, under the lock, at the next call of a method: what
	// another invocation changed just before that call.
	before map[string]func(*memory)
}

// record is a connection record with the bookkeeping the store keeps beside
// the domain's fields.
type record struct {
	conn          session.Connection
	lastRequestID string
	beatMinute    int64 // the minute beats counts in
	beats         int
}

// record returns the record of id unless there is none or it is a closing
// mark, which the store's conditions (attribute_exists(role)) treat as none.
// The caller holds m.mu.
func (m *memory) record(id string) (*record, bool) {
	r, ok := m.records[id]
	if !ok || r.conn.Closing() {
		return nil, false
	}
	return r, true
}

func newMemory() *memory {
	return &memory{
		sessions: map[string]session.Session{},
		records:  map[string]*record{},
		faults:   map[string][]error{},
		calls:    map[string]int{},
		unseen:   map[string]bool{},
		before:   map[string]func(*memory){},
	}
}

// The three ports are views of one memory, as the store's tables are.
type (
	memSessions    struct{ *memory }
	memConnections struct{ *memory }
	memScans       struct{ *memory }
)

var (
	_ session.Sessions    = memSessions{}
	_ session.Connections = memConnections{}
	_ session.SweepScans  = memScans{}
)

// beforeNext runs change under the lock just before the next call of method
// takes effect, as a concurrent invocation would.
func (m *memory) beforeNext(method string, change func(*memory)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.before[method] = change
}

// failNext makes the next len(errs) calls of method (e.g.
// "Connections.Register") return errs in order, changing nothing.
func (m *memory) failNext(method string, errs ...error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.faults[method] = append(m.faults[method], errs...)
}

// callCount is how often method was called, failed calls included.
func (m *memory) callCount(method string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.calls[method]
}

// enter takes the lock for one port call and returns the injected fault, if
// any. The caller must unlock.
func (m *memory) enter(method string) error {
	m.mu.Lock()
	m.calls[method]++
	if hook := m.before[method]; hook != nil {
		delete(m.before, method)
		hook(m)
	}
	if q := m.faults[method]; len(q) > 0 {
		m.faults[method] = q[1:]
		return q[0]
	}
	return nil
}

// putSession seeds a session as stored (no checks).
func (m *memory) putSession(s session.Session) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sessions[s.ID] = cloneSession(s)
}

// putConnection seeds a connection record as stored (no checks).
func (m *memory) putConnection(c session.Connection) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.records[c.ID] = &record{conn: c}
}

// session returns a stored session; ok is false when there is none.
func (m *memory) session(id string) (session.Session, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.sessions[id]
	return cloneSession(s), ok
}

// connection returns a stored record; ok is false when there is none.
func (m *memory) connection(id string) (session.Connection, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.records[id]
	if !ok {
		return session.Connection{}, false
	}
	return r.conn, true
}

// state is a deep copy of everything stored, for "changes nothing" checks.
type state struct {
	Sessions    map[string]session.Session
	Connections map[string]session.Connection
}

func (m *memory) state() state {
	m.mu.Lock()
	defer m.mu.Unlock()
	st := state{Sessions: map[string]session.Session{}, Connections: map[string]session.Connection{}}
	for id, s := range m.sessions {
		st.Sessions[id] = cloneSession(s)
	}
	for id, r := range m.records {
		st.Connections[id] = r.conn
	}
	return st
}

// withoutStateVersions is st with every session's state version zeroed: a
// replayed join takes its count back with a second write, and the version,
// which only grows, grows by two with nothing to report (no message carries
// those numbers).
func (st state) withoutStateVersions() state {
	for id, s := range st.Sessions {
		s.StateVersion = 0
		st.Sessions[id] = s
	}
	return st
}

// heardFromAllAt makes every record look alive at now, so a test that
// moves the clock decides alone who is silent.
func (m *memory) heardFromAllAt(now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range m.records {
		r.conn.LastSeenAt = now
	}
}

// hideFromLiveSessions makes LiveSessions miss a session.
func (m *memory) hideFromLiveSessions(id string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.unseen[id] = true
}

// connectionIDs lists the id of every stored record and closing mark, sorted.
func (m *memory) connectionIDs() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Sorted(maps.Keys(m.records))
}

// closingIDs lists the ids of the closing marks, sorted.
func (m *memory) closingIDs() []string {
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

// totalCalls is how many port calls were made, failed ones included.
func (m *memory) totalCalls() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, c := range m.calls {
		n += c
	}
	return n
}

func cloneSession(s session.Session) session.Session {
	s.ByLanguage = maps.Clone(s.ByLanguage)
	return s
}

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
	s.StateVersion = max(s.StateVersion, 1)
	m.sessions[s.ID] = cloneSession(s)
	m.records[speaker.ID] = &record{conn: speaker}
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
	case before.SpeakerUserID != c.UserID:
		return session.Session{}, session.ErrNotSpeaker
	}
	if _, dup := m.records[c.ID]; dup {
		return session.Session{}, session.ErrDuplicateConnection
	}
	after := cloneSession(before)
	after.SpeakerConnectionID = c.ID
	after.ExpiresAt = expiresAt
	after.ReconnectDeadline = time.Time{}
	after.GapPaused = false
	after.StateVersion++
	m.sessions[c.SessionID] = after
	m.records[c.ID] = &record{conn: c}
	return changed(before, after), nil
}

// changed is what a write returning the session as it was returns: before,
// with the state version the write gave it (as the store's ALL_OLD updates).
func changed(before, after session.Session) session.Session {
	b := cloneSession(before)
	b.StateVersion = after.StateVersion
	return b
}

// spokenSession is the active session sessionID if speakerConnectionID is
// its speaker, as the store's "isActive AND speakerConnectionId = ?"
// conditions have it: ErrNotFound, ErrNotSpeaker. The caller holds m.mu.
func (m *memory) spokenSession(sessionID, speakerConnectionID string) (session.Session, error) {
	s, ok := m.sessions[sessionID]
	switch {
	case !ok || !s.Active:
		return session.Session{}, session.ErrNotFound
	case s.SpeakerConnectionID != speakerConnectionID:
		return session.Session{}, session.ErrNotSpeaker
	}
	return s, nil
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
	after.ReconnectDeadline = deadline
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
	m.records[c.ID] = &record{conn: c}
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
	r.conn.HeldUntil = until
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
	m.records[c.ID] = &record{conn: c}
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
	m.records[c.ID] = &record{conn: c}
	return nil
}

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
func (m *memory) listeners(sessionID, lang string) []session.Connection {
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
		m.records[id] = &record{conn: session.Connection{ID: id, SessionID: sessionID, ClosingSince: now, ClosingReason: reason}}
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
	r.conn.LastSeenAt = now
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

// memLimiter is an in-memory session.Limiter with the store's fixed windows:
// a window is a set of members, so a replayed member is not counted twice.
// Unlike the store (one write per window length) it takes every limit or
// none in one step, as the port promises.
type memLimiter struct {
	mu      sync.Mutex
	members map[string]map[string]bool // key#limit#windowStart -> members
	fault   error                      // returned by every Take while set
}

var _ session.Limiter = (*memLimiter)(nil)

func newMemLimiter() *memLimiter { return &memLimiter{members: map[string]map[string]bool{}} }

// failWith makes every Take return err (nil: work again).
func (l *memLimiter) failWith(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.fault = err
}

// Take implements session.Limiter.
func (l *memLimiter) Take(_ context.Context, key, member string, limits []session.Limit, now time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fault != nil {
		return l.fault
	}
	bucket := func(lim session.Limit) string {
		return key + "#" + lim.Name + "#" + now.Truncate(lim.Window).Format(time.RFC3339Nano)
	}
	for _, lim := range limits {
		set := l.members[bucket(lim)]
		if len(set) >= lim.Max && !set[member] {
			end := now.Truncate(lim.Window).Add(lim.Window)
			return &session.RateLimitedError{Limit: lim.Name, RetryAfter: max(int(end.Sub(now).Round(time.Second)/time.Second), 1)}
		}
	}
	for _, lim := range limits {
		b := bucket(lim)
		if l.members[b] == nil {
			l.members[b] = map[string]bool{}
		}
		l.members[b][member] = true
	}
	return nil
}

// errBoom is an unexpected failure of a dependency.
var errBoom = errors.New("boom: dependency failed")
