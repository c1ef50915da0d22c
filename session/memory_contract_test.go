package session_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livecast/sessions/session"
	"github.com/livecast/sessions/session/sessiontest"
)

// The double is only worth its tests if it keeps the ports' contracts; these
// pin the ones the domain relies on.

func TestMemorySessionsKeepTheirContract(t *testing.T) {
	ctx := context.Background()
	newSeeded := func(t *testing.T) (*fixture, session.Sessions) {
		f := newFixture(t, session.Config{})
		f.seed("fr")
		return f, f.mem.Sessions()
	}

	t.Run("Admit returns the session after the change, and refuses a full or dead session", func(t *testing.T) {
		f, s := newSeeded(t)
		after, err := s.Admit(ctx, seededID, "es", 2, start)
		require.NoError(t, err)
		assert.Equal(t, 2, after.ListenerCount)
		assert.Equal(t, int64(1), after.Version)
		_, err = s.Admit(ctx, seededID, "es", 2, start)
		assert.ErrorIs(t, err, session.ErrSessionFull)
		_, err = s.Admit(ctx, seededID, "es", 5, start.Add(2*time.Hour))
		assert.ErrorIs(t, err, session.ErrNotFound, "expired")
		_, err = s.Admit(ctx, otherID, "es", 5, start)
		assert.ErrorIs(t, err, session.ErrNotFound, "unknown")
		assert.Equal(t, 2, f.stored(seededID).ListenerCount)
	})

	t.Run("Unadmit restores counts and version; Release returns the session after and never goes below zero", func(t *testing.T) {
		f, s := newSeeded(t)
		_, err := s.Admit(ctx, seededID, "es", 5, start)
		require.NoError(t, err)
		require.NoError(t, s.Unadmit(ctx, seededID, "es"))
		assert.Equal(t, int64(0), f.stored(seededID).Version)
		assert.ErrorIs(t, s.Unadmit(ctx, seededID, "es"), session.ErrNotCounted)
		after, err := s.Release(ctx, seededID, "fr")
		require.NoError(t, err)
		assert.Equal(t, 0, after.ListenerCount)
		_, err = s.Release(ctx, seededID, "fr")
		assert.ErrorIs(t, err, session.ErrNotCounted)
	})

	t.Run("TakeOverSpeaker returns the session before and refuses other users, dead sessions and known connections", func(t *testing.T) {
		f, s := newSeeded(t)
		lose(f, start.Add(time.Minute))
		c := session.Connection{ID: "spk2", SessionID: seededID, Role: session.RoleSpeaker, UserID: aliceID}
		before, err := s.TakeOverSpeaker(ctx, c, start.Add(3*time.Hour), start)
		require.NoError(t, err)
		assert.False(t, before.SpeakerConnected())
		assert.True(t, f.stored(seededID).SpeakerConnected())
		_, err = s.TakeOverSpeaker(ctx, c, start.Add(3*time.Hour), start)
		assert.ErrorIs(t, err, session.ErrDuplicateConnection)
		c.ID, c.UserID = "spk3", bobID
		_, err = s.TakeOverSpeaker(ctx, c, start.Add(3*time.Hour), start)
		assert.ErrorIs(t, err, session.ErrNotSpeaker)
		c.UserID = aliceID
		_, err = s.TakeOverSpeaker(ctx, c, start.Add(4*time.Hour), start.Add(3*time.Hour))
		assert.ErrorIs(t, err, session.ErrNotFound)
	})

	t.Run("SpeakerLost returns the session before and opens one window only for the current speaker", func(t *testing.T) {
		f, s := newSeeded(t)
		_, err := s.SpeakerLost(ctx, seededID, "other", start)
		assert.ErrorIs(t, err, session.ErrNotSpeaker)
		before, err := s.SpeakerLost(ctx, seededID, "spk", start.Add(time.Minute))
		require.NoError(t, err)
		assert.True(t, before.SpeakerConnected())
		_, err = s.SpeakerLost(ctx, seededID, "spk", start.Add(2*time.Minute))
		assert.ErrorIs(t, err, session.ErrReplayed)
		assert.Equal(t, start.Add(time.Minute), f.stored(seededID).ReconnectDeadline)
	})

	t.Run("End returns the session before, resets counts, and ends once", func(t *testing.T) {
		f, s := newSeeded(t)
		_, err := s.End(ctx, seededID, "other", session.ReasonExpired, start)
		assert.ErrorIs(t, err, session.ErrNotSpeaker)
		before, err := s.End(ctx, seededID, "spk", session.ReasonExpired, start)
		require.NoError(t, err)
		assert.True(t, before.Active)
		assert.Equal(t, 1, before.ListenerCount)
		after := f.stored(seededID)
		assert.Zero(t, after.ListenerCount)
		assert.False(t, after.Active)
		_, err = s.End(ctx, seededID, "spk", session.ReasonExpired, start)
		assert.ErrorIs(t, err, session.ErrNotFound)
		_, err = s.SetBroadcast(ctx, seededID, "spk", session.BroadcastChange{})
		assert.ErrorIs(t, err, session.ErrNotFound)
	})

	t.Run("SetBroadcast returns the session before and changes only the given fields", func(t *testing.T) {
		f, s := newSeeded(t)
		yes := true
		before, err := s.SetBroadcast(ctx, seededID, "spk", session.BroadcastChange{Muted: &yes})
		require.NoError(t, err)
		assert.False(t, before.Broadcast.Muted)
		assert.Equal(t, session.BroadcastState{Muted: true, Volume: 1}, f.stored(seededID).Broadcast)
		_, err = s.SetBroadcast(ctx, seededID, "other", session.BroadcastChange{Muted: &yes})
		assert.ErrorIs(t, err, session.ErrNotSpeaker)
	})

	t.Run("SetCounts refuses counts that changed since they were read", func(t *testing.T) {
		f, s := newSeeded(t)
		read := f.stored(seededID)
		_, err := s.Admit(ctx, seededID, "fr", 5, start)
		require.NoError(t, err)
		assert.ErrorIs(t, f.mem.Scans().SetCounts(ctx, read, 0, nil), session.ErrCountsChanged)
		assert.NoError(t, f.mem.Scans().SetCounts(ctx, f.stored(seededID), 0, nil))
	})
}

