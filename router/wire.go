package router

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/livecast/sessions/session"
)

// The wire form of every server message of PROTOCOL.md v1.1, one struct per
// type. Every message starts with a header: its type and a Unix-ms timestamp.
type header struct {
	Type      string `json:"type"`
	Timestamp int64  `json:"timestamp"`
}

type sessionCreatedMsg struct {
	header
	SessionID             string  `json:"sessionId"`
	SourceLanguage        string  `json:"sourceLanguage"`
	QualityTier           string  `json:"qualityTier"`
	ConnectionID          string  `json:"connectionId"`
	ExpiresAt             int64   `json:"expiresAt"`
	PartialResultsEnabled bool    `json:"partialResultsEnabled"`
	MinStabilityThreshold float64 `json:"minStabilityThreshold"`
	MaxBufferTimeout      float64 `json:"maxBufferTimeout"`
	HeartbeatInterval     float64 `json:"heartbeatIntervalSeconds"` // an addition old clients ignore
}

type sessionJoinedMsg struct {
	header
	SessionID         string  `json:"sessionId"`
	TargetLanguage    string  `json:"targetLanguage"`
	SourceLanguage    string  `json:"sourceLanguage"`
	ConnectionID      string  `json:"connectionId"`
	ListenerCount     int     `json:"listenerCount"`
	ResumeToken       string  `json:"resumeToken"`
	HeartbeatInterval float64 `json:"heartbeatIntervalSeconds"`
}

type refreshCompleteMsg struct {
	header
	SessionID         string  `json:"sessionId"`
	Role              string  `json:"role"`
	TargetLanguage    string  `json:"targetLanguage,omitempty"`
	ResumeToken       string  `json:"resumeToken,omitempty"`
	HeartbeatInterval float64 `json:"heartbeatIntervalSeconds"`
}

type connectionWarningMsg struct {
	header
	RemainingMinutes int    `json:"remainingMinutes"`
	Message          string `json:"message"`
}

type refreshRequiredMsg struct {
	header
	SessionID      string `json:"sessionId"`
	Role           string `json:"role"`
	TargetLanguage string `json:"targetLanguage,omitempty"`
	Message        string `json:"message"`
}

type sessionEndedMsg struct {
	header
	SessionID string `json:"sessionId"`
	Reason    string `json:"reason"`
}

type speakerDisconnectedMsg struct {
	header
	SessionID         string `json:"sessionId"`
	ReconnectDeadline int64  `json:"reconnectDeadline"`
}

// sessionOnlyMsg is every message whose only field is the session:
// speakerReconnected, sessionPaused, sessionResumed.
type sessionOnlyMsg struct {
	header
	SessionID string `json:"sessionId"`
}

type listenerCountMsg struct {
	header
	SessionID  string         `json:"sessionId"`
	Total      int            `json:"total"`
	ByLanguage map[string]int `json:"byLanguage"`
}

type broadcastStateFields struct {
	Paused bool    `json:"paused"`
	Muted  bool    `json:"muted"`
	Volume float64 `json:"volume"`
}

type sessionStatusMsg struct {
	header
	SessionID        string               `json:"sessionId"`
	IsActive         bool                 `json:"isActive"`
	ListenerCount    int                  `json:"listenerCount"`
	ByLanguage       map[string]int       `json:"byLanguage"`
	ExpiresAt        int64                `json:"expiresAt"`
	BroadcastState   broadcastStateFields `json:"broadcastState"`
	SpeakerConnected bool                 `json:"speakerConnected"`
}

type broadcastStateMsg struct {
	header
	SessionID string `json:"sessionId"`
	broadcastStateFields
}

type languageChangedMsg struct {
	header
	SessionID      string `json:"sessionId"`
	TargetLanguage string `json:"targetLanguage"`
}

