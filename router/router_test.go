package router

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livecast/sessions/session"
)

func TestEveryErrorCodeHasAStatus(t *testing.T) {
	want := map[session.Code]int{
		session.CodeUnauthorized: 401, session.CodeForbidden: 403, session.CodeInvalidParameters: 400,
		session.CodeInvalidAction: 400, session.CodeInvalidLanguage: 400, session.CodeUnsupportedLanguage: 400,
		session.CodeInvalidSessionID: 400, session.CodeSessionNotFound: 404, session.CodeRateLimitExceeded: 429,
		session.CodeSessionFull: 503, session.CodeServiceUnavailable: 503, session.CodeInternal: 500,
	}
	for code, status := range want {
		t.Run(string(code), func(t *testing.T) {
			assert.Equal(t, status, StatusOf(&session.Error{Code: code}))
		})
	}
	assert.Len(t, httpStatus, len(want), "the table covers exactly the protocol's codes")
	assert.Equal(t, 500, StatusOf(errors.New("plain")), "unknown errors are internal")
}

func TestInternalCausesNeverReachTheClient(t *testing.T) {
	err := &session.Error{Code: session.CodeInternal, Message: "boom at table Sessions", SessionID: "holy-lamb-101", Err: errors.New("secret detail")}
	var msg map[string]any
	require.NoError(t, json.Unmarshal(encodeError(err, "req-1", time.UnixMilli(42)), &msg))
	assert.Equal(t, "INTERNAL_ERROR", msg["code"])
	assert.Equal(t, "Internal error", msg["message"])
	assert.Equal(t, "req-1", msg["requestId"])
	assert.Equal(t, 42.0, msg["timestamp"])
	assert.NotContains(t, string(encodeError(err, "", time.Now())), "secret")
}

func TestEveryMessageHasTypeAndTimestamp(t *testing.T) {
	now := time.UnixMilli(1_700_000_000_000)
	msgs := map[string]session.Message{
		"sessionCreated": session.SessionCreated{}, "sessionJoined": session.SessionJoined{},
		"connectionRefreshComplete": session.RefreshComplete{}, "heartbeatAck": session.HeartbeatAck{},
		"connectionWarning": session.ConnectionWarning{}, "connectionRefreshRequired": session.RefreshRequired{},
		"sessionEnded": session.SessionEnded{}, "listenerCount": session.ListenerCount{}, "sessionStatus": session.Status{},
		"broadcastState": session.BroadcastChanged{}, "sessionPaused": session.PausedChanged{Paused: true},
		"sessionResumed": session.PausedChanged{}, "languageChanged": session.LanguageChanged{},
	}
	for typ, m := range msgs {
		t.Run(typ, func(t *testing.T) {
			b, err := Encode(m, now)
			require.NoError(t, err)
			var got map[string]any
			require.NoError(t, json.Unmarshal(b, &got))
			assert.Equal(t, typ, got["type"])
			assert.Equal(t, float64(now.UnixMilli()), got["timestamp"])
		})
	}
}

func TestEventsAreClassifiedByTheirDiscriminatingFields(t *testing.T) {
	cases := map[string]struct{ kind, detail string }{
		"connect.json":    {kindWebSocket, "CONNECT"},
		"message.json":    {kindWebSocket, "MESSAGE"},
		"disconnect.json": {kindWebSocket, "DISCONNECT"},
		"authorizer.json": {kindAuthorizer, ""},
		"welcome.json":    {kindInternal, "welcome"},
		"broadcast.json":  {kindInternal, "broadcast"},
	}
	for file, want := range cases {
		t.Run(file, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("testdata", file))
			require.NoError(t, err)
			kind, detail, err := classifyEvent(raw)
			require.NoError(t, err)
			assert.Equal(t, want.kind, kind)
			assert.Equal(t, want.detail, detail)
		})
	}
	for _, junk := range []string{``, `null`, `[]`, `{}`, `{"source":"aws.events"}`, `{"type":"REQUEST"}`, `"x"`} {
		_, _, err := classifyEvent([]byte(junk))
		assert.ErrorIs(t, err, ErrUnknownEvent, junk)
	}
}

func TestTruncateIP(t *testing.T) {
	assert.Equal(t, "203.0.113.0/24", TruncateIP("203.0.113.77"))
	assert.Equal(t, "2001:db8:85a3::/48", TruncateIP("2001:db8:85a3:8d3:1319:8a2e:370:7348"))
	assert.Equal(t, "198.51.100.0/24", TruncateIP("::ffff:198.51.100.4"))
	assert.Equal(t, "", TruncateIP("not-an-ip"))
}

// Frames are untrusted: decoding never panics and every failure is a
// client error naming what is wrong.
func FuzzDecodeMessage(f *testing.F) {
	for _, seed := range []string{
		`{"action":"heartbeat"}`, `{"action":"speakerControl","control":"volume","value":0.5}`,
		`{"action":"speakerControl","value":"loud"}`, `{"value":1e999}`, `not json`, ``, `[]`, `null`,
		`{"targetLanguage":["es"]}`, "{\"action\":\"\xff\"}", `{"action":"x","action":"y"}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var msg clientMessage
		err := decodeMessage(body, &msg)
		if err == nil {
			return
		}
		var e *session.Error
		require.ErrorAs(t, err, &e)
		assert.Equal(t, session.CodeInvalidParameters, e.Code)
		assert.NotEmpty(t, e.Message)
	})
}

// Any bytes can reach the entry point; only known events are accepted.
func FuzzClassifyEvent(f *testing.F) {
	for _, file := range []string{"connect.json", "message.json", "authorizer.json", "welcome.json", "broadcast.json"} {
		raw, err := os.ReadFile(filepath.Join("testdata", file))
		require.NoError(f, err)
		f.Add(raw)
	}
	f.Add([]byte(`{"requestContext":null}`))
	f.Add([]byte(`{"requestContext":{"eventType":1}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		kind, _, err := classifyEvent(raw)
		if err != nil {
			assert.ErrorIs(t, err, ErrUnknownEvent)
			return
		}
		assert.Contains(t, []string{kindAuthorizer, kindWebSocket, kindInternal}, kind)
	})
}
