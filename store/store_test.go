package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livecast/sessions/session"
)

var t0 = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

func liveSession(id, speakerConn string) (session.Session, session.Connection) {
	return session.Session{
			ID: id, SpeakerConnectionID: speakerConn, SpeakerUserID: "user-1", SourceLanguage: "en", QualityTier: "standard",
			CreatedAt: t0, ExpiresAt: t0.Add(2 * time.Hour), Active: true, ByLanguage: map[string]int{},
		}, session.Connection{
			ID: speakerConn, SessionID: id, Role: session.RoleSpeaker, UserID: "user-1", ConnectedAt: t0, LastSeenAt: t0,
		}
}

func listener(id, sessionID, lang string) session.Connection {
	return session.Connection{ID: id, SessionID: sessionID, Role: session.RoleListener, TargetLanguage: lang, ConnectedAt: t0, LastSeenAt: t0}
}

func TestSessionLifecycle(t *testing.T) {
	ctx := context.Background()
	s, rt := newStore(t)
	sess, speaker := liveSession("holy-lamb-101", "spk")

	t.Run("create is one round trip and refuses a live duplicate id", func(t *testing.T) {
		before := rt.Count()
		require.NoError(t, s.CreateSession(ctx, sess, speaker))
		assert.EqualValues(t, 1, rt.Count()-before)
		_, other := liveSession("holy-lamb-101", "spk2")
		assert.ErrorIs(t, s.CreateSession(ctx, sess, other), session.ErrSessionIDTaken)
		assert.ErrorIs(t, s.CreateSession(ctx, sess, speaker), session.ErrDuplicateConnection)
	})

	t.Run("admit counts per language in one round trip", func(t *testing.T) {
		before := rt.Count()
		require.NoError(t, s.AdmitListener(ctx, listener("l1", sess.ID, "es"), 2, t0))
		assert.EqualValues(t, 1, rt.Count()-before)
		require.NoError(t, s.AdmitListener(ctx, listener("l2", sess.ID, "fr"), 2, t0))
		assert.ErrorIs(t, s.AdmitListener(ctx, listener("l3", sess.ID, "fr"), 2, t0), session.ErrSessionFull)
		assert.ErrorIs(t, s.AdmitListener(ctx, listener("l1", sess.ID, "es"), 0, t0), session.ErrDuplicateConnection)
		got, err := s.GetSession(ctx, sess.ID)
		require.NoError(t, err)
		assert.Equal(t, 2, got.ListenerCount)
		assert.Equal(t, map[string]int{"es": 1, "fr": 1}, got.ByLanguage)
	})

	t.Run("unknown or expired sessions refuse listeners", func(t *testing.T) {
		assert.ErrorIs(t, s.AdmitListener(ctx, listener("x1", "kind-dove-555", "es"), 10, t0), session.ErrNotFound)
		assert.ErrorIs(t, s.AdmitListener(ctx, listener("x2", sess.ID, "es"), 10, t0.Add(3*time.Hour)), session.ErrNotFound)
	})

	t.Run("listeners query by language or all", func(t *testing.T) {
		all, err := s.Listeners(ctx, sess.ID, "")
		require.NoError(t, err)
		assert.Len(t, all, 2)
		es, err := s.Listeners(ctx, sess.ID, "es")
		require.NoError(t, err)
		require.Len(t, es, 1)
		assert.Equal(t, "l1", es[0].ID)
	})

	t.Run("release never goes below zero", func(t *testing.T) {
		got, err := s.ReleaseListener(ctx, sess.ID, "es")
		require.NoError(t, err)
		assert.Equal(t, 1, got.ListenerCount)
		_, err = s.ReleaseListener(ctx, sess.ID, "es")
		assert.ErrorIs(t, err, session.ErrNotFound)
		got, err = s.GetSession(ctx, sess.ID)
		require.NoError(t, err)
		assert.Equal(t, 1, got.ListenerCount)
		assert.Equal(t, 0, got.ByLanguage["es"])
	})

	t.Run("remove connection is idempotent", func(t *testing.T) {
		c, err := s.RemoveConnection(ctx, "l1")
		require.NoError(t, err)
		assert.Equal(t, "es", c.TargetLanguage)
		_, err = s.RemoveConnection(ctx, "l1")
		assert.ErrorIs(t, err, session.ErrNotFound)
	})

	t.Run("speaker takeover needs the same user", func(t *testing.T) {
		newSpk := session.Connection{ID: "spk-new", SessionID: sess.ID, Role: session.RoleSpeaker, UserID: "intruder", ConnectedAt: t0}
		assert.ErrorIs(t, s.TakeOverSpeaker(ctx, newSpk, t0.Add(4*time.Hour), t0), session.ErrNotSpeaker)
		newSpk.UserID = "user-1"
		require.NoError(t, s.TakeOverSpeaker(ctx, newSpk, t0.Add(4*time.Hour), t0))
		_, err := s.EndSession(ctx, sess.ID, "spk", session.ReasonSpeakerDisconnected, t0)
		assert.ErrorIs(t, err, session.ErrNotSpeaker, "the replaced connection must not end the session")
	})

	t.Run("broadcast state changes only for the speaker", func(t *testing.T) {
		yes := true
		_, err := s.SetBroadcast(ctx, sess.ID, "spk", session.BroadcastChange{Paused: &yes})
		assert.ErrorIs(t, err, session.ErrNotSpeaker)
		before, err := s.SetBroadcast(ctx, sess.ID, "spk-new", session.BroadcastChange{Paused: &yes})
		require.NoError(t, err)
		assert.False(t, before.Broadcast.Paused)
	})

	t.Run("language switch moves the count once", func(t *testing.T) {
		l2, err := s.GetConnection(ctx, "l2")
		require.NoError(t, err)
		require.Equal(t, "fr", l2.TargetLanguage)
		require.NoError(t, s.SwitchLanguage(ctx, l2, "de"))
		assert.ErrorIs(t, s.SwitchLanguage(ctx, l2, "de"), session.ErrReplayed, "a repeat of the same switch")
		got, err := s.GetSession(ctx, sess.ID)
		require.NoError(t, err)
		assert.Equal(t, map[string]int{"fr": 0, "de": 1, "es": 0}, got.ByLanguage)
	})

	t.Run("end session deactivates once", func(t *testing.T) {
		_, err := s.EndSession(ctx, sess.ID, "spk-new", session.ReasonSpeakerDisconnected, t0)
		require.NoError(t, err)
		_, err = s.EndSession(ctx, sess.ID, "spk-new", session.ReasonSpeakerDisconnected, t0)
		assert.ErrorIs(t, err, session.ErrNotFound)
		got, err := s.GetSession(ctx, sess.ID)
		require.NoError(t, err)
		assert.False(t, got.Active)
		assert.Equal(t, 0, got.ListenerCount)
		require.NoError(t, s.DeleteConnections(ctx, []string{"l2", "spk", "spk-new"}))
		_, err = s.GetConnection(ctx, "l2")
		assert.ErrorIs(t, err, session.ErrNotFound)
	})
}

