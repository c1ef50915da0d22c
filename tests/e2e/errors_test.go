package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every row of docs/PROTOCOL.md's error table, as a client sees it. Refusals at
// $connect must also leave nothing behind.
func TestConnectRefusalsFollowTheErrorTable(t *testing.T) {
	sys := startSystem(t, nil)
	spk, id := sys.speaker(t, "owner")
	_ = spk
	expired, err := sys.Issuer.Mint("owner", "", -time.Minute)
	require.NoError(t, err)
	long := strings.Repeat("a", 300)

	cases := []struct {
		name    string
		query   string
		status  int
		code    string
		message string
		field   string
	}{
		{"a speaker without a token is unauthorized", query("action", "createSession", "sourceLanguage", "en", "qualityTier", "standard"), 401, "UNAUTHORIZED", "Missing token", "token"},
		{"a garbage token is invalid", query("action", "createSession", "sourceLanguage", "en", "qualityTier", "standard", "token", "not-a-jwt"), 401, "UNAUTHORIZED", "Invalid token", ""},
		{"an expired token says so", query("action", "createSession", "sourceLanguage", "en", "qualityTier", "standard", "token", expired), 401, "UNAUTHORIZED", "Token expired", ""},
		{"another user cannot take over the speaker", query("action", "refreshConnection", "role", "speaker", "sessionId", id, "token", sys.token(t, "intruder")), 403, "FORBIDDEN", "", ""},
		{"a missing action is named", query("sessionId", id), 400, "INVALID_PARAMETERS", "Missing required parameter: action", "action"},
		{"a missing source language is named", query("action", "createSession", "qualityTier", "standard", "token", sys.token(t, "a")), 400, "INVALID_PARAMETERS", "Missing required parameter: sourceLanguage", "sourceLanguage"},
		{"a bad tier is named", query("action", "createSession", "sourceLanguage", "en", "qualityTier", "gold", "token", sys.token(t, "a")), 400, "INVALID_PARAMETERS", "", "qualityTier"},
		{"minStability out of range is named", query("action", "createSession", "sourceLanguage", "en", "qualityTier", "standard", "minStability", "0.5", "token", sys.token(t, "a")), 400, "INVALID_PARAMETERS", "", "minStability"},
		{"maxBufferTimeout out of range is named", query("action", "createSession", "sourceLanguage", "en", "qualityTier", "standard", "maxBufferTimeout", "NaN", "token", sys.token(t, "a")), 400, "INVALID_PARAMETERS", "", "maxBufferTimeout"},
		{"a repeated parameter is refused", query("action", "joinSession", "sessionId", id, "targetLanguage", "es", "targetLanguage", "fr"), 400, "INVALID_PARAMETERS", "Parameter targetLanguage is repeated", "targetLanguage"},
		{"an over-long parameter is refused", query("action", "joinSession", "sessionId", long, "targetLanguage", "es"), 400, "INVALID_PARAMETERS", "", "sessionId"},
		{"a control character is refused", "action=joinSession&sessionId=" + id + "&targetLanguage=e%00s", 400, "INVALID_PARAMETERS", "", "targetLanguage"},
		{"invalid UTF-8 is refused", "action=joinSession&sessionId=" + id + "&targetLanguage=%ff%fe", 400, "INVALID_PARAMETERS", "", "targetLanguage"},
		{"a bad listener role is refused", query("action", "refreshConnection", "role", "admin", "sessionId", id), 400, "INVALID_PARAMETERS", "", "role"},
		{"an unknown action is refused", query("action", "deleteEverything"), 400, "INVALID_ACTION", "", "action"},
		{"a source language outside ISO 639-1 is refused", query("action", "createSession", "sourceLanguage", "english", "qualityTier", "standard", "token", sys.token(t, "a")), 400, "INVALID_LANGUAGE", "", "sourceLanguage"},
		{"an unsupported source language is refused", query("action", "createSession", "sourceLanguage", "xx", "qualityTier", "standard", "token", sys.token(t, "a")), 400, "INVALID_LANGUAGE", "", "sourceLanguage"},
		{"a target language without a neural voice is refused", query("action", "joinSession", "sessionId", id, "targetLanguage", "la"), 400, "UNSUPPORTED_LANGUAGE", "", "targetLanguage"},
		{"a malformed session id is refused", query("action", "joinSession", "sessionId", "faithful_shepherd_42", "targetLanguage", "es"), 400, "INVALID_SESSION_ID", "", "sessionId"},
		{"an id outside the vocabulary is refused", query("action", "joinSession", "sessionId", "evil-wolf-666", "targetLanguage", "es"), 400, "INVALID_SESSION_ID", "", "sessionId"},
		{"an unknown session is not found", query("action", "joinSession", "sessionId", "faithful-shepherd-427", "targetLanguage", "es"), 404, "SESSION_NOT_FOUND", "Session not found", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, status, body := sys.tryDial(t, tc.query)
			require.Nil(t, c, "upgrade must be refused")
			assert.Equal(t, tc.status, status)
			assert.Equal(t, "error", body["type"])
			assert.Equal(t, tc.code, body["code"])
			if tc.message != "" {
				assert.Equal(t, tc.message, body["message"])
			}
			details, _ := body["details"].(map[string]any)
			if tc.field != "" {
				assert.Equal(t, tc.field, details["field"])
			}
			if tc.code == "SESSION_NOT_FOUND" {
				assert.Equal(t, "faithful-shepherd-427", details["sessionId"], "the error carries the id")
			}
		})
	}
	v := sys.session(t, id)
	assert.Zero(t, v.Count, "no refusal changed the session")
	assert.Zero(t, sys.listenerRecords(t, id))
}

