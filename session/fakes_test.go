package session_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/livecast/sessions/session"
	"github.com/livecast/sessions/session/sessiontest"
)

// delivery is one message the service sent.
type delivery struct {
	to  string
	msg session.Message
}

// messenger is a recording session.Messenger. Connections listed in gone
// answer ErrConnectionGone (as @connections answers 410); goneTimes makes a
// connection answer it only for its next sends.
type messenger struct {
	mu           sync.Mutex
	sent         []delivery
	disconnected []string
	gone         map[string]bool
	goneTimes    map[string]int
	sendFault    error  // returned by every Send while set
	closeFault   error  // returned by every Disconnect while set
	onGone       func() // called on every gone answer, e.g. to move the clock
}

var _ session.Messenger = (*messenger)(nil)

func newMessenger() *messenger {
	return &messenger{gone: map[string]bool{}, goneTimes: map[string]int{}}
}

// Send implements session.Messenger.
func (m *messenger) Send(_ context.Context, connectionID string, msg session.Message) error {
	m.mu.Lock()
	gone := m.gone[connectionID] || m.goneTimes[connectionID] > 0
	if m.goneTimes[connectionID] > 0 {
		m.goneTimes[connectionID]--
	}
	fault, onGone := m.sendFault, m.onGone
	if !gone && fault == nil {
		m.sent = append(m.sent, delivery{to: connectionID, msg: msg})
	}
	m.mu.Unlock()
	switch {
	case gone:
		if onGone != nil {
			onGone()
		}
		return fmt.Errorf("post to connection: %w", session.ErrConnectionGone)
	case fault != nil:
		return fault
	}
	return nil
}

// Disconnect implements session.Messenger.
func (m *messenger) Disconnect(_ context.Context, connectionID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.disconnected = append(m.disconnected, connectionID)
	if m.gone[connectionID] {
		return session.ErrConnectionGone
	}
	return m.closeFault
}

func (m *messenger) setGone(ids ...string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, id := range ids {
		m.gone[id] = true
	}
}

// goneFor makes connectionID answer ErrConnectionGone for its next n sends.
func (m *messenger) goneFor(connectionID string, n int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.goneTimes[connectionID] = n
}

func (m *messenger) setSendFault(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sendFault = err
}

func (m *messenger) setCloseFault(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closeFault = err
}

// to returns the messages delivered to connectionID, in order, without
// their state versions: the tests of what the service says read better
// without them, and stateversion_test.go pins the versions (versionedTo).
func (m *messenger) to(connectionID string) []session.Message {
	out := m.versionedTo(connectionID)
	for i, msg := range out {
		out[i] = withoutVersion(msg)
	}
	return out
}

// versionedTo returns the messages delivered to connectionID, in order, as
// sent.
func (m *messenger) versionedTo(connectionID string) []session.Message {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []session.Message
	for _, d := range m.sent {
		if d.to == connectionID {
			out = append(out, d.msg)
		}
	}
	return out
}

// withoutVersion is msg with its state version zeroed.
func withoutVersion(msg session.Message) session.Message {
	switch m := msg.(type) {
	case session.BroadcastChanged:
		m.StateVersion = 0
		return m
	case session.PausedChanged:
		m.StateVersion = 0
		return m
	case session.SpeakerDisconnected:
		m.StateVersion = 0
		return m
	case session.SpeakerReconnected:
		m.StateVersion = 0
		return m
	case session.ListenerCount:
		m.StateVersion = 0
		return m
	case session.SessionEnded:
		m.StateVersion = 0
		return m
	}
	return msg
}

// all returns every delivery, in order.
func (m *messenger) all() []delivery {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]delivery(nil), m.sent...)
}

// closed returns the connections the service disconnected, in order.
func (m *messenger) closed() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.disconnected...)
}

// reset forgets what was sent and closed so far.
func (m *messenger) reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent, m.disconnected = nil, nil
}

// Tokens the fake verifier knows.
const (
	aliceToken   = "token-alice"
	bobToken     = "token-bob"
	expiredToken = "token-expired"
	jwksDown     = "token-while-jwks-is-down"
	aliceID      = "user-alice"
	bobID        = "user-bob"
)

// verifier is a fake session.TokenVerifier: two good tokens, an expired
// one, one that finds the key set unreachable, and anything else invalid.
type verifier struct{}

// Verify implements session.TokenVerifier with the errors it may wrap.
func (verifier) Verify(_ context.Context, token string) (session.Identity, error) {
	switch token {
	case aliceToken:
		return session.Identity{UserID: aliceID, Email: "alice@example.com"}, nil
	case bobToken:
		return session.Identity{UserID: bobID, Email: "bob@example.com"}, nil
	case expiredToken:
		return session.Identity{}, fmt.Errorf("%w: expired at %s", session.ErrTokenExpired, start.Format(time.RFC3339))
	case jwksDown:
		return session.Identity{}, fmt.Errorf("%w: fetch failed", session.ErrUnavailable)
	default:
		return session.Identity{}, fmt.Errorf("%w: malformed", session.ErrTokenInvalid)
	}
}

// start is when every test begins: the start of a minute, so rate-limit
// windows are predictable.
var start = time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)

