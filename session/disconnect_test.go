package session_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livecast/sessions/session"
)

const window = 120 * time.Second // the default ReconnectWindow

func TestListenerDisconnect(t *testing.T) {
	cases := []struct {
		name      string
		closeCode int
		held      bool
	}{
		{name: "a listener closing with 1000 gives its seat back at once", closeCode: 1000},
		{name: "a listener closing with 1001 gives its seat back at once", closeCode: 1001},
		{name: "a listener lost with 1006 keeps its seat for the reconnect window", closeCode: 1006, held: true},
		{name: "a listener lost without a close code keeps its seat for the reconnect window", closeCode: 0, held: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, session.Config{})
			f.seed("fr", "es")
			f.clock.advance(time.Minute)

			require.NoError(t, f.svc.Disconnect(f.ctx(), "l0", tc.closeCode))

			s := f.stored(seededID)
			if tc.held {
				assert.Equal(t, f.clock.Now().Add(window), f.record("l0").HeldUntil)
				assert.Equal(t, 2, s.ListenerCount, "a held seat stays counted")
				assert.Empty(t, f.msgr.all(), "the audience did not change")
			} else {
				_, kept := f.mem.Connection("l0")
				assert.False(t, kept)
				assert.Equal(t, 1, s.ListenerCount)
				assert.Equal(t, map[string]int{"es": 1, "fr": 0}, s.ByLanguage)
				assert.Equal(t, []delivery{{to: "spk", msg: session.ListenerCount{SessionID: seededID, Total: 1, ByLanguage: map[string]int{"es": 1}, StateVersion: 1}}}, f.msgr.all(), "the release's version")
			}
			assertRepeatChangesNothing(t, f, "l0", tc.closeCode)
		})
	}

	t.Run("a held listener's late close changes nothing", func(t *testing.T) {
		f := newFixture(t, session.Config{})
		f.seed("fr")
		require.NoError(t, f.svc.Disconnect(f.ctx(), "l0", 1006))
		assertRepeatChangesNothing(t, f, "l0", 1000)
	})

	t.Run("a listener leaving an ended session whose counts were reset uncounts nothing", func(t *testing.T) {
		f := newFixture(t, session.Config{})
		s := f.seed("fr")
		s.Active, s.ListenerCount, s.ByLanguage = false, 0, map[string]int{}
		f.mem.PutSession(s)
		require.NoError(t, f.svc.Disconnect(f.ctx(), "l0", 1000))
		assert.Equal(t, 0, f.stored(seededID).ListenerCount)
		assert.Empty(t, f.msgr.all())
	})
}

// assertRepeatChangesNothing delivers the same $disconnect again.
func assertRepeatChangesNothing(t *testing.T, f *fixture, connectionID string, closeCode int) {
	t.Helper()
	before := f.mem.State()
	f.msgr.reset()
	require.NoError(t, f.svc.Disconnect(f.ctx(), connectionID, closeCode))
	assert.Equal(t, before, f.mem.State(), "a repeated $disconnect changes nothing")
	assert.Empty(t, f.msgr.all(), "a repeated $disconnect sends nothing")
	assert.Empty(t, f.msgr.closed())
}

func TestSpeakerDisconnect(t *testing.T) {
	lost := func(deadline time.Time) []session.Message {
		return []session.Message{
			session.SpeakerDisconnected{SessionID: seededID, ReconnectDeadline: deadline},
			session.BroadcastChanged{SessionID: seededID, State: session.BroadcastState{Paused: true, Volume: 1}},
			session.PausedChanged{SessionID: seededID, Paused: true},
		}
	}
	cases := []struct {
		name      string
		closeCode int
		ends      bool
	}{
		{name: "a speaker closing with 1000 ends the session for everyone", closeCode: 1000, ends: true},
		{name: "a speaker closing with 1001 is lost: the session waits for it", closeCode: 1001},
		{name: "a speaker lost with 1006 is lost: the session waits for it", closeCode: 1006},
		{name: "a speaker lost without a close code is lost: the session waits for it", closeCode: 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, session.Config{})
			f.seed("fr", "es")
			_, err := f.mem.Connections().Hold(f.ctx(), "l1", start.Add(time.Minute))
			require.NoError(t, err)
			f.clock.advance(10 * time.Minute)

			require.NoError(t, f.svc.Disconnect(f.ctx(), "spk", tc.closeCode))

			s := f.stored(seededID)
			if tc.ends {
				assert.False(t, s.Active)
				assert.Equal(t, session.ReasonSpeakerDisconnected, s.EndedReason)
				assert.Zero(t, s.ListenerCount)
				assert.Equal(t, []string{"l0"}, f.mem.ConnectionIDs(), "the speaker's record and the held seat are gone")
				assert.Equal(t, []string{"l0"}, f.mem.ClosingIDs(), "the open listener's record is a closing mark until its close's $disconnect")
				assert.Equal(t, []session.Message{session.SessionEnded{SessionID: seededID, Reason: session.ReasonSpeakerDisconnected}}, f.msgr.to("l0"))
				assert.Equal(t, []string{"l0"}, f.msgr.closed(), "the held seat has no connection to close")
			} else {
				deadline := f.clock.Now().Add(window)
				assert.True(t, s.Active)
				assert.Equal(t, deadline, s.ReconnectDeadline)
				assert.True(t, s.GapPaused)
				assert.Equal(t, 2, s.ListenerCount)
				assert.Equal(t, lost(deadline), f.msgr.to("l0"))
				assert.Empty(t, f.msgr.closed())
			}
			assert.Empty(t, f.msgr.to("l1"), "a held seat is not told")
			assertRepeatChangesNothing(t, f, "spk", tc.closeCode)
		})
	}
}