func TestSessionFullAndRateLimitsAtConnect(t *testing.T) {
	sys := startSystem(t, map[string]string{"MAX_LISTENERS_PER_SESSION": "1", "RATE_LIMIT_LISTENER_JOINS_PER_MIN": "3"})
	sys.freshWindow(time.Minute)
	_, id := sys.speaker(t, "owner")
	sys.listener(t, id, "es")

	t.Run("a join beyond capacity gets SESSION_FULL", func(t *testing.T) {
		_, status, body := sys.tryDial(t, query("action", "joinSession", "sessionId", id, "targetLanguage", "es"))
		assert.Equal(t, 503, status)
		assert.Equal(t, "SESSION_FULL", body["code"])
		assert.Equal(t, id, body["details"].(map[string]any)["sessionId"])
	})
	t.Run("joins over the per-IP limit get RATE_LIMIT_EXCEEDED with retryAfter", func(t *testing.T) {
		_, _, _ = sys.tryDial(t, query("action", "joinSession", "sessionId", id, "targetLanguage", "es"))
		_, status, body := sys.tryDial(t, query("action", "joinSession", "sessionId", id, "targetLanguage", "es"))
		assert.Equal(t, 429, status)
		assert.Equal(t, "RATE_LIMIT_EXCEEDED", body["code"])
		retry := body["details"].(map[string]any)["retryAfter"].(float64)
		assert.True(t, retry >= 1 && retry <= 60, "retryAfter %v", retry)
	})
	t.Run("the window resets", func(t *testing.T) {
		sys.clock.Advance(time.Minute)
		_, status, body := sys.tryDial(t, query("action", "joinSession", "sessionId", id, "targetLanguage", "es"))
		assert.Equal(t, 503, status, "past the rate limit again, only capacity refuses: %v", body)
	})
	assert.Equal(t, 1, sys.session(t, id).Count)
	assert.Equal(t, 1, sys.listenerRecords(t, id))
}

func TestSessionCreationsPerUserAreLimited(t *testing.T) {
	sys := startSystem(t, map[string]string{"RATE_LIMIT_SESSIONS_PER_HOUR": "2"})
	sys.freshWindow(time.Hour)
	// The clock moves an hour ahead below: the token must outlive it.
	tok, err := sys.Issuer.Mint("busy", "", 3*time.Hour)
	require.NoError(t, err)
	create := query("action", "createSession", "sourceLanguage", "en", "qualityTier", "standard", "token", tok)
	sys.dial(t, create).expect("sessionCreated")
	sys.dial(t, create).expect("sessionCreated")
	_, status, body := sys.tryDial(t, create)
	assert.Equal(t, 429, status)
	assert.Equal(t, "RATE_LIMIT_EXCEEDED", body["code"])
	otherTok, err := sys.Issuer.Mint("someone-else", "", 3*time.Hour)
	require.NoError(t, err)
	other := query("action", "createSession", "sourceLanguage", "en", "qualityTier", "standard", "token", otherTok)
	sys.dial(t, other).expect("sessionCreated")
	sys.clock.Advance(time.Hour)
	sys.dial(t, create).expect("sessionCreated")
}