// clock is a replaceable clock that moves only when a test moves it.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// fixture is a Service wired to in-memory ports.
type fixture struct {
	t       *testing.T
	svc     *session.Service
	mem     *sessiontest.Memory
	limiter *sessiontest.Limiter
	msgr    *messenger
	clock   *clock
	events  *pipelineRecorder
}

func newFixture(t *testing.T, cfg session.Config) *fixture {
	t.Helper()
	f := &fixture{t: t, mem: sessiontest.NewMemory(), limiter: sessiontest.NewLimiter(), msgr: newMessenger(), clock: &clock{t: start}, events: &pipelineRecorder{}}
	f.svc = session.New(cfg, session.Deps{
		Sessions:    f.mem.Sessions(),
		Connections: f.mem.Connections(),
		Scans:       f.mem.Scans(),
		Limiter:     f.limiter,
		Messenger:   f.msgr,
		Verifier:    verifier{},
		Pipeline:    f.events,
		Now:         f.clock.Now,
	})
	return f
}

func (f *fixture) ctx() context.Context { return f.t.Context() }

// connect runs a $connect written as its query string, which reads best in
// a test; the router's parsing of queries has its own tests.
func (f *fixture) connect(connectionID, ip, rawQuery string) (session.Welcome, error) {
	f.t.Helper()
	q, err := url.ParseQuery(rawQuery)
	require.NoError(f.t, err)
	number := func(name string) *float64 {
		if !q.Has(name) {
			return nil
		}
		v, err := strconv.ParseFloat(q.Get(name), 64)
		require.NoError(f.t, err)
		return &v
	}
	req := session.ConnectRequest{ConnectionID: connectionID, SourceIP: ip, Action: q.Get("action"), Role: session.Role(q.Get("role")),
		Token: q.Get("token"), SessionID: q.Get("sessionId"), SourceLanguage: q.Get("sourceLanguage"), QualityTier: q.Get("qualityTier"),
		TargetLanguage: q.Get("targetLanguage"), ResumeToken: q.Get("resumeToken"),
		Options: session.StreamOptionsRequest{MinStability: number("minStability"), MaxBufferTimeout: number("maxBufferTimeout")}}
	if q.Has("partialResults") {
		b := q.Get("partialResults") == "true"
		req.Options.PartialResults = &b
	}
	return f.svc.Connect(f.ctx(), req)
}

// create opens a session of alice's on connection speakerID and returns its id.
func (f *fixture) create(speakerID string) string {
	f.t.Helper()
	w, err := f.connect(speakerID, "10.0.0.1", "action=createSession&sourceLanguage=en&qualityTier=standard&token="+aliceToken)
	require.NoError(f.t, err)
	require.NotEmpty(f.t, w.SessionID)
	return w.SessionID
}

// join admits listener connectionID from ip and returns its welcome.
func (f *fixture) join(connectionID, ip, sessionID, lang string) session.Welcome {
	f.t.Helper()
	w, err := f.connect(connectionID, ip, "action=joinSession&sessionId="+sessionID+"&targetLanguage="+lang)
	require.NoError(f.t, err)
	require.False(f.t, w.Replayed)
	return w
}

// stored reads a session that must exist.
func (f *fixture) stored(id string) session.Session {
	f.t.Helper()
	s, ok := f.mem.Session(id)
	require.True(f.t, ok, "session %s is stored", id)
	return s
}

// record reads a connection record that must exist.
func (f *fixture) record(id string) session.Connection {
	f.t.Helper()
	c, ok := f.mem.Connection(id)
	require.True(f.t, ok, "connection %s is stored", id)
	return c
}

// codeOf is the client-facing code of err ("" for nil).
func codeOf(err error) session.Code {
	if err == nil {
		return ""
	}
	return session.ErrorCode(err)
}

// A session seeded directly, for tests that start from a given state.
const seededID = "holy-lamb-101"

// seed stores an active session of alice's (speaker "spk", created at start)
// with listeners of the given languages, records included, counted as
// stored; listener i is "l<i>" from 10.0.1.<i>.
func (f *fixture) seed(langs ...string) session.Session {
	f.t.Helper()
	s := session.Session{
		ID: seededID, SpeakerConnectionID: "spk", SpeakerUserID: aliceID, SourceLanguage: "en", QualityTier: "standard",
		CreatedAt: start, ExpiresAt: start.Add(2 * time.Hour), Active: true, ByLanguage: map[string]int{},
		Broadcast: session.BroadcastState{Volume: 1},
	}
	f.mem.PutConnection(session.Connection{ID: "spk", SessionID: s.ID, Role: session.RoleSpeaker, UserID: aliceID, ConnectedAt: start, LastSeenAt: start})
	for i, lang := range langs {
		f.mem.PutConnection(session.Connection{ID: fmt.Sprintf("l%d", i), SessionID: s.ID, Role: session.RoleListener, TargetLanguage: lang,
			ConnectedAt: start, LastSeenAt: start, SourceIPHash: session.HashID(fmt.Sprintf("10.0.1.%d", i))})
		s.ListenerCount++
		s.ByLanguage[lang]++
	}
	f.mem.PutSession(s)
	return s
}

// errBoom is an unexpected failure of a dependency.
var errBoom = errors.New("boom: dependency failed")
