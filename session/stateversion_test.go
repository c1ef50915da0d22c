package session_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livecast/sessions/session"
)

// versionOf is the state version a message carries (0: not a state message).
func versionOf(m session.Message) int64 {
	switch m := m.(type) {
	case session.BroadcastChanged:
		return m.StateVersion
	case session.PausedChanged:
		return m.StateVersion
	case session.SpeakerDisconnected:
		return m.StateVersion
	case session.SpeakerReconnected:
		return m.StateVersion
	case session.ListenerCount:
		return m.StateVersion
	case session.SessionEnded:
		return m.StateVersion
	}
	return 0
}

// Protocol v1.2: every change of a session gets the next state version,
// written by the change's own write; every message reporting one change
// carries its number, on every connection.
func TestEveryChangeCarriesItsOwnStateVersion(t *testing.T) {
	f := newFixture(t, session.Config{})
	id := f.create("spk")
	require.Equal(t, int64(1), f.stored(id).StateVersion, "a new session starts at 1")
	versions := func(conn string) []int64 {
		var out []int64
		for _, m := range f.msgr.versionedTo(conn) {
			if v := versionOf(m); v != 0 {
				out = append(out, v)
			}
		}
		return out
	}

	w := f.join("lis", "10.0.2.1", id, "fr")
	require.NoError(t, f.svc.Welcome(f.ctx(), w))
	w2 := f.join("lis2", "10.0.2.2", id, "fr")
	require.NoError(t, f.svc.Welcome(f.ctx(), w2))
	assert.Equal(t, []int64{2, 3}, versions("spk"), "each admission's count")

	f.msgr.reset()
	require.NoError(t, f.svc.Control(f.ctx(), "spk", session.ControlPause, nil))
	assert.Equal(t, []int64{4, 4}, versions("lis"), "broadcastState and sessionPaused: one change, one number")
	assert.Equal(t, versions("lis"), versions("lis2"), "the same change carries the same number on every connection")
	assert.Equal(t, []int64{4}, versions("spk"))

	f.msgr.reset()
	require.NoError(t, f.svc.ChangeLanguage(f.ctx(), "lis2", "de"))
	assert.Equal(t, []int64{5}, versions("spk"), "the switch's counts")

	f.msgr.reset()
	require.NoError(t, f.svc.Disconnect(f.ctx(), "spk", 1006))
	assert.Equal(t, []int64{6}, versions("lis"), "speakerDisconnected (already paused: no second pause)")

	f.msgr.reset()
	back, err := f.connect("spk2", "10.0.0.1", speakerRefreshQuery(id, aliceToken))
	require.NoError(t, err)
	require.NoError(t, f.svc.Welcome(f.ctx(), back))
	assert.Equal(t, []int64{7}, versions("lis"), "speakerReconnected (its own pause stays)")
	assert.Equal(t, []int64{7}, versions("spk2"), "the returning speaker's audience")

	f.msgr.reset()
	require.NoError(t, f.svc.Disconnect(f.ctx(), "lis", 1000))
	assert.Equal(t, []int64{8}, versions("spk2"), "a release")

	f.msgr.reset()
	require.NoError(t, f.svc.EndByRequest(f.ctx(), "spk2"))
	assert.Equal(t, []int64{9}, versions("lis2"), "sessionEnded")
	assert.Equal(t, []int64{9}, versions("spk2"))
	assert.Equal(t, int64(9), f.stored(id).StateVersion)
}