// Encode renders a domain message in its wire form.
func Encode(m session.Message, now time.Time) ([]byte, error) {
	h := func(t string) header { return header{Type: t, Timestamp: now.UnixMilli()} }
	var v any
	switch m := m.(type) {
	case session.SessionCreated:
		v = sessionCreatedMsg{header: h("sessionCreated"), SessionID: m.SessionID, SourceLanguage: m.SourceLanguage, QualityTier: m.QualityTier,
			ConnectionID: m.ConnectionID, ExpiresAt: m.ExpiresAt.UnixMilli(), PartialResultsEnabled: m.Options.PartialResults,
			MinStabilityThreshold: m.Options.MinStability, MaxBufferTimeout: m.Options.MaxBufferTimeout, HeartbeatInterval: m.Heartbeat.Seconds()}
	case session.SessionJoined:
		v = sessionJoinedMsg{header: h("sessionJoined"), SessionID: m.SessionID, TargetLanguage: m.TargetLanguage, SourceLanguage: m.SourceLanguage,
			ConnectionID: m.ConnectionID, ListenerCount: m.ListenerCount, ResumeToken: m.ResumeToken, HeartbeatInterval: m.Heartbeat.Seconds()}
	case session.RefreshComplete:
		v = refreshCompleteMsg{header: h("connectionRefreshComplete"), SessionID: m.SessionID, Role: string(m.Role), TargetLanguage: m.TargetLanguage,
			ResumeToken: m.ResumeToken, HeartbeatInterval: m.Heartbeat.Seconds()}
	case session.HeartbeatAck:
		v = h("heartbeatAck")
	case session.ConnectionWarning:
		v = connectionWarningMsg{header: h("connectionWarning"), RemainingMinutes: m.RemainingMinutes,
			Message: fmt.Sprintf("Connection will close in %d minutes; refresh it to keep the session", m.RemainingMinutes)}
	case session.RefreshRequired:
		v = refreshRequiredMsg{header: h("connectionRefreshRequired"), SessionID: m.SessionID, Role: string(m.Role), TargetLanguage: m.TargetLanguage,
			Message: "Open a new connection with action=refreshConnection, then close this one"}
	case session.SessionEnded:
		v = sessionEndedMsg{header: h("sessionEnded"), SessionID: m.SessionID, Reason: m.Reason}
	case session.SpeakerDisconnected:
		v = speakerDisconnectedMsg{header: h("speakerDisconnected"), SessionID: m.SessionID, ReconnectDeadline: m.ReconnectDeadline.UnixMilli()}
	case session.SpeakerReconnected:
		v = sessionOnlyMsg{header: h("speakerReconnected"), SessionID: m.SessionID}
	case session.ListenerCount:
		v = listenerCountMsg{header: h("listenerCount"), SessionID: m.SessionID, Total: m.Total, ByLanguage: nonNil(m.ByLanguage)}
	case session.Status:
		v = sessionStatusMsg{header: h("sessionStatus"), SessionID: m.SessionID, IsActive: m.Active, ListenerCount: m.ListenerCount,
			ByLanguage: nonNil(m.ByLanguage), ExpiresAt: m.ExpiresAt.UnixMilli(), BroadcastState: broadcastStateFields(m.Broadcast),
			SpeakerConnected: m.SpeakerConnected}
	case session.BroadcastChanged:
		v = broadcastStateMsg{header: h("broadcastState"), SessionID: m.SessionID, broadcastStateFields: broadcastStateFields(m.State)}
	case session.PausedChanged:
		typ := "sessionResumed"
		if m.Paused {
			typ = "sessionPaused"
		}
		v = sessionOnlyMsg{header: h(typ), SessionID: m.SessionID}
	case session.LanguageChanged:
		v = languageChangedMsg{header: h("languageChanged"), SessionID: m.SessionID, TargetLanguage: m.TargetLanguage}
	case session.Payload:
		return m.Data, nil
	default:
		return nil, fmt.Errorf("router: no wire form for %T", m)
	}
	return json.Marshal(v)
}

func nonNil(m map[string]int) map[string]int {
	if m == nil {
		return map[string]int{}
	}
	return m
}
