package router

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/livecast/sessions/session"
)

// header starts every server message (PROTOCOL.md: type and Unix-ms timestamp).
type header struct {
	Type      string `json:"type"`
	Timestamp int64  `json:"timestamp"`
}

type broadcastStateFields struct {
	Paused bool    `json:"paused"`
	Muted  bool    `json:"muted"`
	Volume float64 `json:"volume"`
}

// Encode renders a domain message in its wire form.
func Encode(m session.Message, now time.Time) ([]byte, error) {
	h := func(t string) header { return header{Type: t, Timestamp: now.UnixMilli()} }
	var v any
	switch m := m.(type) {
	case session.SessionCreated:
		v = struct {
			header
			SessionID             string  `json:"sessionId"`
			SourceLanguage        string  `json:"sourceLanguage"`
			QualityTier           string  `json:"qualityTier"`
			ConnectionID          string  `json:"connectionId"`
			ExpiresAt             int64   `json:"expiresAt"`
			PartialResultsEnabled bool    `json:"partialResultsEnabled"`
			MinStabilityThreshold float64 `json:"minStabilityThreshold"`
			MaxBufferTimeout      float64 `json:"maxBufferTimeout"`
			HeartbeatInterval     float64 `json:"heartbeatIntervalSeconds"`
		}{h("sessionCreated"), m.SessionID, m.SourceLanguage, m.QualityTier, m.ConnectionID, m.ExpiresAt.UnixMilli(),
			m.Options.PartialResults, m.Options.MinStability, m.Options.MaxBufferTimeout, m.Heartbeat.Seconds()}
	case session.SessionJoined:
		v = struct {
			header
			SessionID      string  `json:"sessionId"`
			TargetLanguage string  `json:"targetLanguage"`
			SourceLanguage string  `json:"sourceLanguage"`
			ConnectionID   string  `json:"connectionId"`
			ListenerCount  int     `json:"listenerCount"`
			Heartbeat      float64 `json:"heartbeatIntervalSeconds"`
		}{h("sessionJoined"), m.SessionID, m.TargetLanguage, m.SourceLanguage, m.ConnectionID, m.ListenerCount, m.Heartbeat.Seconds()}
	case session.RefreshComplete:
		v = struct {
			header
			SessionID      string  `json:"sessionId"`
			Role           string  `json:"role"`
			TargetLanguage string  `json:"targetLanguage,omitempty"`
			Heartbeat      float64 `json:"heartbeatIntervalSeconds"`
		}{h("connectionRefreshComplete"), m.SessionID, string(m.Role), m.TargetLanguage, m.Heartbeat.Seconds()}
	case session.HeartbeatAck:
		v = h("heartbeatAck")
	case session.ConnectionWarning:
		v = struct {
			header
			RemainingMinutes int    `json:"remainingMinutes"`
			Message          string `json:"message"`
		}{h("connectionWarning"), m.RemainingMinutes, fmt.Sprintf("Connection will close in %d minutes; refresh it to keep the session", m.RemainingMinutes)}
	case session.RefreshRequired:
		v = struct {
			header
			SessionID      string `json:"sessionId"`
			Role           string `json:"role"`
			TargetLanguage string `json:"targetLanguage,omitempty"`
			Message        string `json:"message"`
		}{h("connectionRefreshRequired"), m.SessionID, string(m.Role), m.TargetLanguage, "Open a new connection with action=refreshConnection, then close this one"}
	case session.SessionEnded:
		v = struct {
			header
			SessionID string `json:"sessionId"`
			Reason    string `json:"reason"`
		}{h("sessionEnded"), m.SessionID, m.Reason}
	case session.ListenerCount:
		v = struct {
			header
			SessionID  string         `json:"sessionId"`
			Total      int            `json:"total"`
			ByLanguage map[string]int `json:"byLanguage"`
		}{h("listenerCount"), m.SessionID, m.Total, nonNil(m.ByLanguage)}
	case session.Status:
		v = struct {
			header
			SessionID      string               `json:"sessionId"`
			IsActive       bool                 `json:"isActive"`
			ListenerCount  int                  `json:"listenerCount"`
			ByLanguage     map[string]int       `json:"byLanguage"`
			ExpiresAt      int64                `json:"expiresAt"`
			BroadcastState broadcastStateFields `json:"broadcastState"`
		}{h("sessionStatus"), m.SessionID, m.Active, m.ListenerCount, nonNil(m.ByLanguage), m.ExpiresAt.UnixMilli(),
			broadcastStateFields(m.Broadcast)}
	case session.BroadcastChanged:
		v = struct {
			header
			SessionID string `json:"sessionId"`
			broadcastStateFields
		}{h("broadcastState"), m.SessionID, broadcastStateFields(m.State)}
	case session.PausedChanged:
		t := "sessionResumed"
		if m.Paused {
			t = "sessionPaused"
		}
		v = struct {
			header
			SessionID string `json:"sessionId"`
		}{h(t), m.SessionID}
	case session.LanguageChanged:
		v = struct {
			header
			SessionID      string `json:"sessionId"`
			TargetLanguage string `json:"targetLanguage"`
		}{h("languageChanged"), m.SessionID, m.TargetLanguage}
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
