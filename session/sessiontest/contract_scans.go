package sessiontest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livecast/sessions/session"
)

func scansContract(t *testing.T, newPorts func(t *testing.T) Ports) {
	t.Run("LiveSessions lists the active sessions, expired ones included, and no ended one", func(t *testing.T) {
		f := setUp(t, newPorts)
		f.live("fr")
		f.liveSession(otherSessionID, "spk-b")
		expired, expiredSpeaker := newSession("old-owl-303", "spk-c")
		expired.CreatedAt, expired.ExpiresAt = start.Add(-3*time.Hour), start.Add(-time.Hour)
		require.NoError(t, f.Sessions.Create(f.ctx(), expired, expiredSpeaker))
		_, err := f.Sessions.End(f.ctx(), otherSessionID, "spk-b", session.ReasonSpeakerEnded, start)
		require.NoError(t, err)
		live, err := f.Scans.LiveSessions(f.ctx())
		require.NoError(t, err)
		assert.ElementsMatch(t, []session.Session{f.session(sessionID), f.session("old-owl-303")}, live)
	})

	t.Run("LiveSessions of no session is empty", func(t *testing.T) {
		f := setUp(t, newPorts)
		live, err := f.Scans.LiveSessions(f.ctx())
		require.NoError(t, err)
		assert.Empty(t, live)
	})

	t.Run("AllConnections lists every record, held or open, and every closing mark", func(t *testing.T) {
		f := setUp(t, newPorts)
		f.live("fr", "es", "de")
		f.liveSession(otherSessionID, "spk-b")
		_, err := f.Connections.Hold(f.ctx(), "l1", start.Add(time.Minute))
		require.NoError(t, err)
		require.NoError(t, f.Connections.MarkClosing(f.ctx(), sessionID, session.ReasonExpired, []string{"l2"}, start))
		all, err := f.Scans.AllConnections(f.ctx())
		require.NoError(t, err)
		mark := session.Connection{ID: "l2", SessionID: sessionID, ClosingSince: start, ClosingReason: session.ReasonExpired}
		want := []session.Connection{f.connection(speakerID), f.connection("spk-b"), f.connection("l0"), f.connection("l1"), mark}
		assert.ElementsMatch(t, want, all)
	})

	t.Run("SetCounts overwrites the counts unless they changed since the session was read", func(t *testing.T) {
		f := setUp(t, newPorts)
		read := f.live("fr", "es")
		_, err := f.Sessions.Admit(f.ctx(), sessionID, "fr", 5, start)
		require.NoError(t, err)
		assert.ErrorIs(t, f.Scans.SetCounts(f.ctx(), read, 1, map[string]int{"fr": 1}), session.ErrCountsChanged)
		assert.Equal(t, 3, f.session(sessionID).ListenerCount, "a refused repair changes nothing")

		fresh := f.session(sessionID)
		require.NoError(t, f.Scans.SetCounts(f.ctx(), fresh, 1, map[string]int{"fr": 1}))
		got := f.session(sessionID)
		assert.Equal(t, 1, got.ListenerCount)
		assert.Equal(t, map[string]int{"fr": 1}, got.ByLanguage)
		assert.Greater(t, got.Version, fresh.Version, "a repair is a count change")
		assert.ErrorIs(t, f.Scans.SetCounts(f.ctx(), fresh, 0, nil), session.ErrCountsChanged, "a repair's own change counts")

		require.NoError(t, f.Scans.SetCounts(f.ctx(), got, 0, nil))
		assert.Equal(t, map[string]int{}, f.session(sessionID).ByLanguage, "nil counts are none")
	})

	t.Run("SetCounts refuses an ended session", func(t *testing.T) {
		f := setUp(t, newPorts)
		f.live("fr")
		_, err := f.Sessions.End(f.ctx(), sessionID, speakerID, session.ReasonSpeakerEnded, start)
		require.NoError(t, err)
		ended := f.session(sessionID)
		assert.ErrorIs(t, f.Scans.SetCounts(f.ctx(), ended, 1, map[string]int{"fr": 1}), session.ErrCountsChanged)
		assert.Zero(t, f.session(sessionID).ListenerCount)
	})
}
