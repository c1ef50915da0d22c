package e2e

import (
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSpeakerAndListenersEndToEnd(t *testing.T) {
	sys := startSystem(t, nil)

	spk := sys.dial(t, query("action", "createSession", "sourceLanguage", "en", "qualityTier", "premium",
		"partialResults", "false", "minStability", "0.9", "maxBufferTimeout", "3", "token", sys.token(t, "alice")))
	created := spk.expect("sessionCreated")
	id := created["sessionId"].(string)
	assert.Regexp(t, `^[a-z]+-[a-z]+-[1-9][0-9]{2}$`, id)
	assert.Equal(t, "en", created["sourceLanguage"])
	assert.Equal(t, "premium", created["qualityTier"])
	assert.NotEmpty(t, created["connectionId"])
	assert.Equal(t, false, created["partialResultsEnabled"])
	assert.Equal(t, 0.9, created["minStabilityThreshold"])
	assert.Equal(t, 3.0, created["maxBufferTimeout"])
	assert.Greater(t, created["expiresAt"], float64(time.Now().UnixMilli()))
	assert.NotZero(t, created["timestamp"])
	assert.Equal(t, 30.0, created["heartbeatIntervalSeconds"], "clients learn the heartbeat interval")

	t.Run("a listener's first message is sessionJoined and the speaker hears the count", func(t *testing.T) {
		l := sys.dial(t, query("action", "joinSession", "sessionId", id, "targetLanguage", "es"))
		joined := l.expect("sessionJoined")
		assert.Equal(t, id, joined["sessionId"])
		assert.Equal(t, "es", joined["targetLanguage"])
		assert.Equal(t, "en", joined["sourceLanguage"])
		assert.Equal(t, 1.0, joined["listenerCount"])
		assert.Equal(t, 30.0, joined["heartbeatIntervalSeconds"])
		count := spk.expect("listenerCount")
		assert.Equal(t, 1.0, count["total"])
		assert.Equal(t, map[string]any{"es": 1.0}, count["byLanguage"])

		l.send(map[string]string{"action": "heartbeat"})
		l.expect("heartbeatAck")

		l.send(map[string]string{"action": "getSessionStatus"})
		st := l.expect("sessionStatus")
		assert.Equal(t, true, st["isActive"])
		assert.Equal(t, 1.0, st["listenerCount"])
		assert.Equal(t, map[string]any{"paused": false, "muted": false, "volume": 1.0}, st["broadcastState"])

		l.send(map[string]string{"action": "changeLanguage", "targetLanguage": "fr"})
		assert.Equal(t, "fr", l.expect("languageChanged")["targetLanguage"])
		assert.Equal(t, map[string]any{"fr": 1.0}, spk.expect("listenerCount")["byLanguage"])

		spk.send(map[string]string{"action": "controlSession", "command": "pause"})
		assert.Equal(t, true, l.expect("broadcastState")["paused"])
		l.expect("sessionPaused")
		assert.Equal(t, true, spk.expect("broadcastState")["paused"])

		spk.send(map[string]any{"action": "speakerControl", "control": "volume", "value": 0.25})
		assert.Equal(t, 0.25, l.expect("broadcastState")["volume"])
		spk.expect("broadcastState")

		l.close()
		assert.Equal(t, 0.0, spk.expect("listenerCount")["total"])
		eventually(t, func() bool { return sys.session(t, id).Count == 0 }, "count back to zero")
	})

	t.Run("the speaker leaving ends the session for everyone", func(t *testing.T) {
		l1 := sys.listener(t, id, "es")
		l2 := sys.listener(t, id, "de")
		spk.close()
		for _, l := range []*client{l1, l2} {
			ended := l.skipUntil("sessionEnded")
			assert.Equal(t, "speakerDisconnected", ended["reason"])
			assert.Equal(t, websocket.StatusNormalClosure, l.expectClosed())
		}
		v := sys.session(t, id)
		assert.False(t, v.Active)
		assert.Zero(t, v.Count)
		assert.Zero(t, sys.listenerRecords(t, id))
		_, status, body := sys.tryDial(t, query("action", "joinSession", "sessionId", id, "targetLanguage", "es"))
		require.Equal(t, 404, status)
		assert.Equal(t, "SESSION_NOT_FOUND", body["code"])
	})
}
