package sessiontest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livecast/sessions/session"
)

// stateVersionsContract: every write that changes a session adds one to its
// state version, atomically with the change (protocol v1.2), and a write
// that returns the session as it was returns the version it wrote, so the
// messages reporting a change can carry its number.
func stateVersionsContract(t *testing.T, newPorts func(t *testing.T) Ports) {
	t.Run("every change of a session takes the next state version, and says which", func(t *testing.T) {
		f := setUp(t, newPorts)
		s, speaker := newSession(sessionID, speakerID)
		require.NoError(t, f.Sessions.Create(f.ctx(), s, speaker))
		require.Equal(t, int64(1), f.session(sessionID).StateVersion, "a new session is at 1")
		now := start.Add(time.Minute)
		version := int64(1)
		next := func(what string, got session.Session, err error) {
			t.Helper()
			require.NoError(t, err, what)
			version++
			assert.Equal(t, version, got.StateVersion, "%s returns the version it wrote", what)
			assert.Equal(t, version, f.session(sessionID).StateVersion, "%s is stored", what)
		}
		got, err := f.Sessions.Admit(f.ctx(), sessionID, "es", 10, now)
		next("Admit", got, err)
		require.NoError(t, f.Connections.Register(f.ctx(), listener("l0", sessionID, "es")))
		got, err = f.Sessions.Admit(f.ctx(), sessionID, "fr", 10, now)
		next("a second Admit", got, err)
		require.NoError(t, f.Sessions.Unadmit(f.ctx(), sessionID, "fr"))
		next("Unadmit (the version never goes back)", f.session(sessionID), nil)
		require.NoError(t, f.Connections.SwitchLanguage(f.ctx(), f.connection("l0"), "de"))
		next("SwitchLanguage", f.session(sessionID), nil)
		pause := true
		got, err = f.Sessions.SetBroadcast(f.ctx(), sessionID, speakerID, session.BroadcastChange{Paused: &pause})
		next("SetBroadcast", got, err)
		assert.False(t, got.Broadcast.Paused, "SetBroadcast returns the state before its change")
		got, err = f.Sessions.SpeakerLost(f.ctx(), sessionID, speakerID, now.Add(time.Minute))
		next("SpeakerLost", got, err)
		back := session.Connection{ID: "spk2", SessionID: sessionID, Role: session.RoleSpeaker, UserID: aliceID, ConnectedAt: now, LastSeenAt: now}
		got, err = f.Sessions.TakeOverSpeaker(f.ctx(), back, start.Add(3*time.Hour), now)
		next("TakeOverSpeaker", got, err)
		got, err = f.Sessions.Release(f.ctx(), sessionID, "de")
		next("Release", got, err)
		cur := f.session(sessionID)
		require.NoError(t, f.Scans.SetCounts(f.ctx(), cur, 0, nil))
		next("SetCounts", f.session(sessionID), nil)
		got, err = f.Sessions.End(f.ctx(), sessionID, "spk2", session.ReasonSpeakerEnded, now)
		next("End", got, err)
		assert.True(t, got.Active, "End returns the session as it was")
	})

	t.Run("a refused write takes no version", func(t *testing.T) {
		f := setUp(t, newPorts)
		f.live()
		_, err := f.Sessions.Admit(f.ctx(), sessionID, "es", 0, start)
		require.ErrorIs(t, err, session.ErrSessionFull)
		_, err = f.Sessions.SetBroadcast(f.ctx(), sessionID, "not-the-speaker", session.BroadcastChange{})
		require.Error(t, err)
		assert.Equal(t, int64(1), f.session(sessionID).StateVersion)
	})
}
