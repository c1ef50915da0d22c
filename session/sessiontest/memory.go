package sessiontest

import (
	"maps"
	"sync"
	"time"

	"github.com/livecast/sessions/session"
)

// Memory is an in-memory implementation of the storage ports (Sessions,
// Connections, SweepScans) for the domain's unit tests. It keeps the ports'
// contracts as RunContract pins them for the DynamoDB store too: every
// method is one atomic step under one lock, so it is safe for concurrent use
// and a concurrency bug in the domain cannot hide behind the double.
//
// Tests may seed and inspect it directly (memory_backdoor.go), and make any
// method fail with FailNext.
type Memory struct {
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
	before map[string]func(Backdoor)
	// audioSeq is each session's audio sequence counter.
	audioSeq map[string]int64
}

// record is a connection record with the bookkeeping the store keeps beside
// the domain's fields.
type record struct {
	conn          session.Connection
	lastRequestID string
	beatMinute    int64 // the minute beats counts in
	beats         int
}

// NewMemory returns an empty double.
func NewMemory() *Memory {
	return &Memory{
		sessions: map[string]session.Session{},
		records:  map[string]*record{},
		faults:   map[string][]error{},
		calls:    map[string]int{},
		unseen:   map[string]bool{},
		before:   map[string]func(Backdoor){},
		audioSeq: map[string]int64{},
	}
}

// The three ports are views of one Memory, as the store's are of its tables.
type (
	memSessions    struct{ *Memory }
	memConnections struct{ *Memory }
	memScans       struct{ *Memory }
)

var (
	_ session.Sessions    = memSessions{}
	_ session.Connections = memConnections{}
	_ session.SweepScans  = memScans{}
)

// Sessions is the double's session.Sessions.
func (m *Memory) Sessions() session.Sessions { return memSessions{m} }

// Connections is the double's session.Connections.
func (m *Memory) Connections() session.Connections { return memConnections{m} }

// Scans is the double's session.SweepScans.
func (m *Memory) Scans() session.SweepScans { return memScans{m} }

// record returns the record of id unless there is none or it is a closing
// mark, which the store's conditions (attribute_exists(role)) treat as none.
// The caller holds m.mu.
func (m *Memory) record(id string) (*record, bool) {
	r, ok := m.records[id]
	if !ok || r.conn.Closing() {
		return nil, false
	}
	return r, true
}

// enter takes the lock for one port call and returns the injected fault, if
// any. The caller must unlock.
func (m *Memory) enter(method string) error {
	m.mu.Lock()
	m.calls[method]++
	if hook := m.before[method]; hook != nil {
		delete(m.before, method)
		hook(Backdoor{m})
	}
	if q := m.faults[method]; len(q) > 0 {
		m.faults[method] = q[1:]
		return q[0]
	}
	return nil
}

// BeforeNext runs change just before the next call of method (e.g.
// "Sessions.End") takes effect, as a concurrent invocation would: under the
// call's lock, so nothing comes between the two.
func (m *Memory) BeforeNext(method string, change func(Backdoor)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.before[method] = change
}

// FailNext makes the next len(errs) calls of method (e.g.
// "Connections.Register") return errs in order, changing nothing.
func (m *Memory) FailNext(method string, errs ...error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.faults[method] = append(m.faults[method], errs...)
}

// CallCount is how often method was called, failed calls included.
func (m *Memory) CallCount(method string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.calls[method]
}

// TotalCalls is how many port calls were made, failed ones included.
func (m *Memory) TotalCalls() int {
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

// storedTime is t as DynamoDB keeps it: whole milliseconds, read back in
// UTC. The double keeps times so too, so a domain test cannot pass on a
// precision or a zone the store would lose.
func storedTime(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return time.UnixMilli(t.UnixMilli()).UTC()
}

// storedSession is s with its times as stored, and a map of its own.
func storedSession(s session.Session) session.Session {
	s = cloneSession(s)
	s.CreatedAt, s.ExpiresAt, s.ReconnectDeadline = storedTime(s.CreatedAt), storedTime(s.ExpiresAt), storedTime(s.ReconnectDeadline)
	return s
}

// storedConnection is c with its times as stored.
func storedConnection(c session.Connection) session.Connection {
	c.ConnectedAt, c.LastSeenAt = storedTime(c.ConnectedAt), storedTime(c.LastSeenAt)
	c.HeldUntil, c.ClosingSince = storedTime(c.HeldUntil), storedTime(c.ClosingSince)
	return c
}
