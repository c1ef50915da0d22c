package router

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livecast/sessions/session"
)

type wireError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Details struct {
		Field string `json:"field"`
	} `json:"details"`
}

// paddedQuery is a createSession query (valid, so only the limiter stops it)
// padded to exactly size bytes as checkQuery counts them, in params pairs.
func paddedQuery(t *testing.T, params, size int) string {
	t.Helper()
	pairs := []string{"action=createSession", "sourceLanguage=en", "qualityTier=standard"}
	used := 0
	for _, p := range pairs {
		used += len(p) + 1
	}
	for i := len(pairs); i < params-1; i++ {
		p := "p" + string(rune('a'+i%26)) + string(rune('a'+i/26)) + "="
		pairs = append(pairs, p)
		used += len(p) + 1
	}
	last := "pad="
	require.LessOrEqual(t, used+len(last)+1, size)
	pairs = append(pairs, last+strings.Repeat("x", size-used-len(last)-1))
	return strings.Join(pairs, "&")
}

func TestConnectQueryLimits(t *testing.T) {
	tests := []struct {
		name      string
		query     string
		wantField string // "": reaches the domain
	}{
		{"a query of 4096 bytes in 32 parameters reaches the domain", paddedQuery(t, 32, 4096), ""},
		{"a query one byte over 4096 is refused", paddedQuery(t, 32, 4097), "query"},
		{"a 33rd parameter is refused", paddedQuery(t, 33, 400), "query"},
		{"one 100 KB unknown parameter is refused", "action=createSession&sourceLanguage=en&qualityTier=standard&x=" + strings.Repeat("y", 100<<10), "query"},
		{"2,000 parameters are refused", "action=createSession&sourceLanguage=en&qualityTier=standard" + strings.Repeat("&a", 2000), "query"},
		{"a repeated parameter counts every value", "action=createSession&sourceLanguage=en&qualityTier=standard" + strings.Repeat("&a=1", 30), "query"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := newLimitsFixture()
			resp := fx.connect(t, tt.query)
			if tt.wantField == "" {
				assert.Equal(t, 1, fx.limiter.count(), "the domain saw it")
				assert.Equal(t, 429, resp.StatusCode, "the test limiter's refusal")
				return
			}
			assert.Equal(t, 400, resp.StatusCode)
			var e wireError
			require.NoError(t, json.Unmarshal([]byte(resp.Body), &e))
			assert.Equal(t, "INVALID_PARAMETERS", e.Code)
			assert.Equal(t, tt.wantField, e.Details.Field)
			assert.NotEmpty(t, e.Message)
			assert.Equal(t, 0, fx.limiter.count(), "refused before the domain counted or stored anything")
		})
	}
}

func TestMessageBodyMustBeUTF8(t *testing.T) {
	tests := []struct {
		name, route, body string
		wantReached       bool
	}{
		{"a valid heartbeat reaches the domain", RouteHeartbeat, `{"action":"heartbeat"}`, true},
		{"invalid bytes are refused", RouteHeartbeat, "{\"action\":\"heartbeat\",\"x\":\"\xff\"}", false},
		{"bytes already repaired to U+FFFD are refused", RouteHeartbeat, "{\"action\":\"heartbeat\",\"x\":\"\uFFFD\"}", false},
		{"an escaped U+FFFD is plain ASCII and reaches the domain", RouteHeartbeat, `{"action":"heartbeat","x":"\ufffd"}`, true},
		{"invalid bytes on $default are refused as text before the action", RouteDefault, "\xc3\x28", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := newLimitsFixture()
			fx.message(t, tt.route, tt.body)
			posts := fx.api.sent()
			require.Len(t, posts, 1, "one error reply")
			var e wireError
			require.NoError(t, json.Unmarshal(posts[0], &e))
			if tt.wantReached {
				assert.Equal(t, 1, fx.store.count())
				assert.NotEqual(t, "INVALID_PARAMETERS", e.Code, "refused by the domain (unknown connection), not for its text")
				return
			}
			assert.Equal(t, 0, fx.store.count(), "nothing acted on")
			assert.Equal(t, "INVALID_PARAMETERS", e.Code)
			assert.Equal(t, "Message is not valid UTF-8 text", e.Message)
		})
	}
}

// Any decoded query: within both caps it passes, otherwise it is refused
// with INVALID_PARAMETERS naming the query.
func FuzzConnectQuery(f *testing.F) {
	for _, seed := range []string{
		"", "action=createSession&sourceLanguage=en&qualityTier=standard", "a", "a&a&a", "=x", "x=" + strings.Repeat("y", 5000),
		strings.Repeat("k=v&", 40), strings.Repeat("a&", 2000), "token=" + strings.Repeat("t", 4090), "%ff=%fe", "a=1;b=2",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, _ := url.ParseQuery(raw) // API Gateway passes what it could decode
		size, count := 0, 0
		for k, vs := range q {
			for _, v := range vs {
				size += len(k) + len(v) + 2
				count++
			}
		}
		err := checkQuery(q)
		if size <= maxQueryBytes && count <= maxQueryParameters {
			assert.NoError(t, err)
			return
		}
		var e *session.Error
		require.ErrorAs(t, err, &e)
		assert.Equal(t, session.CodeInvalidParameters, e.Code)
		assert.Equal(t, "query", e.Field)
	})
}

// Any body: UTF-8 text without U+FFFD goes on to decoding; anything else is
// INVALID_PARAMETERS and no heartbeat reaches storage.
func FuzzMessageText(f *testing.F) {
	for _, seed := range []string{
		`{"action":"heartbeat"}`, "", "café", "\xff", "{\"action\":\"\xff\"}", "\xc3\x28", "\uFFFD", `"\ufffd"`,
		"\xed\xa0\x80", "\xf4\x90\x80\x80", "a\x00b",
	} {
		f.Add(seed)
	}
	fx := newLimitsFixture()
	f.Fuzz(func(t *testing.T, body string) {
		before := fx.store.count()
		err := fx.router.dispatchMessage(context.Background(), RouteHeartbeat, "conn-1", "req-3", body)
		text := utf8.ValidString(body) && !strings.ContainsRune(body, utf8.RuneError)
		if text {
			assert.NotEqual(t, "Message is not valid UTF-8 text", messageOf(err))
			return
		}
		var e *session.Error
		require.ErrorAs(t, err, &e)
		assert.Equal(t, session.CodeInvalidParameters, e.Code)
		assert.Equal(t, before, fx.store.count(), "nothing acted on")
	})
}

func messageOf(err error) string {
	var e *session.Error
	if errors.As(err, &e) {
		return e.Message
	}
	return ""
}
