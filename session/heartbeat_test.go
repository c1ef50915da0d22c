package session_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livecast/sessions/session"
)

func TestHeartbeatTimingMessages(t *testing.T) {
	ack := session.HeartbeatAck{}
	listenerRefresh := session.RefreshRequired{SessionID: seededID, Role: session.RoleListener, TargetLanguage: "fr"}
	speakerRefresh := session.RefreshRequired{SessionID: seededID, Role: session.RoleSpeaker}
	cases := []struct {
		name     string
		role     session.Role
		previous time.Duration // the connection's age at its previous heartbeat
		age      time.Duration // its age at this one
		want     []session.Message
	}{
		{name: "a young listener is only acknowledged", role: session.RoleListener, previous: 98 * time.Minute, age: 99 * time.Minute, want: []session.Message{ack}},
		{name: "a listener is asked to refresh on its first heartbeat past RefreshAfter", role: session.RoleListener, previous: 99*time.Minute + 30*time.Second, age: 100 * time.Minute, want: []session.Message{ack, listenerRefresh}},
		{name: "a listener already asked to refresh is not asked again", role: session.RoleListener, previous: 100 * time.Minute, age: 100*time.Minute + 30*time.Second, want: []session.Message{ack}},
		{name: "a listener never gets the speaker's warning", role: session.RoleListener, previous: 104*time.Minute + 30*time.Second, age: 105 * time.Minute, want: []session.Message{ack}},
		{name: "a speaker is asked to refresh on its first heartbeat past RefreshAfter", role: session.RoleSpeaker, previous: 99 * time.Minute, age: 100*time.Minute + time.Second, want: []session.Message{ack, speakerRefresh}},
		{name: "a speaker is warned with the minutes left on its first heartbeat past WarningAfter", role: session.RoleSpeaker, previous: 104*time.Minute + 30*time.Second, age: 105*time.Minute + 30*time.Second,
			want: []session.Message{ack, session.ConnectionWarning{RemainingMinutes: 15}}},
		{name: "a speaker silent across both thresholds hears both at once", role: session.RoleSpeaker, previous: 99 * time.Minute, age: 106 * time.Minute,
			want: []session.Message{ack, speakerRefresh, session.ConnectionWarning{RemainingMinutes: 14}}},
		{name: "a speaker already warned is not warned again", role: session.RoleSpeaker, previous: 106 * time.Minute, age: 106*time.Minute + 30*time.Second, want: []session.Message{ack}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, session.Config{})
			f.seed()
			c := session.Connection{ID: "me", SessionID: seededID, Role: tc.role, ConnectedAt: start, LastSeenAt: start.Add(tc.previous)}
			if tc.role == session.RoleListener {
				c.TargetLanguage = "fr"
			}
			f.mem.PutConnection(c)
			f.clock.advance(tc.age)

			require.NoError(t, f.svc.Heartbeat(f.ctx(), "me", "req-1"))

			assert.Equal(t, tc.want, f.msgr.to("me"))
			assert.Equal(t, f.clock.Now(), f.record("me").LastSeenAt)
		})
	}
}

func TestHeartbeatLimitsAndReplays(t *testing.T) {
	setup := func(t *testing.T) *fixture {
		f := newFixture(t, session.Config{})
		f.seed("fr")
		f.clock.advance(10 * time.Second)
		return f
	}

	t.Run("a heartbeat over the per-minute limit is refused until the minute ends", func(t *testing.T) {
		f := setup(t)
		require.NoError(t, f.svc.Heartbeat(f.ctx(), "l0", "r1"))
		f.clock.advance(5 * time.Second)
		require.NoError(t, f.svc.Heartbeat(f.ctx(), "l0", "r2"))
		f.clock.advance(5 * time.Second)

		err := f.svc.Heartbeat(f.ctx(), "l0", "r3")

		var e *session.Error
		require.ErrorAs(t, err, &e)
		assert.Equal(t, session.CodeRateLimitExceeded, e.Code)
		assert.Equal(t, 40, e.RetryAfter)
		assert.Equal(t, seededID, e.SessionID)
		assert.Equal(t, start.Add(15*time.Second), f.record("l0").LastSeenAt, "a refused heartbeat is not recorded")
		assert.Len(t, f.msgr.to("l0"), 2, "a refused heartbeat is not acknowledged")

		f.clock.advance(40 * time.Second)
		assert.NoError(t, f.svc.Heartbeat(f.ctx(), "l0", "r4"), "a new minute has room again")
	})

	t.Run("a repeated delivery is acknowledged again and changes nothing", func(t *testing.T) {
		f := setup(t)
		require.NoError(t, f.svc.Heartbeat(f.ctx(), "l0", "r1"))
		seen := f.record("l0").LastSeenAt
		f.clock.advance(5 * time.Second)

		require.NoError(t, f.svc.Heartbeat(f.ctx(), "l0", "r1"))

		assert.Equal(t, []session.Message{session.HeartbeatAck{}, session.HeartbeatAck{}}, f.msgr.to("l0"))
		assert.Equal(t, seen, f.record("l0").LastSeenAt)
		assert.NoError(t, f.svc.Heartbeat(f.ctx(), "l0", "r2"), "the repeat did not use up the limit")
	})

	t.Run("a heartbeat of an unknown connection is SESSION_NOT_FOUND", func(t *testing.T) {
		f := setup(t)
		assert.Equal(t, session.CodeSessionNotFound, codeOf(f.svc.Heartbeat(f.ctx(), "nobody", "r1")))
		assert.Empty(t, f.msgr.all())
	})

	t.Run("a storage failure is reported and nothing is sent", func(t *testing.T) {
		f := setup(t)
		f.mem.FailNext("Connections.Touch", errBoom)
		assert.ErrorIs(t, f.svc.Heartbeat(f.ctx(), "l0", "r1"), errBoom)
		assert.Empty(t, f.msgr.all())
	})

	t.Run("an acknowledgement that cannot be delivered is reported", func(t *testing.T) {
		f := setup(t)
		f.msgr.setGone("l0")
		assert.ErrorIs(t, f.svc.Heartbeat(f.ctx(), "l0", "r1"), session.ErrConnectionGone)
		assert.ErrorIs(t, f.svc.Heartbeat(f.ctx(), "l0", "r1"), session.ErrConnectionGone, "nor its repeat's")
	})
}