func TestConcurrentJoinsNeverPassCapacity(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	sess, speaker := liveSession("holy-lamb-202", "spk")
	require.NoError(t, s.CreateSession(ctx, sess, speaker))
	const capacity, joiners = 10, 50
	var wg sync.WaitGroup
	results := make([]error, joiners)
	for i := range joiners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = s.AdmitListener(ctx, listener("c"+string(rune('A'+i)), sess.ID, "es"), capacity, t0)
		}()
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
	got, err := s.GetSession(ctx, sess.ID)
	require.NoError(t, err)
	assert.Equal(t, capacity, got.ListenerCount)
	records, err := s.Listeners(ctx, sess.ID, "")
	require.NoError(t, err)
	assert.Len(t, records, capacity)
}

func TestHeartbeatLimitIsOneWritePerBeat(t *testing.T) {
	ctx := context.Background()
	s, rt := newStore(t)
	sess, speaker := liveSession("holy-lamb-303", "spk")
	require.NoError(t, s.CreateSession(ctx, sess, speaker))
	now := t0.Add(10 * time.Second)
	before := rt.Count()
	prev, err := s.Touch(ctx, "spk", "", now, 2)
	require.NoError(t, err)
	assert.EqualValues(t, 1, rt.Count()-before)
	assert.Equal(t, t0, prev.LastSeenAt.UTC())
	_, err = s.Touch(ctx, "spk", "", now.Add(time.Second), 2)
	require.NoError(t, err)
	_, err = s.Touch(ctx, "spk", "", now.Add(2*time.Second), 2)
	var rl *session.RateLimitedError
	require.ErrorAs(t, err, &rl)
	assert.Equal(t, 48, rl.RetryAfter)
	_, err = s.Touch(ctx, "spk", "", t0.Add(time.Minute), 2)
	assert.NoError(t, err, "a new minute resets the count")
	_, err = s.Touch(ctx, "nobody", "", now, 2)
	assert.ErrorIs(t, err, session.ErrNotFound)
}

func TestRateLimitWindows(t *testing.T) {
	ctx := context.Background()
	s, rt := newStore(t)
	limits := []session.Limit{{Name: "attempts", Max: 3, Window: time.Minute}, {Name: "joins", Max: 2, Window: time.Minute}}
	before := rt.Count()
	require.NoError(t, s.Take(ctx, "ip:x", "c1", limits, t0))
	assert.EqualValues(t, 1, rt.Count()-before, "limits sharing a window cost one write")
	require.NoError(t, s.Take(ctx, "ip:x", "c1", limits, t0), "a replay is not counted twice")
	require.NoError(t, s.Take(ctx, "ip:x", "c2", limits, t0))
	err := s.Take(ctx, "ip:x", "c3", limits, t0.Add(15*time.Second))
	var rl *session.RateLimitedError
	require.ErrorAs(t, err, &rl)
	assert.Equal(t, 45, rl.RetryAfter)
	assert.NoError(t, s.Take(ctx, "ip:x", "c3", limits, t0.Add(time.Minute)), "the next window starts empty")
}
