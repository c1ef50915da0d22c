package e2e

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// Protocol v1.2: a client names an action with requestId and its direct
// reply echoes it; nothing else carries it.
func TestDirectRepliesEchoTheRequestID(t *testing.T) {
	sys := startSystem(t, generousLimits)
	spk, id := sys.speaker(t, "owner")
	l := sys.listener(t, id, "es")
	spk.skipUntil("listenerCount")

	t.Run("heartbeat", func(t *testing.T) {
		l.send(map[string]string{"action": "heartbeat", "requestId": "hb-1"})
		assert.Equal(t, "hb-1", l.skipUntil("heartbeatAck")["requestId"])
	})
	t.Run("getSessionStatus", func(t *testing.T) {
		l.send(map[string]string{"action": "getSessionStatus", "requestId": "st_2"})
		assert.Equal(t, "st_2", l.skipUntil("sessionStatus")["requestId"])
	})
	t.Run("changeLanguage", func(t *testing.T) {
		l.send(map[string]string{"action": "changeLanguage", "targetLanguage": "fr", "requestId": "lang-3"})
		assert.Equal(t, "lang-3", l.skipUntil("languageChanged")["requestId"])
	})
	t.Run("the speaker's broadcastState answers its control; listeners get none", func(t *testing.T) {
		spk.send(map[string]string{"action": "speakerControl", "control": "pause", "requestId": "p-4"})
		assert.Equal(t, "p-4", spk.skipUntil("broadcastState")["requestId"])
		assert.NotContains(t, l.skipUntil("broadcastState"), "requestId")
	})
	t.Run("an error answers the refused action", func(t *testing.T) {
		l.send(map[string]string{"action": "speakerControl", "control": "resume", "requestId": "no-5"})
		e := l.skipUntil("error")
		assert.Equal(t, "FORBIDDEN", e["code"])
		assert.Equal(t, "no-5", e["requestId"])
	})
	t.Run("a malformed requestId is refused, naming it, and the action is not done", func(t *testing.T) {
		l.sendOffContract(map[string]string{"action": "changeLanguage", "targetLanguage": "de", "requestId": "has space"})
		e := l.skipUntil("error")
		assert.Equal(t, "INVALID_PARAMETERS", e["code"])
		assert.Equal(t, "requestId", e["details"].(map[string]any)["field"])
		assert.NotEqual(t, "has space", e["requestId"], "the refusal does not echo it")
		l.send(map[string]string{"action": "getSessionStatus"})
		st := l.skipUntil("sessionStatus")
		assert.NotContains(t, st, "requestId")
		assert.Equal(t, map[string]any{"fr": 1.0}, nonZero(st["byLanguage"].(map[string]any)), "still in fr")
	})
}

func nonZero(m map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		if v != 0.0 {
			out[k] = v
		}
	}
	return out
}
