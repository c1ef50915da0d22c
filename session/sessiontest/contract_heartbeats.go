package sessiontest

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livecast/sessions/session"
)

func heartbeatsContract(t *testing.T, newPorts func(t *testing.T) Ports) {
	t.Run("Touch records a heartbeat and returns the record as it was", func(t *testing.T) {
		f := setUp(t, newPorts)
		f.live("fr")
		before, err := f.Connections.Touch(f.ctx(), "l0", "r1", start.Add(10*time.Second), 5)
		require.NoError(t, err)
		assert.Equal(t, listener("l0", sessionID, "fr"), before)
		assert.Equal(t, start.Add(10*time.Second), f.connection("l0").LastSeenAt)
		_, err = f.Connections.Touch(f.ctx(), "nobody", "r1", start, 5)
		assert.ErrorIs(t, err, session.ErrNotFound)
	})

	t.Run("Touch refuses beats over the limit until the next minute", func(t *testing.T) {
		f := setUp(t, newPorts)
		f.live()
		now := start.Add(10 * time.Second)
		_, err := f.Connections.Touch(f.ctx(), speakerID, "", now, 2)
		require.NoError(t, err)
		_, err = f.Connections.Touch(f.ctx(), speakerID, "", now.Add(time.Second), 2)
		require.NoError(t, err)
		_, err = f.Connections.Touch(f.ctx(), speakerID, "", now.Add(2*time.Second), 2)
		var limited *session.RateLimitedError
		require.ErrorAs(t, err, &limited)
		assert.Equal(t, 48, limited.RetryAfter)
		assert.Equal(t, now.Add(time.Second), f.connection(speakerID).LastSeenAt, "a refused beat is not recorded")
		_, err = f.Connections.Touch(f.ctx(), speakerID, "", start.Add(time.Minute), 2)
		assert.NoError(t, err, "a new minute resets the count")
	})

	t.Run("Touch recognises a replay, before the limit, and changes nothing for it", func(t *testing.T) {
		f := setUp(t, newPorts)
		f.live("fr")
		_, err := f.Connections.Touch(f.ctx(), "l0", "r1", start.Add(time.Second), 1)
		require.NoError(t, err)
		replayed, err := f.Connections.Touch(f.ctx(), "l0", "r1", start.Add(2*time.Second), 1)
		assert.ErrorIs(t, err, session.ErrReplayed)
		assert.Equal(t, start.Add(time.Second), replayed.LastSeenAt, "the record as it is")
		assert.Equal(t, start.Add(time.Second), f.connection("l0").LastSeenAt)
		_, err = f.Connections.Touch(f.ctx(), "l0", "r2", start.Add(3*time.Second), 1)
		var limited *session.RateLimitedError
		require.ErrorAs(t, err, &limited)
		assert.Equal(t, 57, limited.RetryAfter)
	})

	t.Run("SwitchLanguage moves a listener and its count once", func(t *testing.T) {
		f := setUp(t, newPorts)
		seeded := f.live("fr", "es")
		read := f.connection("l0")
		require.NoError(t, f.Connections.SwitchLanguage(f.ctx(), read, "de"))
		assert.ErrorIs(t, f.Connections.SwitchLanguage(f.ctx(), read, "de"), session.ErrReplayed, "a repeat of the same switch")
		assert.Equal(t, "de", f.connection("l0").TargetLanguage)
		got := f.session(sessionID)
		assert.Equal(t, map[string]int{"de": 1, "es": 1, "fr": 0}, got.ByLanguage)
		assert.Equal(t, 2, got.ListenerCount)
		assert.Equal(t, seeded.Version+1, got.Version)
		de, err := f.Connections.Listeners(f.ctx(), sessionID, "de")
		require.NoError(t, err)
		assert.Equal(t, []string{"l0"}, ids(de))
	})

	t.Run("SwitchLanguage of a gone connection, or in an ended session, is ErrNotFound", func(t *testing.T) {
		f := setUp(t, newPorts)
		f.live("fr", "es")
		gone := f.connection("l1")
		_, err := f.Connections.Remove(f.ctx(), "l1")
		require.NoError(t, err)
		assert.ErrorIs(t, f.Connections.SwitchLanguage(f.ctx(), gone, "de"), session.ErrNotFound)
		read := f.connection("l0")
		_, err = f.Sessions.End(f.ctx(), sessionID, speakerID, session.ReasonSpeakerEnded, start)
		require.NoError(t, err)
		assert.ErrorIs(t, f.Connections.SwitchLanguage(f.ctx(), read, "de"), session.ErrNotFound)
		assert.Equal(t, "fr", f.connection("l0").TargetLanguage, "the refused switch changed nothing")
	})

	t.Run("SwitchLanguage and Admit at once in one session each count exactly once", func(t *testing.T) {
		f := setUp(t, newPorts)
		const switchers, joiners = 8, 8
		langs := make([]string, switchers)
		for i := range langs {
			langs[i] = "fr"
		}
		f.live(langs...)
		// The switches are transactions on the session item and the joins
		// single-item writes to it: on DynamoDB they conflict, and the store
		// must retry rather than lose a count or fail a listener.
		results := make([]error, switchers+joiners)
		var wg sync.WaitGroup
		for i := range switchers {
			read := f.connection(listenerID(sessionID, i))
			wg.Go(func() { results[i] = f.Connections.SwitchLanguage(f.ctx(), read, "de") })
		}
		for i := range joiners {
			wg.Go(func() { _, results[switchers+i] = f.Sessions.Admit(f.ctx(), sessionID, "es", 100, start) })
		}
		wg.Wait()
		for i, err := range results {
			assert.NoError(t, err, "call %d", i)
		}
		got := f.session(sessionID)
		assert.Equal(t, map[string]int{"de": switchers, "es": joiners, "fr": 0}, got.ByLanguage)
		assert.Equal(t, switchers+joiners, got.ListenerCount)
	})
}