func TestMemoryConnectionsKeepTheirContract(t *testing.T) {
	ctx := context.Background()
	newSeeded := func(t *testing.T) (*fixture, session.Connections) {
		f := newFixture(t, session.Config{})
		f.seed("fr")
		return f, f.mem.Connections()
	}

	t.Run("a held record is neither removed nor held again, and is released only once its hold ended", func(t *testing.T) {
		_, c := newSeeded(t)
		held, err := c.Hold(ctx, "l0", start.Add(time.Minute))
		require.NoError(t, err)
		assert.Equal(t, start.Add(time.Minute), held.HeldUntil)
		_, err = c.Hold(ctx, "l0", start.Add(time.Hour))
		assert.ErrorIs(t, err, session.ErrNotFound)
		_, err = c.Remove(ctx, "l0")
		assert.ErrorIs(t, err, session.ErrNotFound)
		_, err = c.ReleaseHeld(ctx, "l0", start)
		assert.ErrorIs(t, err, session.ErrNotFound, "still held")
		_, err = c.ReleaseHeld(ctx, "l0", start.Add(time.Minute))
		assert.NoError(t, err)
		_, err = c.Get(ctx, "l0")
		assert.ErrorIs(t, err, session.ErrNotFound)
	})

	t.Run("Reclaim needs the seat's hash, session and language, and a hold not yet ended", func(t *testing.T) {
		f, c := newSeeded(t)
		seat := f.record("l0")
		seat.ResumeHash = "h"
		f.mem.PutConnection(seat)
		old := session.Connection{ID: "l0", SessionID: seededID, TargetLanguage: "fr", ResumeHash: "h"}
		for _, bad := range []session.Connection{
			{ID: "l0", SessionID: seededID, TargetLanguage: "fr", ResumeHash: "x"},
			{ID: "l0", SessionID: otherID, TargetLanguage: "fr", ResumeHash: "h"},
			{ID: "l0", SessionID: seededID, TargetLanguage: "es", ResumeHash: "h"},
		} {
			assert.ErrorIs(t, c.Reclaim(ctx, bad, session.Connection{ID: "new"}, start), session.ErrResumeRefused)
		}
		assert.ErrorIs(t, c.Reclaim(ctx, old, session.Connection{ID: "spk"}, start), session.ErrDuplicateConnection)
		_, err := c.Hold(ctx, "l0", start.Add(time.Minute))
		require.NoError(t, err)
		assert.ErrorIs(t, c.Reclaim(ctx, old, session.Connection{ID: "new"}, start.Add(time.Minute)), session.ErrResumeRefused)
		assert.NoError(t, c.Reclaim(ctx, old, session.Connection{ID: "new"}, start))
		assert.ErrorIs(t, c.Reclaim(ctx, old, session.Connection{ID: "newer"}, start), session.ErrResumeRefused, "single use")
	})

	t.Run("Replace needs the old record present and not held", func(t *testing.T) {
		_, c := newSeeded(t)
		_, err := c.Hold(ctx, "l0", start.Add(time.Minute))
		require.NoError(t, err)
		assert.ErrorIs(t, c.Replace(ctx, session.Connection{ID: "l0"}, session.Connection{ID: "new"}), session.ErrNotFound)
		assert.ErrorIs(t, c.Replace(ctx, session.Connection{ID: "gone"}, session.Connection{ID: "new"}), session.ErrNotFound)
		assert.ErrorIs(t, c.Replace(ctx, session.Connection{ID: "l0"}, session.Connection{ID: "spk"}), session.ErrDuplicateConnection)
	})

	t.Run("Touch returns the record before, refuses over the limit and recognises a replay", func(t *testing.T) {
		_, c := newSeeded(t)
		before, err := c.Touch(ctx, "l0", "r1", start.Add(time.Second), 1)
		require.NoError(t, err)
		assert.Equal(t, start, before.LastSeenAt)
		_, err = c.Touch(ctx, "l0", "r1", start.Add(2*time.Second), 1)
		assert.ErrorIs(t, err, session.ErrReplayed)
		_, err = c.Touch(ctx, "l0", "r2", start.Add(3*time.Second), 1)
		var limited *session.RateLimitedError
		require.ErrorAs(t, err, &limited)
		assert.Equal(t, 57, limited.RetryAfter)
		_, err = c.Touch(ctx, "nobody", "r1", start, 1)
		assert.ErrorIs(t, err, session.ErrNotFound)
	})

	t.Run("Listeners lists listener records only, of one language when asked", func(t *testing.T) {
		f, c := newSeeded(t)
		f.mem.PutConnection(session.Connection{ID: "l9", SessionID: seededID, Role: session.RoleListener, TargetLanguage: "es"})
		all, err := c.Listeners(ctx, seededID, "")
		require.NoError(t, err)
		assert.Len(t, all, 2)
		es, err := c.Listeners(ctx, seededID, "es")
		require.NoError(t, err)
		require.Len(t, es, 1)
		assert.Equal(t, "l9", es[0].ID)
	})
}

