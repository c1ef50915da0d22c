package router

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livecast/sessions/session"
)

func TestConnectQueryParsing(t *testing.T) {
	cases := []struct {
		name  string
		query string
		code  session.Code
		field string
	}{
		{"create with defaults", "action=createSession&sourceLanguage=en&qualityTier=standard&token=t", "", ""},
		{"create with every option", "action=createSession&sourceLanguage=de&qualityTier=premium&partialResults=false&minStability=0.7&maxBufferTimeout=10", "", ""},
		{"partialResults must be a boolean word", "action=createSession&sourceLanguage=en&qualityTier=standard&partialResults=1", session.CodeInvalidParameters, "partialResults"},
		{"minStability must be a number", "action=createSession&sourceLanguage=en&qualityTier=standard&minStability=high", session.CodeInvalidParameters, "minStability"},
		{"create without a source language", "action=createSession&qualityTier=standard", session.CodeInvalidParameters, "sourceLanguage"},
		{"join", "action=joinSession&sessionId=holy-lamb-101&targetLanguage=es", "", ""},
		{"join without language", "action=joinSession&sessionId=holy-lamb-101", session.CodeInvalidParameters, "targetLanguage"},
		{"join without session", "action=joinSession&targetLanguage=es", session.CodeInvalidParameters, "sessionId"},
		{"listener refresh", "action=refreshConnection&role=listener&sessionId=holy-lamb-101&targetLanguage=es", "", ""},
		{"speaker refresh", "action=refreshConnection&role=speaker&sessionId=holy-lamb-101&token=t", "", ""},
		{"refresh without role", "action=refreshConnection&sessionId=holy-lamb-101", session.CodeInvalidParameters, "role"},
		{"refresh of an unknown role", "action=refreshConnection&role=admin&sessionId=holy-lamb-101", session.CodeInvalidParameters, "role"},
		{"token too long", "action=createSession&sourceLanguage=en&qualityTier=standard&token=" + strings.Repeat("x", 9000), session.CodeInvalidParameters, "token"},
		{"repeated action", "action=joinSession&action=createSession", session.CodeInvalidParameters, "action"},
		{"control characters", "action=joinSession&sessionId=holy-lamb-101%00&targetLanguage=es", session.CodeInvalidParameters, "sessionId"},
		{"unknown action", "action=deleteEverything", session.CodeInvalidAction, "action"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			q, err := url.ParseQuery(tc.query)
			require.NoError(t, err)
			_, perr := parseConnect(q, "c1", "10.0.0.1")
			if tc.code == "" {
				assert.NoError(t, perr)
				return
			}
			var e *session.Error
			require.ErrorAs(t, perr, &e)
			assert.Equal(t, tc.code, e.Code)
			assert.Equal(t, tc.field, e.Field)
		})
	}
}

func TestConnectQueryCarriesTypedValues(t *testing.T) {
	q, err := url.ParseQuery("action=createSession&sourceLanguage=de&qualityTier=premium&partialResults=false&minStability=0.7&token=t")
	require.NoError(t, err)
	req, err := parseConnect(q, "c1", "10.0.0.1")
	require.NoError(t, err)
	assert.Equal(t, session.ActionCreate, req.Action)
	assert.Equal(t, "c1", req.ConnectionID)
	assert.Equal(t, "10.0.0.1", req.SourceIP)
	assert.Equal(t, "de", req.SourceLanguage)
	require.NotNil(t, req.Options.PartialResults)
	assert.False(t, *req.Options.PartialResults)
	require.NotNil(t, req.Options.MinStability)
	assert.Equal(t, 0.7, *req.Options.MinStability)
	assert.Nil(t, req.Options.MaxBufferTimeout, "not given: the domain's default applies")
}

func TestAuthorizerQuery(t *testing.T) {
	for name, tc := range map[string]struct {
		query    map[string][]string
		listener bool
		ok       bool
	}{
		"a listener's join":            {map[string][]string{"action": {"joinSession"}}, true, true},
		"a listener's refresh":         {map[string][]string{"action": {"refreshConnection"}, "role": {"listener"}}, true, true},
		"a speaker's refresh":          {map[string][]string{"action": {"refreshConnection"}, "role": {"speaker"}, "token": {"t"}}, false, true},
		"a repeated token is no token": {map[string][]string{"action": {"createSession"}, "token": {"a", "b"}}, false, false},
	} {
		t.Run(name, func(t *testing.T) {
			listener, _, ok := authorizerQuery(tc.query)
			assert.Equal(t, tc.listener, listener)
			assert.Equal(t, tc.ok, ok)
		})
	}
}

// The $connect query is the most exposed input of the service: whatever it
// holds, parsing never panics, refusals carry a code, a field and a message,
// and what it accepts has every parameter its action needs.
func FuzzParseConnect(f *testing.F) {
	for _, seed := range []string{
		"action=createSession&sourceLanguage=en&qualityTier=standard&token=abc",
		"action=joinSession&sessionId=faithful-shepherd-427&targetLanguage=es",
		"action=refreshConnection&role=listener&sessionId=holy-lamb-101&targetLanguage=fr",
		"action=joinSession&sessionId=holy-lamb-101&targetLanguage=es&targetLanguage=fr",
		"action=%ff&sessionId=%00", "action=createSession&minStability=NaN", "", "&&&==", "action",
		"action=joinSession&sessionId=" + strings.Repeat("a-", 200),
	} {
		f.Add(seed)
	}
	known := map[session.Code]bool{session.CodeInvalidParameters: true, session.CodeInvalidAction: true}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		req, perr := parseConnect(q, "c1", "10.0.0.1")
		if perr != nil {
			var e *session.Error
			require.True(t, errors.As(perr, &e))
			assert.True(t, known[e.Code], "code %s", e.Code)
			assert.NotEmpty(t, e.Field)
			assert.NotEmpty(t, e.Message)
			assert.True(t, utf8.ValidString(e.Message) || !utf8.ValidString(raw))
			return
		}
		switch req.Action {
		case session.ActionCreate:
			assert.NotEmpty(t, req.SourceLanguage)
			assert.NotEmpty(t, req.QualityTier)
		case session.ActionJoin:
			assert.NotEmpty(t, req.SessionID)
			assert.NotEmpty(t, req.TargetLanguage)
		case session.ActionRefresh:
			assert.NotEmpty(t, req.SessionID)
			assert.Contains(t, []session.Role{session.RoleSpeaker, session.RoleListener}, req.Role)
		default:
			t.Fatalf("accepted action %q", req.Action)
		}
	})
}
