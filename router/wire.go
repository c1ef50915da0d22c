package router

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/livecast/sessions/session"
)

// The wire form of every server message of docs/PROTOCOL.md, one struct per
// type (the error message and audioData included). Every message starts with a header: its type and a Unix-ms timestamp.
type header struct {
	Type      string `json:"type"`
	Timestamp int64  `json:"timestamp"`
	// RequestID echoes the client's requestId on the direct reply to the
	// action that carried it (v1.2): heartbeatAck, sessionStatus, the
	// speaker's broadcastState, languageChanged, error.
	RequestID string `json:"requestId,omitempty"`
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
	SessionID    string `json:"sessionId"`
	Reason       string `json:"reason"`
	StateVersion int64  `json:"stateVersion"`
}

type speakerDisconnectedMsg struct {
	header
	SessionID         string `json:"sessionId"`
	ReconnectDeadline int64  `json:"reconnectDeadline"`
	StateVersion      int64  `json:"stateVersion"`
}

// stateChangeMsg is every message that only says the session changed:
// speakerReconnected, sessionPaused, sessionResumed.
type stateChangeMsg struct {
	header
	SessionID    string `json:"sessionId"`
	StateVersion int64  `json:"stateVersion"`
}

type listenerCountMsg struct {
	header
	SessionID    string         `json:"sessionId"`
	Total        int            `json:"total"`
	ByLanguage   map[string]int `json:"byLanguage"`
	StateVersion int64          `json:"stateVersion"`
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
	StateVersion int64 `json:"stateVersion"`
}

type languageChangedMsg struct {
	header
	SessionID      string `json:"sessionId"`
	TargetLanguage string `json:"targetLanguage"`
}

type errorDetails struct {
	Field      string `json:"field,omitempty"`
	SessionID  string `json:"sessionId,omitempty"`
	RetryAfter int    `json:"retryAfter,omitempty"`
}

type errorMessage struct {
	header
	Code    session.Code `json:"code"`
	Message string       `json:"message"`
	Details errorDetails `json:"details"`
}

// encodeError renders err as the protocol's error message. Internal causes
// never reach the client: only the code's public message does.
func encodeError(err error, requestID string, now time.Time) []byte {
	msg := errorMessage{header: header{Type: "error", Timestamp: now.UnixMilli(), RequestID: requestID}}
	var e *session.Error
	if errors.As(err, &e) && e.Code != session.CodeInternal {
		msg.Code, msg.Message = e.Code, e.Message
		msg.Details = errorDetails{Field: e.Field, SessionID: e.SessionID, RetryAfter: e.RetryAfter}
	} else {
		msg.Code, msg.Message = session.CodeInternal, "Internal error"
		if e != nil {
			msg.Details.SessionID = e.SessionID
		}
	}
	b, _ := json.Marshal(msg) // plain structs of strings and ints cannot fail
	return b
}

// AudioData is the message the original listener clients play
// (docs/PROTOCOL.md, audioData): the pipeline sends it translated, the local
// loopback as spoken. Sequence orders a language's chunks (v1.2: always set).
type AudioData struct {
	SessionID      string
	TargetLanguage string
	Audio          []byte
	Sequence       int64
	// The speaker's format when it said, so a player need not assume one.
	SampleRate int
	Encoding   string
}

type audioDataMsg struct {
	header
	SessionID      string `json:"sessionId"`
	AudioData      []byte `json:"audioData"` // base64 on the wire
	Sequence       int64  `json:"sequence"`
	TargetLanguage string `json:"targetLanguage"`
	SampleRate     int    `json:"sampleRate,omitempty"`
	Encoding       string `json:"encoding,omitempty"`
}

// Encode renders the audioData message a pipeline hands to the broadcast
// event.
func (a AudioData) Encode(now time.Time) []byte {
	b, _ := json.Marshal(audioDataMsg{header: header{Type: "audioData", Timestamp: now.UnixMilli()}, SessionID: a.SessionID,
		AudioData: a.Audio, Sequence: a.Sequence, TargetLanguage: a.TargetLanguage, SampleRate: a.SampleRate, Encoding: a.Encoding})
	return b // strings, ints and bytes cannot fail to encode
}

// Encode renders a domain message in its wire form.
func Encode(m session.Message, now time.Time) ([]byte, error) { return encodeReply(m, now, "") }

// replyTypes are the messages that answer an action directly, and so carry
// the action's requestId.
var replyTypes = map[string]bool{"heartbeatAck": true, "sessionStatus": true, "broadcastState": true, "languageChanged": true}

// encodeReply renders m with requestID when m is a direct reply.
func encodeReply(m session.Message, now time.Time, requestID string) ([]byte, error) {
	h := func(t string) header {
		hd := header{Type: t, Timestamp: now.UnixMilli()}
		if replyTypes[t] {
			hd.RequestID = requestID
		}
		return hd
	}
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
		v = sessionEndedMsg{header: h("sessionEnded"), SessionID: m.SessionID, Reason: m.Reason, StateVersion: m.StateVersion}
	case session.SpeakerDisconnected:
		v = speakerDisconnectedMsg{header: h("speakerDisconnected"), SessionID: m.SessionID, ReconnectDeadline: m.ReconnectDeadline.UnixMilli(), StateVersion: m.StateVersion}
	case session.SpeakerReconnected:
		v = stateChangeMsg{header: h("speakerReconnected"), SessionID: m.SessionID, StateVersion: m.StateVersion}
	case session.ListenerCount:
		v = listenerCountMsg{header: h("listenerCount"), SessionID: m.SessionID, Total: m.Total, ByLanguage: nonNil(m.ByLanguage), StateVersion: m.StateVersion}
	case session.Status:
		v = sessionStatusMsg{header: h("sessionStatus"), SessionID: m.SessionID, IsActive: m.Active, ListenerCount: m.ListenerCount,
			ByLanguage: nonNil(m.ByLanguage), ExpiresAt: m.ExpiresAt.UnixMilli(), BroadcastState: broadcastStateFields(m.Broadcast),
			SpeakerConnected: m.SpeakerConnected}
	case session.BroadcastChanged:
		v = broadcastStateMsg{header: h("broadcastState"), SessionID: m.SessionID, broadcastStateFields: broadcastStateFields(m.State), StateVersion: m.StateVersion}
	case session.PausedChanged:
		typ := "sessionResumed"
		if m.Paused {
			typ = "sessionPaused"
		}
		v = stateChangeMsg{header: h(typ), SessionID: m.SessionID, StateVersion: m.StateVersion}
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
