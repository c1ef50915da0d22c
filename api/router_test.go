package api

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livecast/sessions/router"
	"github.com/livecast/sessions/session"
)

func TestTheDocumentsActionsAreTheRoutersRouteKeys(t *testing.T) {
	var routes []string
	for _, k := range router.RouteKeys() {
		if !strings.HasPrefix(k, "$") { // $connect, $disconnect, $default are not actions
			routes = append(routes, k)
		}
	}
	slices.Sort(routes)
	assert.Equal(t, routes, load(t).Actions())
}

// TestWhatTheRouterEncodesConformsToTheDocument holds the router's wire
// form of every domain message to the contract, so neither can drift.
func TestWhatTheRouterEncodesConformsToTheDocument(t *testing.T) {
	c := load(t)
	const id = "faithful-shepherd-427"
	now := time.UnixMilli(1764300000000)
	counts := map[string]int{"es": 2, "fr": 1}
	state := session.BroadcastState{Paused: true, Volume: 0.5}
	cases := []struct {
		name string
		msg  session.Message
	}{
		{"a speaker's welcome", session.SessionCreated{SessionID: id, SourceLanguage: "en", QualityTier: "standard", ConnectionID: "c1", ExpiresAt: now.Add(2 * time.Hour),
			Options: session.StreamOptions{PartialResults: true, MinStability: 0.85, MaxBufferTimeout: 5}, Heartbeat: 30 * time.Second}},
		{"a listener's welcome", session.SessionJoined{SessionID: id, TargetLanguage: "es", SourceLanguage: "en", ConnectionID: "c2", ListenerCount: 3, ResumeToken: "YzI.c2VjcmV0", Heartbeat: 30 * time.Second}},
		{"a refreshed speaker's welcome", session.RefreshComplete{SessionID: id, Role: session.RoleSpeaker, Heartbeat: 30 * time.Second}},
		{"a refreshed listener's welcome", session.RefreshComplete{SessionID: id, Role: session.RoleListener, TargetLanguage: "es", ResumeToken: "YzI.c2VjcmV0", Heartbeat: 30 * time.Second}},
		{"a heartbeat answer", session.HeartbeatAck{}},
		{"a warning before the wall", session.ConnectionWarning{RemainingMinutes: 15}},
		{"a speaker's refresh request", session.RefreshRequired{SessionID: id, Role: session.RoleSpeaker}},
		{"a listener's refresh request", session.RefreshRequired{SessionID: id, Role: session.RoleListener, TargetLanguage: "es"}},
		{"the end", session.SessionEnded{SessionID: id, Reason: session.ReasonSpeakerDisconnected, StateVersion: 9}},
		{"the audience", session.ListenerCount{SessionID: id, Total: 3, ByLanguage: counts, StateVersion: 4}},
		{"an empty audience", session.ListenerCount{SessionID: id, StateVersion: 1}},
		{"the status", session.Status{SessionID: id, Active: true, ListenerCount: 3, ByLanguage: counts, ExpiresAt: now.Add(time.Hour), Broadcast: state}},
		{"the broadcast state", session.BroadcastChanged{SessionID: id, State: state, StateVersion: 5}},
		{"a pause", session.PausedChanged{SessionID: id, Paused: true, StateVersion: 5}},
		{"a resume", session.PausedChanged{SessionID: id, Paused: false, StateVersion: 6}},
		{"a language change", session.LanguageChanged{SessionID: id, TargetLanguage: "fr"}},
		{"the speaker's loss", session.SpeakerDisconnected{SessionID: id, ReconnectDeadline: now.Add(2 * time.Minute), StateVersion: 7}},
		{"the speaker's return", session.SpeakerReconnected{SessionID: id, StateVersion: 8}},
	}
	for _, tc := range cases {
		t.Run(tc.name+" conforms", func(t *testing.T) {
			frame, err := router.Encode(tc.msg, now)
			require.NoError(t, err)
			assert.NoError(t, c.ValidateServerMessage(frame), "%s", frame)
		})
	}
}

// TestEveryErrorCodeOfTheDocumentIsOneTheRouterKnows: a code the router has
// no status for would be sent as INTERNAL_ERROR, so the document would
// promise a code no client ever sees.
func TestEveryErrorCodeOfTheDocumentIsOneTheRouterKnows(t *testing.T) {
	codes := documentErrorCodes(t)
	require.Len(t, codes, 12, "docs/PROTOCOL.md's error table has twelve codes")
	for _, code := range codes {
		t.Run(code+" has its own status", func(t *testing.T) {
			status := router.StatusOf(&session.Error{Code: session.Code(code)})
			if code == string(session.CodeInternal) {
				assert.Equal(t, 500, status)
				return
			}
			assert.NotEqual(t, 500, status, "the router maps unknown codes to 500")
		})
	}
}
