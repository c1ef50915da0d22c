package e2e

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livecast/sessions/router"
	"github.com/livecast/sessions/session"
	"github.com/livecast/sessions/store"
)

// sweep runs the scheduled event as EventBridge would deliver it and returns
// its report and the DynamoDB requests it made.
func (s *system) sweep(t *testing.T) (session.SweepReport, int64) {
	t.Helper()
	rt := &store.RoundTrips{}
	out, err := s.Invoke(store.CountInto(context.Background(), rt), router.ScheduledEvent(s.clock.Now()))
	require.NoError(t, err)
	var rep session.SweepReport
	require.NoError(t, json.Unmarshal(out, &rep))
	return rep, rt.Count()
}

func beat(c *client) {
	c.send(map[string]string{"action": "heartbeat"})
	c.skipUntil("heartbeatAck")
}

func TestSweepClosesSilentListeners(t *testing.T) {
	sys := startSystem(t, withEnv(generousLimits, "RATE_LIMIT_HEARTBEATS_PER_MIN", "100"))
	spk, id := sys.speaker(t, "owner")
	alive := sys.listener(t, id, "es")
	silent := sys.listener(t, id, "es")
	require.Equal(t, 2, sys.session(t, id).Count)

	sys.clock.Advance(91 * time.Second)
	beat(spk)
	beat(alive)
	rep, _ := sys.sweep(t)
	assert.Equal(t, 1, rep.Closed)
	assert.Equal(t, websocket.StatusNormalClosure, silent.expectClosed(), "the service closes the silent connection")
	assert.Equal(t, 2, sys.session(t, id).Count, "a silent listener's connection is lost: its seat is held for the reconnect window")
	assert.Equal(t, 2, sys.listenerRecords(t, id))
	assert.Equal(t, 1, rep.ActiveSessions)
	assert.Equal(t, 2, rep.TotalListeners)

	rep, _ = sys.sweep(t)
	assert.Zero(t, rep.Closed+rep.Ended+rep.Orphans+rep.Reconciled+rep.Released, "a second sweep finds nothing to repair")
	assert.Equal(t, 2, sys.session(t, id).Count, "and the late $disconnect changed nothing")

	sys.clock.Advance(2*time.Minute + time.Second)
	beat(spk)
	beat(alive)
	rep, _ = sys.sweep(t)
	assert.Equal(t, 1, rep.Released, "a seat not reclaimed within the window is released")
	assert.Equal(t, 1, sys.session(t, id).Count)
	assert.Equal(t, 1, sys.listenerRecords(t, id))
}

func TestSweepEndsSessionsWhoseSpeakerIsGoneOrExpired(t *testing.T) {
	sys := startSystem(t, withEnv(generousLimits, "RATE_LIMIT_HEARTBEATS_PER_MIN", "100"))

	t.Run("a speaker whose $disconnect never arrived is lost, and the session ends after the window", func(t *testing.T) {
		// The speaker's record exists but its connection does not.
		resp, _ := sys.invoke(t, apiEvent(t, "CONNECT", "$connect", "ghost-speaker",
			map[string]string{"action": "createSession", "sourceLanguage": "en", "qualityTier": "standard", "token": sys.token(t, "ghost")}, ""))
		require.Equal(t, 200, resp.StatusCode)
		id := sessionOfConnection(t, sys, "ghost-speaker")
		l := sys.listener(t, id, "fr")
		sys.clock.Advance(91 * time.Second)
		beat(l)
		rep, _ := sys.sweep(t)
		assert.Equal(t, 1, rep.SpeakersLost)
		assert.Zero(t, rep.Ended, "the session waits for its speaker")
		l.skipUntil("speakerDisconnected")
		assert.True(t, sys.session(t, id).Active)

		sys.clock.Advance(2*time.Minute + time.Second)
		beat(l)
		rep, _ = sys.sweep(t)
		assert.Equal(t, 1, rep.Ended)
		assert.Equal(t, "speakerDisconnected", l.skipUntil("sessionEnded")["reason"])
		assert.Equal(t, websocket.StatusNormalClosure, l.expectClosed())
		assert.False(t, sys.session(t, id).Active)
		assert.Zero(t, sys.listenerRecords(t, id))
	})

	t.Run("an expired session ends with reason expired", func(t *testing.T) {
		spk, id := sys.speaker(t, "owner")
		l := sys.listener(t, id, "es")
		sys.clock.Advance(2*time.Hour + time.Minute)
		rep, _ := sys.sweep(t)
		assert.GreaterOrEqual(t, rep.Ended, 1)
		assert.Equal(t, "expired", l.skipUntil("sessionEnded")["reason"])
		assert.Equal(t, websocket.StatusNormalClosure, l.expectClosed())
		assert.Equal(t, "expired", spk.skipUntil("sessionEnded")["reason"], "the speaker is told why")
		assert.Equal(t, websocket.StatusNormalClosure, spk.expectClosed(), "the speaker's connection is closed too")
		assert.False(t, sys.session(t, id).Active)
	})
}

