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
	sessions, conns := s.Sessions, s.Connections
	sess, speaker := liveSession("holy-lamb-101", "spk")

	t.Run("create is one round trip and refuses a live duplicate id", func(t *testing.T) {
		before := rt.Count()
		require.NoError(t, sessions.Create(ctx, sess, speaker))
		assert.EqualValues(t, 1, rt.Count()-before)
		_, other := liveSession("holy-lamb-101", "spk2")
		assert.ErrorIs(t, sessions.Create(ctx, sess, other), session.ErrSessionIDTaken)
		assert.ErrorIs(t, sessions.Create(ctx, sess, speaker), session.ErrDuplicateConnection)
	})

	t.Run("admit counts per language in one round trip and says what it counted", func(t *testing.T) {
		before := rt.Count()
		got, err := sessions.Admit(ctx, sess.ID, "es", 2, t0)
		require.NoError(t, err)
		assert.EqualValues(t, 1, rt.Count()-before)
		assert.Equal(t, 1, got.ListenerCount)
		assert.Equal(t, "en", got.SourceLanguage)
		require.NoError(t, conns.Register(ctx, listener("l1", sess.ID, "es")))
		_, err = sessions.Admit(ctx, sess.ID, "fr", 2, t0)
		require.NoError(t, err)
		require.NoError(t, conns.Register(ctx, listener("l2", sess.ID, "fr")))
		_, err = sessions.Admit(ctx, sess.ID, "fr", 2, t0)
		assert.ErrorIs(t, err, session.ErrSessionFull)
		assert.ErrorIs(t, conns.Register(ctx, listener("l1", sess.ID, "es")), session.ErrDuplicateConnection)
		got, err = sessions.Get(ctx, sess.ID)
		require.NoError(t, err)
		assert.Equal(t, 2, got.ListenerCount)
		assert.Equal(t, map[string]int{"es": 1, "fr": 1}, got.ByLanguage)
	})

	t.Run("unknown or expired sessions refuse listeners", func(t *testing.T) {
		_, err := sessions.Admit(ctx, "kind-dove-555", "es", 10, t0)
		assert.ErrorIs(t, err, session.ErrNotFound)
		_, err = sessions.Admit(ctx, sess.ID, "es", 10, t0.Add(3*time.Hour))
		assert.ErrorIs(t, err, session.ErrNotFound)
	})

	t.Run("listeners query by language or all", func(t *testing.T) {
		all, err := conns.Listeners(ctx, sess.ID, "")
		require.NoError(t, err)
		assert.Len(t, all, 2)
		es, err := conns.Listeners(ctx, sess.ID, "es")
		require.NoError(t, err)
		require.Len(t, es, 1)
		assert.Equal(t, "l1", es[0].ID)
	})

	t.Run("release never goes below zero", func(t *testing.T) {
		_, err := sessions.Admit(ctx, sess.ID, "es", 10, t0)
		require.NoError(t, err)
		got, err := sessions.Release(ctx, sess.ID, "es")
		require.NoError(t, err)
		assert.Equal(t, 2, got.ListenerCount)
		_, err = sessions.Release(ctx, sess.ID, "de")
		assert.ErrorIs(t, err, session.ErrNotCounted)
		got, err = sessions.Get(ctx, sess.ID)
		require.NoError(t, err)
		assert.Equal(t, 2, got.ListenerCount)
	})

	t.Run("a held seat survives remove and is released only after its window", func(t *testing.T) {
		held, err := conns.Hold(ctx, "l1", t0.Add(2*time.Minute))
		require.NoError(t, err)
		assert.Equal(t, session.RoleListener, held.Role)
		_, err = conns.Hold(ctx, "l1", t0.Add(3*time.Minute))
		assert.ErrorIs(t, err, session.ErrNotFound, "holding twice changes nothing")
		_, err = conns.Remove(ctx, "l1")
		assert.ErrorIs(t, err, session.ErrNotFound, "a deliberate close of a held seat releases nothing")
		_, err = conns.ReleaseHeld(ctx, "l1", t0.Add(time.Minute))
		assert.ErrorIs(t, err, session.ErrNotFound, "still within the window")
		c, err := conns.ReleaseHeld(ctx, "l1", t0.Add(2*time.Minute))
		require.NoError(t, err)
		assert.Equal(t, "es", c.TargetLanguage)
		_, err = conns.Hold(ctx, "nobody", t0)
		assert.ErrorIs(t, err, session.ErrNotFound)
	})

	t.Run("reclaim needs the token's hash, session, language and an open window, once", func(t *testing.T) {
		seat := listener("r1", sess.ID, "es")
		seat.ResumeHash = "hash-1"
		require.NoError(t, conns.Register(ctx, seat))
		_, err := conns.Hold(ctx, "r1", t0.Add(2*time.Minute))
		require.NoError(t, err)
		claim := session.Connection{ID: "r1", SessionID: sess.ID, TargetLanguage: "es", ResumeHash: "hash-1"}
		next := listener("r2", sess.ID, "es")
		next.ResumeHash = "hash-2"
		forged := claim
		forged.ResumeHash = "hash-x"
		assert.ErrorIs(t, conns.Reclaim(ctx, forged, next, t0), session.ErrResumeRefused)
		foreign := claim
		foreign.SessionID = "kind-dove-555"
		assert.ErrorIs(t, conns.Reclaim(ctx, foreign, next, t0), session.ErrResumeRefused)
		assert.ErrorIs(t, conns.Reclaim(ctx, claim, next, t0.Add(3*time.Minute)), session.ErrResumeRefused, "the window passed")
		before := rt.Count()
		require.NoError(t, conns.Reclaim(ctx, claim, next, t0))
		assert.EqualValues(t, 1, rt.Count()-before)
		assert.ErrorIs(t, conns.Reclaim(ctx, claim, listener("r3", sess.ID, "es"), t0), session.ErrResumeRefused, "a token is single-use")
		got, err := conns.Get(ctx, "r2")
		require.NoError(t, err)
		assert.False(t, got.Held())
		assert.Equal(t, "hash-2", got.ResumeHash)
	})

	t.Run("replace swaps an open connection once", func(t *testing.T) {
		old, err := conns.Get(ctx, "r2")
		require.NoError(t, err)
		require.NoError(t, conns.Replace(ctx, old, listener("r4", sess.ID, "es")))
		assert.ErrorIs(t, conns.Replace(ctx, old, listener("r5", sess.ID, "es")), session.ErrNotFound)
		require.NoError(t, conns.DeleteMany(ctx, []string{"r4"}))
	})

	t.Run("remove connection is idempotent", func(t *testing.T) {
		c, err := conns.Remove(ctx, "l2")
		require.NoError(t, err)
		assert.Equal(t, "fr", c.TargetLanguage)
		_, err = conns.Remove(ctx, "l2")
		assert.ErrorIs(t, err, session.ErrNotFound)
		require.NoError(t, conns.Register(ctx, listener("l2", sess.ID, "fr")))
	})

	t.Run("a lost speaker opens one window, and its return closes it", func(t *testing.T) {
		deadline := t0.Add(2 * time.Minute)
		before, err := sessions.SpeakerLost(ctx, sess.ID, "spk", deadline)
		require.NoError(t, err)
		assert.True(t, before.SpeakerConnected())
		_, err = sessions.SpeakerLost(ctx, sess.ID, "spk", deadline)
		assert.ErrorIs(t, err, session.ErrReplayed)
		_, err = sessions.SpeakerLost(ctx, sess.ID, "someone-else", deadline)
		assert.ErrorIs(t, err, session.ErrNotSpeaker)
		got, err := sessions.Get(ctx, sess.ID)
		require.NoError(t, err)
		assert.Equal(t, deadline.UnixMilli(), got.ReconnectDeadline.UnixMilli())
		assert.True(t, got.EffectiveBroadcast().Paused)
	})

	t.Run("speaker takeover needs the same user and ends the window", func(t *testing.T) {
		newSpk := session.Connection{ID: "spk-new", SessionID: sess.ID, Role: session.RoleSpeaker, UserID: "intruder", ConnectedAt: t0}
		_, err := sessions.TakeOverSpeaker(ctx, newSpk, t0.Add(4*time.Hour), t0)
		assert.ErrorIs(t, err, session.ErrNotSpeaker)
		newSpk.UserID = "user-1"
		before, err := sessions.TakeOverSpeaker(ctx, newSpk, t0.Add(4*time.Hour), t0)
		require.NoError(t, err)
		assert.False(t, before.SpeakerConnected())
		assert.True(t, before.GapPaused)
		got, err := sessions.Get(ctx, sess.ID)
		require.NoError(t, err)
		assert.True(t, got.SpeakerConnected())
		assert.False(t, got.EffectiveBroadcast().Paused)
		_, err = sessions.End(ctx, sess.ID, "spk", session.ReasonSpeakerDisconnected, t0)
		assert.ErrorIs(t, err, session.ErrNotSpeaker, "the replaced connection must not end the session")
	})

	t.Run("broadcast state changes only for the speaker", func(t *testing.T) {
		yes := true
		_, err := sessions.SetBroadcast(ctx, sess.ID, "spk", session.BroadcastChange{Paused: &yes})
		assert.ErrorIs(t, err, session.ErrNotSpeaker)
		before, err := sessions.SetBroadcast(ctx, sess.ID, "spk-new", session.BroadcastChange{Paused: &yes})
		require.NoError(t, err)
		assert.False(t, before.Broadcast.Paused)
	})

	t.Run("language switch moves the count once", func(t *testing.T) {
		l2, err := conns.Get(ctx, "l2")
		require.NoError(t, err)
		require.Equal(t, "fr", l2.TargetLanguage)
		require.NoError(t, conns.SwitchLanguage(ctx, l2, "de"))
		assert.ErrorIs(t, conns.SwitchLanguage(ctx, l2, "de"), session.ErrReplayed, "a repeat of the same switch")
		got, err := sessions.Get(ctx, sess.ID)
		require.NoError(t, err)
		assert.Equal(t, 1, got.ByLanguage["de"])
		assert.Equal(t, 0, got.ByLanguage["fr"])
	})

	t.Run("the audience is the listeners' ids, languages and holds", func(t *testing.T) {
		require.NoError(t, conns.Register(ctx, listener("l3", sess.ID, "es")))
		_, err := conns.Hold(ctx, "l3", t0.Add(time.Minute))
		require.NoError(t, err)
		audience, err := conns.Audience(ctx, sess.ID, "")
		require.NoError(t, err)
		full, err := conns.Listeners(ctx, sess.ID, "")
		require.NoError(t, err)
		require.Len(t, audience, 2)
		require.Len(t, full, 2)
		for i, c := range full {
			assert.Equal(t, session.Connection{ID: c.ID, SessionID: sess.ID, Role: session.RoleListener, TargetLanguage: c.TargetLanguage, HeldUntil: c.HeldUntil}, audience[i])
		}
		de, err := conns.Audience(ctx, sess.ID, "de")
		require.NoError(t, err)
		assert.Equal(t, []string{"l2"}, ids(de))
	})

	t.Run("end session deactivates once and leaves the sweep's sight", func(t *testing.T) {
		_, err := sessions.End(ctx, sess.ID, "spk-new", session.ReasonSpeakerDisconnected, t0)
		require.NoError(t, err)
		_, err = sessions.End(ctx, sess.ID, "spk-new", session.ReasonSpeakerDisconnected, t0)
		assert.ErrorIs(t, err, session.ErrNotFound)
		got, err := sessions.Get(ctx, sess.ID)
		require.NoError(t, err)
		assert.False(t, got.Active)
		assert.Equal(t, 0, got.ListenerCount)
		live, err := s.LiveSessions(ctx)
		require.NoError(t, err)
		assert.Empty(t, live)
	})

	t.Run("a closing mark is no record to anything but Remove and the sweep's scan", func(t *testing.T) {
		l2, err := conns.Get(ctx, "l2")
		require.NoError(t, err)
		require.NoError(t, conns.MarkClosing(ctx, sess.ID, session.ReasonSpeakerDisconnected, []string{"l2"}, t0))

		_, err = conns.Get(ctx, "l2")
		assert.ErrorIs(t, err, session.ErrNotFound, "Get")
		_, err = conns.Hold(ctx, "l2", t0.Add(time.Minute))
		assert.ErrorIs(t, err, session.ErrNotFound, "Hold")
		_, err = conns.Touch(ctx, "l2", "beat-after-end", t0, 5)
		assert.ErrorIs(t, err, session.ErrNotFound, "Touch")
		assert.ErrorIs(t, conns.Replace(ctx, l2, listener("l2-next", sess.ID, "de")), session.ErrNotFound, "Replace")
		assert.ErrorIs(t, conns.Register(ctx, l2), session.ErrDuplicateConnection, "Register")
		listed, err := conns.Listeners(ctx, sess.ID, "")
		require.NoError(t, err)
		assert.NotContains(t, ids(listed), "l2", "Listeners")
		audience, err := conns.Audience(ctx, sess.ID, "")
		require.NoError(t, err)
		assert.NotContains(t, ids(audience), "l2", "Audience")

		all, err := s.AllConnections(ctx)
		require.NoError(t, err)
		var mark session.Connection
		for _, c := range all {
			if c.ID == "l2" {
				mark = c
			}
		}
		assert.Equal(t, session.Connection{ID: "l2", SessionID: sess.ID, ClosingSince: time.UnixMilli(t0.UnixMilli()), ClosingReason: session.ReasonSpeakerDisconnected}, mark)

		_, err = conns.Remove(ctx, "l2")
		assert.ErrorIs(t, err, session.ErrNotFound, "a mark is removed as no record")
		all, err = s.AllConnections(ctx)
		require.NoError(t, err)
		assert.NotContains(t, ids(all), "l2", "and it is gone")
		require.NoError(t, conns.DeleteMany(ctx, []string{"l3", "spk", "spk-new"}))
	})
}

