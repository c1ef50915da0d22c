package sessiontest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livecast/sessions/session"
)

func connectionsContract(t *testing.T, newPorts func(t *testing.T) Ports) {
	t.Run("Register writes a new record once; Get reads it back", func(t *testing.T) {
		f := setUp(t, newPorts)
		f.live()
		l := listener("l9", sessionID, "es")
		require.NoError(t, f.Connections.Register(f.ctx(), l))
		assert.Equal(t, l, f.connection("l9"))
		other := listener("l9", sessionID, "fr")
		assert.ErrorIs(t, f.Connections.Register(f.ctx(), other), session.ErrDuplicateConnection)
		assert.Equal(t, l, f.connection("l9"), "the refused record changed nothing")
		_, err := f.Connections.Get(f.ctx(), "nobody")
		assert.ErrorIs(t, err, session.ErrNotFound)
	})

	t.Run("Remove deletes an open record and returns it, once", func(t *testing.T) {
		f := setUp(t, newPorts)
		f.live("fr")
		removed, err := f.Connections.Remove(f.ctx(), "l0")
		require.NoError(t, err)
		assert.Equal(t, listener("l0", sessionID, "fr"), removed)
		_, err = f.Connections.Remove(f.ctx(), "l0")
		assert.ErrorIs(t, err, session.ErrNotFound, "a repeated $disconnect")
		_, err = f.Connections.Get(f.ctx(), "l0")
		assert.ErrorIs(t, err, session.ErrNotFound)
		require.NoError(t, f.Connections.Register(f.ctx(), listener("l0", sessionID, "fr")), "the id is free again")
	})

	t.Run("Hold keeps a seat once; a held seat survives Remove and is released only once its hold ended", func(t *testing.T) {
		f := setUp(t, newPorts)
		f.live("es")
		held, err := f.Connections.Hold(f.ctx(), "l0", start.Add(2*time.Minute))
		require.NoError(t, err)
		want := listener("l0", sessionID, "es")
		want.HeldUntil = start.Add(2 * time.Minute)
		assert.Equal(t, want, held, "the record as held")
		assert.Equal(t, want, f.connection("l0"))
		_, err = f.Connections.Hold(f.ctx(), "l0", start.Add(3*time.Minute))
		assert.ErrorIs(t, err, session.ErrNotFound, "holding twice changes nothing")
		_, err = f.Connections.Remove(f.ctx(), "l0")
		assert.ErrorIs(t, err, session.ErrNotFound, "a deliberate close of a held seat releases nothing")
		_, err = f.Connections.ReleaseHeld(f.ctx(), "l0", start.Add(time.Minute))
		assert.ErrorIs(t, err, session.ErrNotFound, "still within the window")
		assert.Equal(t, want, f.connection("l0"))
		released, err := f.Connections.ReleaseHeld(f.ctx(), "l0", start.Add(2*time.Minute))
		require.NoError(t, err, "a hold ending exactly now has ended")
		assert.Equal(t, want, released)
		_, err = f.Connections.Get(f.ctx(), "l0")
		assert.ErrorIs(t, err, session.ErrNotFound)
		_, err = f.Connections.ReleaseHeld(f.ctx(), "l0", start.Add(2*time.Minute))
		assert.ErrorIs(t, err, session.ErrNotFound, "released once")
	})

	t.Run("Hold and ReleaseHeld of an unknown or open record find nothing", func(t *testing.T) {
		f := setUp(t, newPorts)
		f.live("es")
		_, err := f.Connections.Hold(f.ctx(), "nobody", start)
		assert.ErrorIs(t, err, session.ErrNotFound)
		_, err = f.Connections.ReleaseHeld(f.ctx(), "nobody", start)
		assert.ErrorIs(t, err, session.ErrNotFound)
		_, err = f.Connections.ReleaseHeld(f.ctx(), "l0", start.Add(time.Hour))
		assert.ErrorIs(t, err, session.ErrNotFound, "an open record is not released")
		assert.Equal(t, listener("l0", sessionID, "es"), f.connection("l0"))
	})

	t.Run("DeleteMany removes records held or not, present or not", func(t *testing.T) {
		f := setUp(t, newPorts)
		f.live("es", "fr", "de")
		_, err := f.Connections.Hold(f.ctx(), "l1", start.Add(time.Minute))
		require.NoError(t, err)
		require.NoError(t, f.Connections.MarkClosing(f.ctx(), sessionID, session.ReasonExpired, []string{"l2"}, start))
		require.NoError(t, f.Connections.DeleteMany(f.ctx(), []string{"l0", "l1", "l2", "nobody"}))
		require.NoError(t, f.Connections.DeleteMany(f.ctx(), nil))
		all, err := f.Scans.AllConnections(f.ctx())
		require.NoError(t, err)
		assert.Equal(t, []string{speakerID}, ids(all))
	})

	t.Run("MarkClosing and DeleteMany take more records than one batch holds", func(t *testing.T) {
		f := setUp(t, newPorts)
		langs := make([]string, 30)
		for i := range langs {
			langs[i] = "es"
		}
		f.live(langs...)
		var doomed []string
		for i := range langs {
			doomed = append(doomed, listenerID(sessionID, i))
		}
		require.NoError(t, f.Connections.MarkClosing(f.ctx(), sessionID, session.ReasonExpired, doomed, start))
		all, err := f.Scans.AllConnections(f.ctx())
		require.NoError(t, err)
		assert.Len(t, all, len(doomed)+1, "a mark for each and the speaker's record")
		require.NoError(t, f.Connections.DeleteMany(f.ctx(), doomed))
		all, err = f.Scans.AllConnections(f.ctx())
		require.NoError(t, err)
		assert.Equal(t, []string{speakerID}, ids(all))
		left, err := f.Connections.Listeners(f.ctx(), sessionID, "")
		require.NoError(t, err)
		assert.Empty(t, left)
	})
}
