package sessiontest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/livecast/sessions/session"
)

// Ports are the storage ports of one implementation.
type Ports struct {
	Sessions    session.Sessions
	Connections session.Connections
	Scans       session.SweepScans
	Limiter     session.Limiter
	// AudioSequences numbers unnumbered audio chunks.
	AudioSequences session.AudioSequences
}

// RunContract runs the one suite of the storage ports' behaviour against the
// implementation newPorts makes. Every subtest calls newPorts for itself and
// runs in parallel with the others, so newPorts must return empty ports that
// nothing else uses (fresh tables, a fresh double): no subtest depends on
// another's leftovers or order. Times passed to the ports are whole
// milliseconds in UTC, which is what DynamoDB gives back.
func RunContract(t *testing.T, newPorts func(t *testing.T) Ports) {
	t.Run("Sessions", func(t *testing.T) { sessionsContract(t, newPorts) })
	t.Run("Speaker", func(t *testing.T) { speakerContract(t, newPorts) })
	t.Run("Connections", func(t *testing.T) { connectionsContract(t, newPorts) })
	t.Run("Seats", func(t *testing.T) { seatsContract(t, newPorts) })
	t.Run("Listeners", func(t *testing.T) { listenersContract(t, newPorts) })
	t.Run("Heartbeats and languages", func(t *testing.T) { heartbeatsContract(t, newPorts) })
	t.Run("SweepScans", func(t *testing.T) { scansContract(t, newPorts) })
	t.Run("Limiter", func(t *testing.T) { limiterContract(t, newPorts) })
	t.Run("State versions", func(t *testing.T) { stateVersionsContract(t, newPorts) })
	t.Run("Audio sequences", func(t *testing.T) { audioSequencesContract(t, newPorts) })
}

// Every subtest starts at start, the start of a minute, so heartbeat and
// rate-limit windows are predictable.
var start = time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)

// The sessions, users and connections the subtests talk about.
const (
	sessionID      = "holy-lamb-101"
	otherSessionID = "kind-dove-555"
	speakerID      = "spk"
	aliceID        = "user-alice"
	bobID          = "user-bob"
)

// fixture is one subtest's fresh ports.
type fixture struct {
	t *testing.T
	Ports
}

// setUp runs the calling subtest in parallel with its siblings, on ports of
// its own.
func setUp(t *testing.T, newPorts func(t *testing.T) Ports) *fixture {
	t.Helper()
	t.Parallel()
	return &fixture{t: t, Ports: newPorts(t)}
}

func (f *fixture) ctx() context.Context { return f.t.Context() }

// newSession is an active session id of alice's on speaker connection
// speakerConn, created at start for two hours, and that connection.
func newSession(id, speakerConn string) (session.Session, session.Connection) {
	return session.Session{
			ID: id, SpeakerConnectionID: speakerConn, SpeakerUserID: aliceID, SourceLanguage: "en", QualityTier: "standard",
			Options:   session.StreamOptions{PartialResults: true, MinStability: 0.8, MaxBufferTimeout: 3},
			CreatedAt: start, ExpiresAt: start.Add(2 * time.Hour), Active: true, ByLanguage: map[string]int{},
			Broadcast: session.BroadcastState{Volume: 1}, StateVersion: 1,
		}, session.Connection{
			ID: speakerConn, SessionID: id, Role: session.RoleSpeaker, UserID: aliceID, ConnectedAt: start, LastSeenAt: start,
			SourceIPHash: "ip-" + speakerConn,
		}
}

// listener is an open listener record of sessionID, connected at start.
func listener(id, sessionID, lang string) session.Connection {
	return session.Connection{ID: id, SessionID: sessionID, Role: session.RoleListener, TargetLanguage: lang,
		ConnectedAt: start, LastSeenAt: start, SourceIPHash: "ip-" + id, ResumeHash: "resume-" + id}
}

// live creates session sessionID on speaker "spk" and, through the ports as
// a join would, admits and registers listener "l<i>" for each of langs. It
// returns the session as stored.
func (f *fixture) live(langs ...string) session.Session {
	f.t.Helper()
	return f.liveSession(sessionID, speakerID, langs...)
}

// liveSession is live for any session and speaker connection; its
// listeners are "<sessionID>-l<i>" unless it is sessionID.
func (f *fixture) liveSession(id, speakerConn string, langs ...string) session.Session {
	f.t.Helper()
	s, speaker := newSession(id, speakerConn)
	require.NoError(f.t, f.Sessions.Create(f.ctx(), s, speaker))
	for i, lang := range langs {
		_, err := f.Sessions.Admit(f.ctx(), id, lang, 100, start)
		require.NoError(f.t, err)
		require.NoError(f.t, f.Connections.Register(f.ctx(), listener(listenerID(id, i), id, lang)))
	}
	return f.session(id)
}

// listenerID names listener i of a session made by liveSession.
func listenerID(sessionIDOf string, i int) string {
	if sessionIDOf == sessionID {
		return fmt.Sprintf("l%d", i)
	}
	return fmt.Sprintf("%s-l%d", sessionIDOf, i)
}

// session reads a session that must exist.
func (f *fixture) session(id string) session.Session {
	f.t.Helper()
	s, err := f.Sessions.Get(f.ctx(), id)
	require.NoError(f.t, err)
	return s
}

// connection reads a record that must exist.
func (f *fixture) connection(id string) session.Connection {
	f.t.Helper()
	c, err := f.Connections.Get(f.ctx(), id)
	require.NoError(f.t, err)
	return c
}

// ids lists the connections' ids in order.
func ids(conns []session.Connection) []string {
	out := make([]string, len(conns))
	for i, c := range conns {
		out[i] = c.ID
	}
	return out
}

// NewMemoryPorts returns the ports of a fresh Memory and Limiter: the
// double's newPorts for RunContract.
func NewMemoryPorts(*testing.T) Ports {
	m := NewMemory()
	return Ports{Sessions: m.Sessions(), Connections: m.Connections(), Scans: m.Scans(), Limiter: NewLimiter(), AudioSequences: m.AudioSequences()}
}