func TestConnectionAttemptsPerIPAreLimited(t *testing.T) {
	sys := startSystem(t, map[string]string{"RATE_LIMIT_CONNECTION_ATTEMPTS_PER_MIN": "2", "RATE_LIMIT_LISTENER_JOINS_PER_MIN": "100"})
	sys.freshWindow(time.Minute)
	_, id := sys.speaker(t, "owner") // attempt 1
	sys.listener(t, id, "es")        // attempt 2
	_, status, body := sys.tryDial(t, query("action", "joinSession", "sessionId", id, "targetLanguage", "es"))
	assert.Equal(t, 429, status)
	assert.Equal(t, "RATE_LIMIT_EXCEEDED", body["code"])
}

// Errors of client actions arrive as error messages; the connection stays.
func TestActionErrorsKeepTheConnection(t *testing.T) {
	sys := startSystem(t, map[string]string{"RATE_LIMIT_HEARTBEATS_PER_MIN": "2"})
	spk, id := sys.speaker(t, "owner")
	l := sys.listener(t, id, "es")
	spk.expect("listenerCount")

	cases := []struct {
		name  string
		from  *client
		frame any
		code  string
		field string
	}{
		{"a non-JSON frame is an invalid action", l, []byte("hello"), "INVALID_ACTION", ""},
		{"an unknown action is an invalid action", l, map[string]string{"action": "launch"}, "INVALID_ACTION", ""},
		{"a frame without action is an invalid action", l, map[string]string{"hello": "world"}, "INVALID_ACTION", ""},
		{"a listener cannot use speakerControl", l, map[string]string{"action": "speakerControl", "control": "pause"}, "FORBIDDEN", ""},
		{"a listener cannot use controlSession", l, map[string]string{"action": "controlSession", "command": "pause"}, "FORBIDDEN", ""},
		{"a speaker cannot change language", spk, map[string]string{"action": "changeLanguage", "targetLanguage": "fr"}, "FORBIDDEN", ""},
		{"an unknown control is named", spk, map[string]string{"action": "speakerControl", "control": "explode"}, "INVALID_PARAMETERS", "control"},
		{"a volume out of range is named", spk, map[string]any{"action": "speakerControl", "control": "volume", "value": 7}, "INVALID_PARAMETERS", "value"},
		{"a volume of the wrong type is named", spk, map[string]any{"action": "speakerControl", "control": "volume", "value": "loud"}, "INVALID_PARAMETERS", "value"},
		{"an unknown command is named", spk, map[string]string{"action": "controlSession", "command": "mute"}, "INVALID_PARAMETERS", "command"},
		{"an unsupported new language is refused", l, map[string]string{"action": "changeLanguage", "targetLanguage": "xx"}, "UNSUPPORTED_LANGUAGE", "targetLanguage"},
		{"a missing new language is named", l, map[string]string{"action": "changeLanguage"}, "INVALID_PARAMETERS", "targetLanguage"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.from.sendOffContract(tc.frame)
			e := tc.from.expect("error")
			assert.Equal(t, tc.code, e["code"])
			assert.NotEmpty(t, e["requestId"])
			if tc.field != "" {
				assert.Equal(t, tc.field, e["details"].(map[string]any)["field"])
			}
		})
	}
	t.Run("heartbeats over the limit are refused", func(t *testing.T) {
		sys.freshWindow(time.Minute) // all three land in one window
		l.send(map[string]string{"action": "heartbeat"})
		l.expect("heartbeatAck")
		l.send(map[string]string{"action": "heartbeat"})
		l.expect("heartbeatAck")
		l.send(map[string]string{"action": "heartbeat"})
		e := l.expect("error")
		assert.Equal(t, "RATE_LIMIT_EXCEEDED", e["code"])
		assert.NotZero(t, e["details"].(map[string]any)["retryAfter"])
	})
	t.Run("the connection still works", func(t *testing.T) {
		l.send(map[string]string{"action": "getSessionStatus"})
		l.expect("sessionStatus")
		assert.Equal(t, 1, sys.session(t, id).Count)
	})
}

// A dependency that is down answers 503 SERVICE_UNAVAILABLE, not a hang or
// a 500: here the Sessions table is gone.
func TestMissingTableIsServiceUnavailable(t *testing.T) {
	sys := startSystem(t, nil)
	_, id := sys.speaker(t, "owner")
	_, err := sys.Graph.Store.Sessions.Get(context.Background(), id)
	require.NoError(t, err)
	dropTable(t, sys, sys.cfg.Tables.Sessions)
	_, status, body := sys.tryDial(t, query("action", "joinSession", "sessionId", id, "targetLanguage", "es"))
	assert.Equal(t, 503, status)
	assert.Equal(t, "SERVICE_UNAVAILABLE", body["code"])
}