func TestSweepRepairsCountsAndOrphans(t *testing.T) {
	sys := startSystem(t, generousLimits)
	_, id := sys.speaker(t, "owner")
	sys.listener(t, id, "es")
	sys.listener(t, id, "de")
	ctx := context.Background()

	// A lost decrement: the count says 1, the records say 2.
	_, err := sys.Graph.Store.Sessions.Release(ctx, id, "es")
	require.NoError(t, err)
	require.Equal(t, 1, sys.session(t, id).Count)

	// A record left behind by a session that ended without cleaning up.
	_, other := sys.speaker(t, "other")
	resp, _ := sys.invoke(t, apiEvent(t, "CONNECT", "$connect", "orphan-listener", map[string]string{"action": "joinSession", "sessionId": other, "targetLanguage": "es"}, ""))
	require.Equal(t, 200, resp.StatusCode)
	_, err = sys.Graph.Store.Sessions.End(ctx, other, sys.speakerConnection(t, other), session.ReasonSpeakerDisconnected, sys.clock.Now())
	require.NoError(t, err)

	rep, _ := sys.sweep(t)
	assert.Equal(t, 1, rep.Reconciled)
	assert.Equal(t, 1, rep.Orphans)
	v := sys.session(t, id)
	assert.Equal(t, 2, v.Count)
	assert.Equal(t, map[string]int{"es": 1, "de": 1}, nonZeroCounts(v.ByLanguage))
	_, err = sys.Graph.Store.Connections.Get(ctx, "orphan-listener")
	assert.ErrorIs(t, err, session.ErrNotFound)
}

// The sweep's reads follow live sessions and connections, never the ended
// sessions that wait for their TTL.
func TestSweepCostDoesNotGrowWithEndedSessions(t *testing.T) {
	sys := startSystem(t, generousLimits)
	_, live := sys.speaker(t, "owner")
	sys.listener(t, live, "es")
	_, before := sys.sweep(t)
	for range 20 {
		spk, _ := sys.speaker(t, "churn")
		sys.closeAndAwaitDisconnect(t, spk)
	}
	eventually(t, func() bool { rep, _ := sys.sweep(t); return rep.ActiveSessions == 1 }, "ended sessions are gone from the live set")
	rep, after := sys.sweep(t)
	t.Logf("sweep reads: %d before and %d after 20 ended sessions (1 live session, 2 connections)", before, after)
	assert.Equal(t, before, after)
	assert.Equal(t, int64(3), after, "Query live index + BatchGet + Scan connections")
	assert.Equal(t, 1, rep.TotalListeners)
}

func sessionOfConnection(t *testing.T, s *system, connID string) string {
	t.Helper()
	c, err := s.Graph.Store.Connections.Get(context.Background(), connID)
	require.NoError(t, err)
	return c.SessionID
}