func TestMemoryLimiterKeepsItsContract(t *testing.T) {
	ctx := context.Background()
	perMinute := []session.Limit{{Name: "a", Max: 2, Window: time.Minute}, {Name: "b", Max: 1, Window: time.Minute}}

	t.Run("a member is counted once under every limit or none", func(t *testing.T) {
		l := sessiontest.NewLimiter()
		require.NoError(t, l.Take(ctx, "k", "m1", perMinute, start))
		require.NoError(t, l.Take(ctx, "k", "m1", perMinute, start), "a replayed member is not counted twice")
		err := l.Take(ctx, "k", "m2", perMinute, start.Add(15*time.Second))
		var limited *session.RateLimitedError
		require.ErrorAs(t, err, &limited)
		assert.Equal(t, "b", limited.Limit)
		assert.Equal(t, 45, limited.RetryAfter)
		assert.NoError(t, l.Take(ctx, "k", "m3", perMinute[:1], start), "the refused take counted nothing under a")
		assert.Error(t, l.Take(ctx, "k", "m4", perMinute[:1], start))
		assert.NoError(t, l.Take(ctx, "k", "m4", perMinute[:1], start.Add(time.Minute)), "a new window")
	})
}

func TestMemoryIsSafeForConcurrentUse(t *testing.T) {
	f := newFixture(t, session.Config{})
	f.seed()
	s := f.mem.Sessions()
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			for range 50 {
				if _, err := s.Admit(t.Context(), seededID, "fr", 1000, start); err == nil {
					_, _ = s.Release(t.Context(), seededID, "fr")
				}
				_, _ = f.mem.Scans().LiveSessions(t.Context())
			}
		})
	}
	wg.Wait()
	got := f.stored(seededID)
	assert.Zero(t, got.ListenerCount)
	assert.Equal(t, int64(2000), got.Version)
}
