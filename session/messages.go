package session

import (
	"encoding/json"
	"time"
)

// Message is anything the service sends to a connection. The router turns
// each into its wire form; the domain only says what happened.
type Message interface{ messageName() string }

// SessionCreated welcomes a speaker.
type SessionCreated struct {
	SessionID      string
	SourceLanguage string
	QualityTier    string
	ConnectionID   string
	ExpiresAt      time.Time
	Options        StreamOptions
	Heartbeat      time.Duration // how often the client should heartbeat
}

// SessionJoined welcomes a listener.
type SessionJoined struct {
	SessionID      string
	TargetLanguage string
	SourceLanguage string
	ConnectionID   string
	ListenerCount  int
	Heartbeat      time.Duration
}

// RefreshComplete welcomes a connection that replaced an older one.
type RefreshComplete struct {
	SessionID      string
	Role           Role
	TargetLanguage string
	Heartbeat      time.Duration
}

// HeartbeatAck answers a heartbeat.
type HeartbeatAck struct{}

// ConnectionWarning tells a speaker its connection will soon hit the wall.
type ConnectionWarning struct{ RemainingMinutes int }

// RefreshRequired asks a client to open a replacement connection.
type RefreshRequired struct {
	SessionID      string
	Role           Role
	TargetLanguage string
}

// SessionEnded tells a listener the broadcast is over.
type SessionEnded struct {
	SessionID string
	Reason    string
}

// Reasons a session ends.
const (
	ReasonSpeakerDisconnected = "speakerDisconnected"
	ReasonExpired             = "expired"
	ReasonTimeout             = "timeout"
)

// ListenerCount tells the speaker its audience.
type ListenerCount struct {
	SessionID  string
	Total      int
	ByLanguage map[string]int
}

// Status answers getSessionStatus.
type Status struct {
	SessionID     string
	Active        bool
	ListenerCount int
	ByLanguage    map[string]int
	ExpiresAt     time.Time
	Broadcast     BroadcastState
}

// BroadcastChanged mirrors the speaker's controls to everyone.
type BroadcastChanged struct {
	SessionID string
	State     BroadcastState
}

// PausedChanged is what the original listener clients wait for when the
// speaker pauses (Paused) or resumes (!Paused).
type PausedChanged struct {
	SessionID string
	Paused    bool
}

// LanguageChanged confirms a listener's switch of target language.
type LanguageChanged struct {
	SessionID      string
	TargetLanguage string
}

// Payload is an opaque message from the audio pipeline, sent verbatim.
type Payload struct{ Data json.RawMessage }

func (SessionCreated) messageName() string    { return "sessionCreated" }
func (SessionJoined) messageName() string     { return "sessionJoined" }
func (RefreshComplete) messageName() string   { return "connectionRefreshComplete" }
func (HeartbeatAck) messageName() string      { return "heartbeatAck" }
func (ConnectionWarning) messageName() string { return "connectionWarning" }
func (RefreshRequired) messageName() string   { return "connectionRefreshRequired" }
func (SessionEnded) messageName() string      { return "sessionEnded" }
func (ListenerCount) messageName() string     { return "listenerCount" }
func (Status) messageName() string            { return "sessionStatus" }
func (BroadcastChanged) messageName() string  { return "broadcastState" }
func (PausedChanged) messageName() string     { return "sessionPaused" }
func (LanguageChanged) messageName() string   { return "languageChanged" }
func (Payload) messageName() string           { return "payload" }
