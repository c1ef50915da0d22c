package sessiontest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livecast/sessions/session"
)

func seatsContract(t *testing.T, newPorts func(t *testing.T) Ports) {
	// claim is what a resume token says about seat l0 of a live("es").
	claim := session.Connection{ID: "l0", SessionID: sessionID, TargetLanguage: "es", ResumeHash: "resume-l0"}

	t.Run("Reclaim refuses a claim that is not the seat's hash, session or language, or that names a speaker", func(t *testing.T) {
		f := setUp(t, newPorts)
		f.live("es")
		next := listener("r2", sessionID, "es")
		forged, foreign, otherLanguage := claim, claim, claim
		forged.ResumeHash = "resume-x"
		foreign.SessionID = otherSessionID
		otherLanguage.TargetLanguage = "fr"
		speaker := session.Connection{ID: speakerID, SessionID: sessionID}
		for _, bad := range []session.Connection{forged, foreign, otherLanguage, speaker} {
			assert.ErrorIs(t, f.Connections.Reclaim(f.ctx(), bad, next, start), session.ErrResumeRefused, "%+v", bad)
		}
		_, err := f.Connections.Get(f.ctx(), "r2")
		assert.ErrorIs(t, err, session.ErrNotFound, "a refused reclaim registers nothing")
		assert.Equal(t, listener("l0", sessionID, "es"), f.connection("l0"))
	})

	t.Run("Reclaim hands a held seat to a new connection once, while its hold lasts", func(t *testing.T) {
		f := setUp(t, newPorts)
		f.live("es")
		_, err := f.Connections.Hold(f.ctx(), "l0", start.Add(2*time.Minute))
		require.NoError(t, err)
		next := listener("r2", sessionID, "es")
		assert.ErrorIs(t, f.Connections.Reclaim(f.ctx(), claim, next, start.Add(2*time.Minute)), session.ErrResumeRefused, "the window passed")
		assert.ErrorIs(t, f.Connections.Reclaim(f.ctx(), claim, listener(speakerID, sessionID, "es"), start), session.ErrDuplicateConnection)
		require.NoError(t, f.Connections.Reclaim(f.ctx(), claim, next, start.Add(time.Minute)))
		assert.Equal(t, next, f.connection("r2"), "not held, with its own resume hash")
		_, err = f.Connections.Get(f.ctx(), "l0")
		assert.ErrorIs(t, err, session.ErrNotFound)
		assert.ErrorIs(t, f.Connections.Reclaim(f.ctx(), claim, listener("r3", sessionID, "es"), start), session.ErrResumeRefused, "a token is single-use")
		assert.Equal(t, 1, f.session(sessionID).ListenerCount, "the seat changes hands, its count does not")
	})

	t.Run("Reclaim takes an open seat too (a resume before the loss was noticed)", func(t *testing.T) {
		f := setUp(t, newPorts)
		f.live("es")
		require.NoError(t, f.Connections.Reclaim(f.ctx(), claim, listener("r2", sessionID, "es"), start))
		_, err := f.Connections.Get(f.ctx(), "l0")
		assert.ErrorIs(t, err, session.ErrNotFound)
		assert.Equal(t, listener("r2", sessionID, "es"), f.connection("r2"))
	})

	t.Run("Replace swaps an open record for its successor once", func(t *testing.T) {
		f := setUp(t, newPorts)
		f.live("es")
		old := f.connection("l0")
		next := listener("r4", sessionID, "es")
		require.NoError(t, f.Connections.Replace(f.ctx(), old, next))
		assert.Equal(t, next, f.connection("r4"))
		_, err := f.Connections.Get(f.ctx(), "l0")
		assert.ErrorIs(t, err, session.ErrNotFound)
		assert.ErrorIs(t, f.Connections.Replace(f.ctx(), old, listener("r5", sessionID, "es")), session.ErrNotFound, "old is gone")
		_, err = f.Connections.Get(f.ctx(), "r5")
		assert.ErrorIs(t, err, session.ErrNotFound, "a refused replace registers nothing")
	})

	t.Run("Replace refuses a held record and a registered successor", func(t *testing.T) {
		f := setUp(t, newPorts)
		f.live("es", "fr")
		old := f.connection("l0")
		_, err := f.Connections.Hold(f.ctx(), "l1", start.Add(time.Minute))
		require.NoError(t, err)
		assert.ErrorIs(t, f.Connections.Replace(f.ctx(), f.connection("l1"), listener("r5", sessionID, "fr")), session.ErrNotFound, "held")
		assert.ErrorIs(t, f.Connections.Replace(f.ctx(), old, listener(speakerID, sessionID, "es")), session.ErrDuplicateConnection)
		assert.Equal(t, old, f.connection("l0"), "a refused replace removes nothing")
	})
}
