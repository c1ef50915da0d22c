package sessiontest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livecast/sessions/session"
)

func listenersContract(t *testing.T, newPorts func(t *testing.T) Ports) {
	t.Run("Listeners lists a session's listener records, all of them or one language's, by language", func(t *testing.T) {
		f := setUp(t, newPorts)
		f.live("fr", "es", "fr")
		f.liveSession(otherSessionID, "spk-b", "es")
		_, err := f.Connections.Hold(f.ctx(), "l2", start.Add(time.Minute))
		require.NoError(t, err)
		all, err := f.Connections.Listeners(f.ctx(), sessionID, "")
		require.NoError(t, err)
		want := []session.Connection{listener("l0", sessionID, "fr"), listener("l1", sessionID, "es"), f.connection("l2")}
		assert.ElementsMatch(t, want, all, "listeners only: neither the speaker nor another session's")
		require.Len(t, all, 3)
		assert.Equal(t, "es", all[0].TargetLanguage, "in the order of the listeners index: by language")
		fr, err := f.Connections.Listeners(f.ctx(), sessionID, "fr")
		require.NoError(t, err)
		assert.ElementsMatch(t, []string{"l0", "l2"}, ids(fr))
		none, err := f.Connections.Listeners(f.ctx(), sessionID, "de")
		require.NoError(t, err)
		assert.Empty(t, none)
	})

	t.Run("Audience is Listeners cut to ids, session, role, languages and holds", func(t *testing.T) {
		f := setUp(t, newPorts)
		f.live("es", "de")
		_, err := f.Connections.Hold(f.ctx(), "l0", start.Add(time.Minute))
		require.NoError(t, err)
		audience, err := f.Connections.Audience(f.ctx(), sessionID, "")
		require.NoError(t, err)
		full, err := f.Connections.Listeners(f.ctx(), sessionID, "")
		require.NoError(t, err)
		require.Len(t, audience, 2)
		require.Len(t, full, 2)
		for i, c := range full {
			assert.Equal(t, session.Connection{ID: c.ID, SessionID: sessionID, Role: session.RoleListener, TargetLanguage: c.TargetLanguage, HeldUntil: c.HeldUntil}, audience[i])
		}
		de, err := f.Connections.Audience(f.ctx(), sessionID, "de")
		require.NoError(t, err)
		assert.Equal(t, []string{"l1"}, ids(de))
	})

	t.Run("MarkClosing leaves a mark that is no record to anything but Remove and AllConnections", func(t *testing.T) {
		f := setUp(t, newPorts)
		f.live("es", "fr")
		l1 := f.connection("l1")
		require.NoError(t, f.Connections.MarkClosing(f.ctx(), sessionID, session.ReasonSpeakerDisconnected, []string{"l1"}, start))

		_, err := f.Connections.Get(f.ctx(), "l1")
		assert.ErrorIs(t, err, session.ErrNotFound, "Get")
		_, err = f.Connections.Hold(f.ctx(), "l1", start.Add(time.Minute))
		assert.ErrorIs(t, err, session.ErrNotFound, "Hold")
		_, err = f.Connections.ReleaseHeld(f.ctx(), "l1", start.Add(time.Hour))
		assert.ErrorIs(t, err, session.ErrNotFound, "ReleaseHeld")
		_, err = f.Connections.Touch(f.ctx(), "l1", "beat-after-end", start, 5)
		assert.ErrorIs(t, err, session.ErrNotFound, "Touch")
		assert.ErrorIs(t, f.Connections.SwitchLanguage(f.ctx(), l1, "de"), session.ErrNotFound, "SwitchLanguage")
		assert.ErrorIs(t, f.Connections.Replace(f.ctx(), l1, listener("l1-next", sessionID, "fr")), session.ErrNotFound, "Replace")
		claim := session.Connection{ID: "l1", SessionID: sessionID, TargetLanguage: "fr", ResumeHash: l1.ResumeHash}
		assert.ErrorIs(t, f.Connections.Reclaim(f.ctx(), claim, listener("l1-next", sessionID, "fr"), start), session.ErrResumeRefused, "Reclaim")
		assert.ErrorIs(t, f.Connections.Register(f.ctx(), l1), session.ErrDuplicateConnection, "Register")
		listed, err := f.Connections.Listeners(f.ctx(), sessionID, "")
		require.NoError(t, err)
		assert.Equal(t, []string{"l0"}, ids(listed), "Listeners")
		audience, err := f.Connections.Audience(f.ctx(), sessionID, "")
		require.NoError(t, err)
		assert.Equal(t, []string{"l0"}, ids(audience), "Audience")

		all, err := f.Scans.AllConnections(f.ctx())
		require.NoError(t, err)
		mark := session.Connection{ID: "l1", SessionID: sessionID, ClosingSince: start, ClosingReason: session.ReasonSpeakerDisconnected}
		assert.Contains(t, all, mark, "AllConnections")

		_, err = f.Connections.Remove(f.ctx(), "l1")
		assert.ErrorIs(t, err, session.ErrNotFound, "a mark is removed as no record")
		all, err = f.Scans.AllConnections(f.ctx())
		require.NoError(t, err)
		assert.NotContains(t, ids(all), "l1", "and it is gone")
	})

	t.Run("MarkClosing replaces any record, held or not, and marks ids that have none", func(t *testing.T) {
		f := setUp(t, newPorts)
		f.live("es")
		_, err := f.Connections.Hold(f.ctx(), "l0", start.Add(time.Minute))
		require.NoError(t, err)
		require.NoError(t, f.Connections.MarkClosing(f.ctx(), sessionID, session.ReasonExpired, []string{"l0", "nobody"}, start))
		require.NoError(t, f.Connections.MarkClosing(f.ctx(), sessionID, session.ReasonExpired, nil, start))
		all, err := f.Scans.AllConnections(f.ctx())
		require.NoError(t, err)
		for _, id := range []string{"l0", "nobody"} {
			assert.Contains(t, all, session.Connection{ID: id, SessionID: sessionID, ClosingSince: start, ClosingReason: session.ReasonExpired})
		}
		_, err = f.Connections.Remove(f.ctx(), "l0")
		assert.ErrorIs(t, err, session.ErrNotFound, "reported as no record")
		all, err = f.Scans.AllConnections(f.ctx())
		require.NoError(t, err)
		assert.NotContains(t, ids(all), "l0", "but deleted: a mark is not held")
	})
}