func TestLostSpeakerRecordIsRemoved(t *testing.T) {
	f := newFixture(t, session.Config{})
	f.seed()
	require.NoError(t, f.svc.Disconnect(f.ctx(), "spk", 1006))
	_, kept := f.mem.Connection("spk")
	assert.False(t, kept, "a lost speaker's record is removed; the session holds the window")
}

func TestSpeakerLossMessages(t *testing.T) {
	cases := []struct {
		name   string
		state  session.BroadcastState
		gapped bool // a reconnect window is already open
		extra  []session.Message
	}{
		{name: "listeners of a playing broadcast hear the speaker left and the broadcast paused",
			state: session.BroadcastState{Muted: true, Volume: 0.5},
			extra: []session.Message{
				session.BroadcastChanged{SessionID: seededID, State: session.BroadcastState{Paused: true, Muted: true, Volume: 0.5}},
				session.PausedChanged{SessionID: seededID, Paused: true},
			}},
		{name: "listeners of a broadcast the speaker had paused only hear the speaker left",
			state: session.BroadcastState{Paused: true, Volume: 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, session.Config{})
			s := f.seed("fr", "fr")
			s.Broadcast = tc.state
			f.mem.PutSession(s)
			f.msgr.setGone("l1")

			require.NoError(t, f.svc.Disconnect(f.ctx(), "spk", 1001))

			want := append([]session.Message{session.SpeakerDisconnected{SessionID: seededID, ReconnectDeadline: start.Add(window)}}, tc.extra...)
			assert.Equal(t, want, f.msgr.to("l0"))
			assert.True(t, f.record("l1").Held(), "a listener found gone keeps its seat")
			assert.Equal(t, 2, f.stored(seededID).ListenerCount)
		})
	}

	t.Run("the loss of a connection the speaker already replaced changes nothing", func(t *testing.T) {
		for _, closeCode := range []int{1000, 1001, 1006} {
			f := newFixture(t, session.Config{})
			f.seed("fr")
			_, err := f.connect("spk2", "10.0.0.1", speakerRefreshQuery(seededID, aliceToken))
			require.NoError(t, err)
			before := f.stored(seededID)

			require.NoError(t, f.svc.Disconnect(f.ctx(), "spk", closeCode))

			assert.Equal(t, before, f.stored(seededID), "close code %d", closeCode)
			assert.Empty(t, f.msgr.all(), "close code %d", closeCode)
		}
	})

	t.Run("the loss of a speaker whose session already ended changes nothing", func(t *testing.T) {
		f := newFixture(t, session.Config{})
		s := f.seed("fr")
		s.Active = false
		f.mem.PutSession(s)
		require.NoError(t, f.svc.Disconnect(f.ctx(), "spk", 1001))
		assert.Equal(t, s, f.stored(seededID))
		assert.Empty(t, f.msgr.all())
	})
}

func TestDisconnectReportsStorageFailures(t *testing.T) {
	cases := []struct {
		name         string
		connectionID string
		closeCode    int
		method       string
	}{
		{name: "a record that cannot be removed", connectionID: "l0", closeCode: 1000, method: "Connections.Remove"},
		{name: "a seat that cannot be held", connectionID: "l0", closeCode: 1006, method: "Connections.Hold"},
		{name: "a seat that cannot be uncounted", connectionID: "l0", closeCode: 1000, method: "Sessions.Release"},
		{name: "a window that cannot be opened", connectionID: "spk", closeCode: 1001, method: "Sessions.SpeakerLost"},
		{name: "listeners that cannot be listed after a speaker's loss", connectionID: "spk", closeCode: 1001, method: "Connections.Audience"},
		{name: "a lost speaker's record that cannot be removed", connectionID: "spk", closeCode: 1006, method: "Connections.DeleteMany"},
		{name: "a session that cannot be ended", connectionID: "spk", closeCode: 1000, method: "Sessions.End"},
	}
	for _, tc := range cases {
		t.Run(tc.name+" is reported", func(t *testing.T) {
			f := newFixture(t, session.Config{})
			f.seed("fr")
			f.mem.FailNext(tc.method, errBoom)
			err := f.svc.Disconnect(f.ctx(), tc.connectionID, tc.closeCode)
			assert.ErrorIs(t, err, errBoom)
			assert.Equal(t, session.CodeInternal, codeOf(err))
		})
	}
}
