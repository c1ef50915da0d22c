package sessiontest

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livecast/sessions/session"
)

func sessionsContract(t *testing.T, newPorts func(t *testing.T) Ports) {
	t.Run("Create stores a session and its speaker's record as given; Get reads them back", func(t *testing.T) {
		f := setUp(t, newPorts)
		s, speaker := newSession(sessionID, speakerID)
		require.NoError(t, f.Sessions.Create(f.ctx(), s, speaker))
		assert.Equal(t, s, f.session(sessionID))
		assert.Equal(t, speaker, f.connection(speakerID))
		_, err := f.Sessions.Get(f.ctx(), otherSessionID)
		assert.ErrorIs(t, err, session.ErrNotFound)
	})

	t.Run("Create and Register keep times to the millisecond, and give them back in UTC", func(t *testing.T) {
		f := setUp(t, newPorts)
		elsewhere := time.FixedZone("UTC+1", 3600)
		precise := start.Add(1500 * time.Microsecond).In(elsewhere)
		s, speaker := newSession(sessionID, speakerID)
		s.CreatedAt, s.ExpiresAt = precise, precise.Add(time.Hour)
		speaker.ConnectedAt, speaker.LastSeenAt = precise, precise
		require.NoError(t, f.Sessions.Create(f.ctx(), s, speaker))
		l := listener("l9", sessionID, "es")
		l.ConnectedAt, l.LastSeenAt = precise, precise
		require.NoError(t, f.Connections.Register(f.ctx(), l))
		kept := start.Add(time.Millisecond)
		got := f.session(sessionID)
		assert.Equal(t, []time.Time{kept, kept.Add(time.Hour)}, []time.Time{got.CreatedAt, got.ExpiresAt})
		for _, id := range []string{speakerID, "l9"} {
			c := f.connection(id)
			assert.Equal(t, []time.Time{kept, kept}, []time.Time{c.ConnectedAt, c.LastSeenAt}, id)
		}
	})

	t.Run("Create refuses a live session's id and a registered connection, and writes nothing then", func(t *testing.T) {
		f := setUp(t, newPorts)
		s, speaker := newSession(sessionID, speakerID)
		require.NoError(t, f.Sessions.Create(f.ctx(), s, speaker))
		_, other := newSession(sessionID, "spk2")
		assert.ErrorIs(t, f.Sessions.Create(f.ctx(), s, other), session.ErrSessionIDTaken)
		_, err := f.Connections.Get(f.ctx(), "spk2")
		assert.ErrorIs(t, err, session.ErrNotFound, "the refused session's speaker is not registered")
		elsewhere, _ := newSession(otherSessionID, speakerID)
		assert.ErrorIs(t, f.Sessions.Create(f.ctx(), elsewhere, speaker), session.ErrDuplicateConnection)
		_, err = f.Sessions.Get(f.ctx(), otherSessionID)
		assert.ErrorIs(t, err, session.ErrNotFound, "the refused connection's session is not stored")
		assert.ErrorIs(t, f.Sessions.Create(f.ctx(), s, speaker), session.ErrDuplicateConnection, "a replayed create")
	})

	t.Run("Create reuses the id of an ended or expired session", func(t *testing.T) {
		f := setUp(t, newPorts)
		f.live()
		_, err := f.Sessions.End(f.ctx(), sessionID, speakerID, session.ReasonSpeakerEnded, start)
		require.NoError(t, err)
		again, speaker := newSession(sessionID, "spk2")
		require.NoError(t, f.Sessions.Create(f.ctx(), again, speaker))
		assert.Equal(t, again, f.session(sessionID))

		later, laterSpeaker := newSession(sessionID, "spk3")
		later.CreatedAt, later.ExpiresAt = again.ExpiresAt, again.ExpiresAt.Add(2*time.Hour)
		require.NoError(t, f.Sessions.Create(f.ctx(), later, laterSpeaker), "the live one expired when this one was created")
		assert.Equal(t, "spk3", f.session(sessionID).SpeakerConnectionID)
	})

	t.Run("Admit counts a listener per language and returns the session after the change", func(t *testing.T) {
		f := setUp(t, newPorts)
		seeded := f.live("fr")
		after, err := f.Sessions.Admit(f.ctx(), sessionID, "es", 3, start)
		require.NoError(t, err)
		assert.Equal(t, 2, after.ListenerCount)
		assert.Equal(t, map[string]int{"es": 1, "fr": 1}, after.ByLanguage)
		assert.Equal(t, seeded.Version+1, after.Version)
		assert.Equal(t, "en", after.SourceLanguage)
		assert.Equal(t, after, f.session(sessionID))
	})

	t.Run("Admit refuses a full session, and an unknown, expired or ended one, changing nothing", func(t *testing.T) {
		f := setUp(t, newPorts)
		seeded := f.live("fr", "es")
		_, err := f.Sessions.Admit(f.ctx(), sessionID, "fr", 2, start)
		assert.ErrorIs(t, err, session.ErrSessionFull)
		_, err = f.Sessions.Admit(f.ctx(), sessionID, "es", 10, seeded.ExpiresAt)
		assert.ErrorIs(t, err, session.ErrNotFound, "expired")
		_, err = f.Sessions.Admit(f.ctx(), otherSessionID, "es", 10, start)
		assert.ErrorIs(t, err, session.ErrNotFound, "unknown")
		assert.Equal(t, seeded, f.session(sessionID))
		_, err = f.Sessions.End(f.ctx(), sessionID, speakerID, session.ReasonSpeakerEnded, start)
		require.NoError(t, err)
		_, err = f.Sessions.Admit(f.ctx(), sessionID, "es", 10, start)
		assert.ErrorIs(t, err, session.ErrNotFound, "ended")
	})

	t.Run("Admit never passes capacity, however many join at once", func(t *testing.T) {
		f := setUp(t, newPorts)
		f.live()
		const capacity, joiners = 10, 50
		results := make([]error, joiners)
		var wg sync.WaitGroup
		for i := range joiners {
			wg.Go(func() { _, results[i] = f.Sessions.Admit(f.ctx(), sessionID, "es", capacity, start) })
		}
		wg.Wait()
		admitted, full := 0, 0
		for _, err := range results {
			switch {
			case err == nil:
				admitted++
			case assert.ErrorIs(t, err, session.ErrSessionFull):
				full++
			}
		}
		assert.Equal(t, capacity, admitted)
		assert.Equal(t, joiners-capacity, full)
		assert.Equal(t, capacity, f.session(sessionID).ListenerCount)
	})

	t.Run("Unadmit restores the counts and the version an Admit changed, and refuses what is not counted", func(t *testing.T) {
		f := setUp(t, newPorts)
		seeded := f.live("fr")
		_, err := f.Sessions.Admit(f.ctx(), sessionID, "es", 5, start)
		require.NoError(t, err)
		require.NoError(t, f.Sessions.Unadmit(f.ctx(), sessionID, "es"))
		assert.Equal(t, seeded.Version, f.session(sessionID).Version)
		assert.Equal(t, 1, f.session(sessionID).ListenerCount)
		assert.Zero(t, f.session(sessionID).ByLanguage["es"])
		assert.ErrorIs(t, f.Sessions.Unadmit(f.ctx(), sessionID, "es"), session.ErrNotCounted)
		assert.ErrorIs(t, f.Sessions.Unadmit(f.ctx(), otherSessionID, "es"), session.ErrNotCounted, "unknown session")
		assert.Equal(t, 1, f.session(sessionID).ListenerCount)
	})

	t.Run("Release uncounts a listener, returns the session after, and never goes below zero", func(t *testing.T) {
		f := setUp(t, newPorts)
		seeded := f.live("es", "fr")
		after, err := f.Sessions.Release(f.ctx(), sessionID, "es")
		require.NoError(t, err)
		assert.Equal(t, 1, after.ListenerCount)
		assert.Zero(t, after.ByLanguage["es"])
		assert.Equal(t, seeded.Version+1, after.Version)
		assert.Equal(t, after, f.session(sessionID))
		_, err = f.Sessions.Release(f.ctx(), sessionID, "es")
		assert.ErrorIs(t, err, session.ErrNotCounted, "no es listener is counted any more")
		_, err = f.Sessions.Release(f.ctx(), sessionID, "de")
		assert.ErrorIs(t, err, session.ErrNotCounted, "none ever was")
		_, err = f.Sessions.Release(f.ctx(), otherSessionID, "fr")
		assert.ErrorIs(t, err, session.ErrNotCounted, "unknown session")
		assert.Equal(t, after, f.session(sessionID))
	})

	t.Run("Release after the session ended finds its counts reset", func(t *testing.T) {
		f := setUp(t, newPorts)
		f.live("fr")
		_, err := f.Sessions.End(f.ctx(), sessionID, speakerID, session.ReasonSpeakerEnded, start)
		require.NoError(t, err)
		_, err = f.Sessions.Release(f.ctx(), sessionID, "fr")
		assert.ErrorIs(t, err, session.ErrNotCounted)
	})
}
