package session

import (
	"errors"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newTestService() *Service { return New(Config{}, Deps{}) }

func TestConnectChecksWhatValuesMean(t *testing.T) {
	s := newTestService()
	num := func(f float64) *float64 { return &f }
	create := func(o StreamOptionsRequest) ConnectRequest {
		return ConnectRequest{Action: ActionCreate, SourceLanguage: "en", QualityTier: "standard", Options: o}
	}
	cases := []struct {
		name  string
		req   ConnectRequest
		code  Code
		field string
	}{
		{"create with defaults", create(StreamOptionsRequest{}), "", ""},
		{"create with every option at its bounds", create(StreamOptionsRequest{MinStability: num(0.7), MaxBufferTimeout: num(10)}), "", ""},
		{"minStability above range", create(StreamOptionsRequest{MinStability: num(0.96)}), CodeInvalidParameters, "minStability"},
		{"maxBufferTimeout not a number", create(StreamOptionsRequest{MaxBufferTimeout: num(math.NaN())}), CodeInvalidParameters, "maxBufferTimeout"},
		{"maxBufferTimeout infinite", create(StreamOptionsRequest{MaxBufferTimeout: num(math.Inf(1))}), CodeInvalidParameters, "maxBufferTimeout"},
		{"uppercase language", ConnectRequest{Action: ActionCreate, SourceLanguage: "EN", QualityTier: "standard"}, CodeInvalidLanguage, "sourceLanguage"},
		{"unknown quality tier", ConnectRequest{Action: ActionCreate, SourceLanguage: "en", QualityTier: "gold"}, CodeInvalidParameters, "qualityTier"},
		{"join", ConnectRequest{Action: ActionJoin, SessionID: "holy-lamb-101", TargetLanguage: "es"}, "", ""},
		{"join of a malformed id", ConnectRequest{Action: ActionJoin, SessionID: "holy-lamb", TargetLanguage: "es"}, CodeInvalidSessionID, "sessionId"},
		{"join in an unsupported language", ConnectRequest{Action: ActionJoin, SessionID: "holy-lamb-101", TargetLanguage: "xx"}, CodeUnsupportedLanguage, "targetLanguage"},
		{"listener refresh", ConnectRequest{Action: ActionRefresh, Role: RoleListener, SessionID: "holy-lamb-101", TargetLanguage: "es"}, "", ""},
		{"speaker refresh", ConnectRequest{Action: ActionRefresh, Role: RoleSpeaker, SessionID: "holy-lamb-101"}, "", ""},
		{"refresh of an unknown role", ConnectRequest{Action: ActionRefresh, Role: "admin", SessionID: "holy-lamb-101"}, CodeInvalidParameters, "role"},
		{"join without a language", ConnectRequest{Action: ActionJoin, SessionID: "holy-lamb-101"}, CodeInvalidParameters, "targetLanguage"},
		{"no action", ConnectRequest{}, CodeInvalidParameters, "action"},
		{"unknown action", ConnectRequest{Action: "deleteEverything"}, CodeInvalidAction, "action"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, perr := s.checkConnect(tc.req)
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

// A parsed $connect still carries untrusted values: whatever they are, the
// check never panics, refusals carry a code and a message, and what it
// accepts is valid.
func FuzzCheckConnect(f *testing.F) {
	f.Add(ActionCreate, "", "", "en", "standard", "", 0.85)
	f.Add(ActionJoin, "", "faithful-shepherd-427", "", "", "es", 0.0)
	f.Add(ActionRefresh, "listener", "holy-lamb-101", "", "", "fr", 0.0)
	f.Add(ActionRefresh, "speaker", "holy-lamb-1010", "", "", "", 0.0)
	f.Add(ActionCreate, "", "", "EN", "premium", "", math.NaN())
	f.Add("x", "x", "\x00", "\xff", "", "", -1.0)
	s := newTestService()
	known := map[Code]bool{CodeInvalidParameters: true, CodeInvalidAction: true, CodeInvalidLanguage: true,
		CodeUnsupportedLanguage: true, CodeInvalidSessionID: true}
	f.Fuzz(func(t *testing.T, action, role, sessionID, sourceLanguage, qualityTier, targetLanguage string, minStability float64) {
		p, perr := s.checkConnect(ConnectRequest{Action: action, Role: Role(role), SessionID: sessionID, SourceLanguage: sourceLanguage,
			QualityTier: qualityTier, TargetLanguage: targetLanguage, Options: StreamOptionsRequest{MinStability: &minStability}})
		if perr != nil {
			var e *Error
			require.True(t, errors.As(perr, &e))
			assert.True(t, known[e.Code], "code %s", e.Code)
			assert.NotEmpty(t, e.Message)
			return
		}
		switch p.action {
		case ActionCreate:
			assert.True(t, s.sourceLangs[p.sourceLanguage])
			assert.Contains(t, []string{"standard", "premium"}, p.qualityTier)
			assert.True(t, p.options.MinStability >= 0.7 && p.options.MinStability <= 0.95)
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
