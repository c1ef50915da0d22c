package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livecast/sessions/session"
)

// The ports' behaviour is pinned by the contract (contract_test.go); what is
// left here is DynamoDB's side of it: how many requests each step costs.

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

func TestEveryHotPathStepIsOneRoundTrip(t *testing.T) {
	ctx := context.Background()

	t.Run("Create writes the session and its speaker in one transaction", func(t *testing.T) {
		t.Parallel()
		s, rt := newStore(t)
		sess, speaker := liveSession("holy-lamb-101", "spk")
		before := rt.Count()
		require.NoError(t, s.Sessions.Create(ctx, sess, speaker))
		assert.EqualValues(t, 1, rt.Count()-before)
	})

	t.Run("Admit checks and counts in one conditional update", func(t *testing.T) {
		t.Parallel()
		s, rt := newStore(t)
		sess, speaker := liveSession("holy-lamb-101", "spk")
		require.NoError(t, s.Sessions.Create(ctx, sess, speaker))
		before := rt.Count()
		_, err := s.Sessions.Admit(ctx, sess.ID, "es", 2, t0)
		require.NoError(t, err)
		assert.EqualValues(t, 1, rt.Count()-before)
	})

	t.Run("Reclaim hands a held seat over in one transaction", func(t *testing.T) {
		t.Parallel()
		s, rt := newStore(t)
		sess, speaker := liveSession("holy-lamb-101", "spk")
		require.NoError(t, s.Sessions.Create(ctx, sess, speaker))
		seat := listener("r1", sess.ID, "es")
		seat.ResumeHash = "hash-1"
		require.NoError(t, s.Connections.Register(ctx, seat))
		_, err := s.Connections.Hold(ctx, "r1", t0.Add(2*time.Minute))
		require.NoError(t, err)
		claim := session.Connection{ID: "r1", SessionID: sess.ID, TargetLanguage: "es", ResumeHash: "hash-1"}
		before := rt.Count()
		require.NoError(t, s.Connections.Reclaim(ctx, claim, listener("r2", sess.ID, "es"), t0))
		assert.EqualValues(t, 1, rt.Count()-before)
	})

	t.Run("Touch records a beat and enforces its limit in one write", func(t *testing.T) {
		t.Parallel()
		s, rt := newStore(t)
		sess, speaker := liveSession("holy-lamb-303", "spk")
		require.NoError(t, s.Sessions.Create(ctx, sess, speaker))
		before := rt.Count()
		_, err := s.Connections.Touch(ctx, "spk", "", t0.Add(10*time.Second), 2)
		require.NoError(t, err)
		assert.EqualValues(t, 1, rt.Count()-before)
	})

	t.Run("Take costs one write for the limits sharing a window", func(t *testing.T) {
		t.Parallel()
		s, rt := newStore(t)
		limits := []session.Limit{{Name: "attempts", Max: 3, Window: time.Minute}, {Name: "joins", Max: 2, Window: time.Minute}}
		before := rt.Count()
		require.NoError(t, s.Take(ctx, "ip:x", "c1", limits, t0))
		assert.EqualValues(t, 1, rt.Count()-before)
	})
}