// ids lists the connections' ids in order.
func ids(conns []session.Connection) []string {
	out := make([]string, len(conns))
	for i, c := range conns {
		out[i] = c.ID
	}
	return out
}

func TestConcurrentJoinsNeverPassCapacity(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	sess, speaker := liveSession("holy-lamb-202", "spk")
	require.NoError(t, s.Sessions.Create(ctx, sess, speaker))
	const capacity, joiners = 10, 50
	var wg sync.WaitGroup
	results := make([]error, joiners)
	for i := range joiners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, results[i] = s.Sessions.Admit(ctx, sess.ID, "es", capacity, t0)
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
	got, err := s.Sessions.Get(ctx, sess.ID)
	require.NoError(t, err)
	assert.Equal(t, capacity, got.ListenerCount)
}

func TestHeartbeatLimitIsOneWritePerBeat(t *testing.T) {
	ctx := context.Background()
	s, rt := newStore(t)
	sess, speaker := liveSession("holy-lamb-303", "spk")
	require.NoError(t, s.Sessions.Create(ctx, sess, speaker))
	now := t0.Add(10 * time.Second)
	before := rt.Count()
	prev, err := s.Connections.Touch(ctx, "spk", "", now, 2)
	require.NoError(t, err)
	assert.EqualValues(t, 1, rt.Count()-before)
	assert.Equal(t, t0, prev.LastSeenAt.UTC())
	_, err = s.Connections.Touch(ctx, "spk", "", now.Add(time.Second), 2)
	require.NoError(t, err)
	_, err = s.Connections.Touch(ctx, "spk", "", now.Add(2*time.Second), 2)
	var rl *session.RateLimitedError
	require.ErrorAs(t, err, &rl)
	assert.Equal(t, 48, rl.RetryAfter)
	_, err = s.Connections.Touch(ctx, "spk", "", t0.Add(time.Minute), 2)
	assert.NoError(t, err, "a new minute resets the count")
	_, err = s.Connections.Touch(ctx, "nobody", "", now, 2)
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
