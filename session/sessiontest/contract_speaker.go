package sessiontest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livecast/sessions/session"
)

func speakerContract(t *testing.T, newPorts func(t *testing.T) Ports) {
	returning := func(id, user string) session.Connection {
		return session.Connection{ID: id, SessionID: sessionID, Role: session.RoleSpeaker, UserID: user, ConnectedAt: start, LastSeenAt: start}
	}

	t.Run("SpeakerLost opens one reconnect window, only for the current speaker, and pauses the broadcast", func(t *testing.T) {
		f := setUp(t, newPorts)
		f.live()
		deadline := start.Add(2 * time.Minute)
		_, err := f.Sessions.SpeakerLost(f.ctx(), sessionID, "someone-else", deadline)
		assert.ErrorIs(t, err, session.ErrNotSpeaker)
		before, err := f.Sessions.SpeakerLost(f.ctx(), sessionID, speakerID, deadline)
		require.NoError(t, err)
		assert.True(t, before.SpeakerConnected())
		_, err = f.Sessions.SpeakerLost(f.ctx(), sessionID, speakerID, deadline.Add(time.Minute))
		assert.ErrorIs(t, err, session.ErrReplayed)
		got := f.session(sessionID)
		assert.Equal(t, deadline, got.ReconnectDeadline)
		assert.True(t, got.GapPaused)
		assert.True(t, got.EffectiveBroadcast().Paused)
		assert.False(t, got.Broadcast.Paused, "the speaker's own pause is not set")
		_, err = f.Sessions.SpeakerLost(f.ctx(), otherSessionID, speakerID, deadline)
		assert.ErrorIs(t, err, session.ErrNotFound, "unknown session")
	})

	t.Run("TakeOverSpeaker hands the session to its user's new connection, extends it and closes the window", func(t *testing.T) {
		f := setUp(t, newPorts)
		f.live()
		_, err := f.Sessions.SpeakerLost(f.ctx(), sessionID, speakerID, start.Add(2*time.Minute))
		require.NoError(t, err)
		_, err = f.Sessions.TakeOverSpeaker(f.ctx(), returning("spk-new", bobID), start.Add(4*time.Hour), start.Add(time.Minute))
		assert.ErrorIs(t, err, session.ErrNotSpeaker, "another user")
		before, err := f.Sessions.TakeOverSpeaker(f.ctx(), returning("spk-new", aliceID), start.Add(4*time.Hour), start.Add(time.Minute))
		require.NoError(t, err)
		assert.False(t, before.SpeakerConnected())
		assert.True(t, before.GapPaused)
		got := f.session(sessionID)
		assert.Equal(t, "spk-new", got.SpeakerConnectionID)
		assert.Equal(t, start.Add(4*time.Hour), got.ExpiresAt)
		assert.True(t, got.SpeakerConnected())
		assert.False(t, got.EffectiveBroadcast().Paused)
		assert.Equal(t, returning("spk-new", aliceID), f.connection("spk-new"))
		_, err = f.Sessions.End(f.ctx(), sessionID, speakerID, session.ReasonSpeakerDisconnected, start)
		assert.ErrorIs(t, err, session.ErrNotSpeaker, "the replaced connection must not end the session")
	})

	t.Run("TakeOverSpeaker refuses a registered connection, and a session that is over for its speaker", func(t *testing.T) {
		f := setUp(t, newPorts)
		f.live()
		_, err := f.Sessions.TakeOverSpeaker(f.ctx(), returning("spk2", aliceID), start.Add(3*time.Hour), start)
		require.NoError(t, err)
		_, err = f.Sessions.TakeOverSpeaker(f.ctx(), returning("spk2", aliceID), start.Add(3*time.Hour), start)
		assert.ErrorIs(t, err, session.ErrDuplicateConnection, "a replayed takeover")
		_, err = f.Sessions.TakeOverSpeaker(f.ctx(), returning("spk3", aliceID), start.Add(4*time.Hour), start.Add(3*time.Hour))
		assert.ErrorIs(t, err, session.ErrNotFound, "expired")
		_, err = f.Sessions.TakeOverSpeaker(f.ctx(), session.Connection{ID: "spk4", SessionID: otherSessionID, Role: session.RoleSpeaker, UserID: aliceID}, start.Add(time.Hour), start)
		assert.ErrorIs(t, err, session.ErrNotFound, "unknown")

		_, err = f.Sessions.SpeakerLost(f.ctx(), sessionID, "spk2", start.Add(2*time.Minute))
		require.NoError(t, err)
		_, err = f.Sessions.TakeOverSpeaker(f.ctx(), returning("spk5", aliceID), start.Add(3*time.Hour), start.Add(2*time.Minute))
		assert.ErrorIs(t, err, session.ErrNotFound, "the reconnect window has passed: the sweep ends the session")
		_, err = f.Connections.Get(f.ctx(), "spk5")
		assert.ErrorIs(t, err, session.ErrNotFound)
		assert.Equal(t, "spk2", f.session(sessionID).SpeakerConnectionID)
	})

	t.Run("End deactivates the session once, resets its counts and returns it as it was", func(t *testing.T) {
		f := setUp(t, newPorts)
		seeded := f.live("fr", "es")
		_, err := f.Sessions.End(f.ctx(), sessionID, "someone-else", session.ReasonExpired, start)
		assert.ErrorIs(t, err, session.ErrNotSpeaker)
		before, err := f.Sessions.End(f.ctx(), sessionID, speakerID, session.ReasonExpired, start)
		require.NoError(t, err)
		seeded.StateVersion++ // the version End wrote, as every write returning the session as it was
		assert.Equal(t, seeded, before)
		after := f.session(sessionID)
		assert.False(t, after.Active)
		assert.Equal(t, session.ReasonExpired, after.EndedReason)
		assert.Zero(t, after.ListenerCount)
		assert.Empty(t, after.ByLanguage)
		assert.Greater(t, after.Version, seeded.Version, "a reset is a count change")
		_, err = f.Sessions.End(f.ctx(), sessionID, speakerID, session.ReasonExpired, start)
		assert.ErrorIs(t, err, session.ErrNotFound)
		_, err = f.Sessions.End(f.ctx(), otherSessionID, speakerID, session.ReasonExpired, start)
		assert.ErrorIs(t, err, session.ErrNotFound, "unknown")
		_, err = f.Sessions.SpeakerLost(f.ctx(), sessionID, speakerID, start.Add(time.Minute))
		assert.ErrorIs(t, err, session.ErrNotFound, "no window for an ended session")
	})

	t.Run("SetBroadcast changes only the given fields, for the speaker of a live session", func(t *testing.T) {
		f := setUp(t, newPorts)
		f.live()
		yes, half := true, 0.5
		before, err := f.Sessions.SetBroadcast(f.ctx(), sessionID, speakerID, session.BroadcastChange{Muted: &yes})
		require.NoError(t, err)
		assert.False(t, before.Broadcast.Muted)
		assert.Equal(t, session.BroadcastState{Muted: true, Volume: 1}, f.session(sessionID).Broadcast)
		before, err = f.Sessions.SetBroadcast(f.ctx(), sessionID, speakerID, session.BroadcastChange{Paused: &yes, Volume: &half})
		require.NoError(t, err)
		assert.Equal(t, session.BroadcastState{Muted: true, Volume: 1}, before.Broadcast)
		assert.Equal(t, session.BroadcastState{Paused: true, Muted: true, Volume: 0.5}, f.session(sessionID).Broadcast)
		_, err = f.Sessions.SetBroadcast(f.ctx(), sessionID, "someone-else", session.BroadcastChange{Paused: &yes})
		assert.ErrorIs(t, err, session.ErrNotSpeaker)
		_, err = f.Sessions.SetBroadcast(f.ctx(), otherSessionID, speakerID, session.BroadcastChange{Paused: &yes})
		assert.ErrorIs(t, err, session.ErrNotFound, "unknown")
		_, err = f.Sessions.End(f.ctx(), sessionID, speakerID, session.ReasonSpeakerEnded, start)
		require.NoError(t, err)
		_, err = f.Sessions.SetBroadcast(f.ctx(), sessionID, speakerID, session.BroadcastChange{Paused: &yes})
		assert.ErrorIs(t, err, session.ErrNotFound, "ended")
	})
}
