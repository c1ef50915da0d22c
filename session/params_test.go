package session

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newTestService() *Service { return New(Config{}, Deps{}) }

func TestConnectParameters(t *testing.T) {
	s := newTestService()
	cases := []struct {
		name  string
		query string
		code  Code
		field string
	}{
		{"create with defaults", "action=createSession&sourceLanguage=en&qualityTier=standard&token=t", "", ""},
		{"create with every option", "action=createSession&sourceLanguage=de&qualityTier=premium&partialResults=false&minStability=0.7&maxBufferTimeout=10", "", ""},
		{"partialResults must be a boolean word", "action=createSession&sourceLanguage=en&qualityTier=standard&partialResults=1", CodeInvalidParameters, "partialResults"},
		{"minStability above range", "action=createSession&sourceLanguage=en&qualityTier=standard&minStability=0.96", CodeInvalidParameters, "minStability"},
		{"maxBufferTimeout infinite", "action=createSession&sourceLanguage=en&qualityTier=standard&maxBufferTimeout=Inf", CodeInvalidParameters, "maxBufferTimeout"},
		{"uppercase language", "action=createSession&sourceLanguage=EN&qualityTier=standard", CodeInvalidLanguage, "sourceLanguage"},
		{"join", "action=joinSession&sessionId=holy-lamb-101&targetLanguage=es", "", ""},
		{"join without language", "action=joinSession&sessionId=holy-lamb-101", CodeInvalidParameters, "targetLanguage"},
		{"join without session", "action=joinSession&targetLanguage=es", CodeInvalidParameters, "sessionId"},
		{"listener refresh", "action=refreshConnection&role=listener&sessionId=holy-lamb-101&targetLanguage=es", "", ""},
		{"speaker refresh", "action=refreshConnection&role=speaker&sessionId=holy-lamb-101&token=t", "", ""},
		{"refresh without role", "action=refreshConnection&sessionId=holy-lamb-101", CodeInvalidParameters, "role"},
		{"token too long", "action=createSession&sourceLanguage=en&qualityTier=standard&token=" + strings.Repeat("x", 9000), CodeInvalidParameters, "token"},
		{"repeated action", "action=joinSession&action=createSession", CodeInvalidParameters, "action"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			q, err := url.ParseQuery(tc.query)
			require.NoError(t, err)
			_, perr := s.parseConnect(q)
			if tc.code == "" {
				assert.NoError(t, perr)
				return
			}
			var e *Error
			require.ErrorAs(t, perr, &e)
			assert.Equal(t, tc.code, e.Code)
			assert.Equal(t, tc.field, e.Field)
		})
	}
}

func TestControlCommands(t *testing.T) {
	half, neg := 0.5, -0.1
	for _, c := range []string{ControlPause, ControlResume, ControlMute, ControlUnmute} {
		_, err := parseControl(c, nil)
		assert.NoError(t, err, c)
	}
	ch, err := parseControl(ControlVolume, &half)
	require.NoError(t, err)
	assert.Equal(t, 0.5, *ch.Volume)
	for _, v := range []*float64{nil, &neg} {
		_, err := parseControl(ControlVolume, v)
		assert.Equal(t, CodeInvalidParameters, ErrorCode(err))
	}
	_, err = parseControl("", nil)
	assert.Equal(t, CodeInvalidParameters, ErrorCode(err))
}

// The $connect query is the most exposed input of the service: whatever it
// holds, parsing never panics, refusals carry a code and a message, and what
// it accepts is valid.
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
	s := newTestService()
	known := map[Code]bool{CodeInvalidParameters: true, CodeInvalidAction: true, CodeInvalidLanguage: true,
		CodeUnsupportedLanguage: true, CodeInvalidSessionID: true}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		p, perr := s.parseConnect(q)
		if perr != nil {
			var e *Error
			require.True(t, errors.As(perr, &e))
			assert.True(t, known[e.Code], "code %s", e.Code)
			assert.NotEmpty(t, e.Message)
			assert.True(t, utf8.ValidString(e.Message) || !utf8.ValidString(raw))
			return
		}
		switch p.action {
		case ActionCreate:
			assert.True(t, s.sourceLangs[p.sourceLanguage])
			assert.Contains(t, []string{"standard", "premium"}, p.qualityTier)
		case ActionJoin:
			assert.True(t, s.words.valid(p.sessionID))
			assert.True(t, s.targetLangs[p.targetLanguage])
		case ActionRefresh:
			assert.True(t, s.words.valid(p.sessionID))
			assert.Contains(t, []Role{RoleSpeaker, RoleListener}, p.role)
		default:
			t.Fatalf("accepted action %q", p.action)
		}
	})
}
